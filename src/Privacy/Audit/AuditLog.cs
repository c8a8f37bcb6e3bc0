using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace FedRad.Privacy.Audit;

/// <summary>One line of an audit log. <see cref="Id"/> identifies the event (the coordinator's message id) so that an event delivered twice is written once.</summary>
public sealed record AuditEntry(long Seq, Guid Id, DateTimeOffset At, string Event, JsonObject Data, string Prev, string Hash);

/// <summary>The result of checking a whole log: how many lines hold, the first that does not and why, and the hash of the last good line.</summary>
public sealed record AuditVerification(bool Ok, int Lines, int? BadLine, string Reason, string HeadHash)
{
    public string Message(string path) => Ok ? $"{path}: {Lines} entries, chain intact; last hash {HeadHash}" : $"{path}: line {BadLine}: {Reason}";
}

/// <summary>
/// The append-only, hash-chained audit log of both the coordinator (lifecycle events) and each site (policy
/// decisions). One JSON object per line, <c>{"seq","id","at","event","data","prev","hash"}</c>: <c>hash</c> is the
/// SHA-256 (hex) of the line without its hash field, <c>prev</c> the previous line's hash (64 zeros for the first).
/// Editing any line breaks its own hash; deleting, inserting or reordering lines breaks a sequence number or a
/// link. Cutting lines off the end does not, so operators who need that record <see cref="HeadHash"/> elsewhere.
/// One writer per file; each line is flushed to disk before <see cref="Append"/> returns.
/// </summary>
public sealed class AuditLog
{
    public static readonly string Genesis = new('0', 64);
    private const string HashField = ",\"hash\":\"";

    private readonly Lock gate = new();
    private readonly HashSet<Guid> ids;
    private long seq;

    private AuditLog(string path, IReadOnlyList<AuditEntry> entries, string head)
    {
        Path = path;
        seq = entries.Count;
        HeadHash = head;
        ids = entries.Select(e => e.Id).ToHashSet();
    }

    public string Path { get; }

    /// <summary>Hash of the last line: the value that pins the whole history.</summary>
    public string HeadHash { get; private set; }

    /// <summary>Opens (or creates) a log after verifying its whole chain; a broken log is an <see cref="AuditLogException"/> naming the line.</summary>
    public static AuditLog Open(string path, out IReadOnlyList<AuditEntry> entries)
    {
        var list = new List<AuditEntry>();
        var check = File.Exists(path) ? Read(path, list) : new AuditVerification(true, 0, null, "", Genesis);
        if (!check.Ok) throw new AuditLogException(path, check.BadLine ?? 0, check.Reason);
        entries = list;
        return new AuditLog(path, list, check.HeadHash);
    }

    /// <summary>Checks every line's hash, sequence number and link to the line before it; reports the first break.</summary>
    public static AuditVerification Verify(string path) =>
        File.Exists(path) ? Read(path, null) : new AuditVerification(false, 0, 0, "file not found", "");

    /// <summary>Appends an event whose data serialises (with <paramref name="json"/>, snake_case by default) to a JSON object.</summary>
    public AuditEntry? Append(string @event, object data, JsonSerializerOptions? json = null, Guid? id = null, DateTimeOffset? at = null) =>
        Append(@event, JsonSerializer.SerializeToNode(data, json ?? SnakeCase) as JsonObject ?? throw new ArgumentException("audit data must serialise to a JSON object", nameof(data)), id, at);

    /// <summary>Appends an event; returns null (and writes nothing) when an event with the same <paramref name="id"/> is already in the log.</summary>
    public AuditEntry? Append(string @event, JsonObject data, Guid? id = null, DateTimeOffset? at = null)
    {
        lock (gate)
        {
            var entryId = id ?? Guid.NewGuid();
            if (!ids.Add(entryId)) return null;
            var when = at ?? DateTimeOffset.UtcNow;
            var prev = HeadHash;
            var body = new JsonObject
            {
                ["seq"] = seq + 1,
                ["id"] = entryId,
                ["at"] = when,
                ["event"] = @event,
                ["data"] = data,
                ["prev"] = prev,
            }.ToJsonString();
            var hash = Hash(body);
            var bytes = Encoding.UTF8.GetBytes(body[..^1] + HashField + hash + "\"}\n");
            var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path));
            if (dir is not null) Directory.CreateDirectory(dir);
            using (var stream = new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.Read))
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }
            seq++;
            HeadHash = hash;
            return new AuditEntry(seq, entryId, when, @event, data, prev, hash);
        }
    }

    private static readonly JsonSerializerOptions SnakeCase = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private static AuditVerification Read(string path, List<AuditEntry>? entries)
    {
        var text = File.ReadAllText(path, Encoding.UTF8);
        if (text.Length > 0 && !text.EndsWith('\n'))
        {
            var lines = text.Count(c => c == '\n') + 1;
            return new AuditVerification(false, lines - 1, lines, "the last line is incomplete (no newline): the log was cut mid-write or altered", "");
        }
        var prev = Genesis;
        var number = 0;
        foreach (var line in text.Split('\n').SkipLast(1))
        {
            number++;
            AuditVerification Bad(string reason) => new(false, number - 1, number, reason, prev);
            var at = line.LastIndexOf(HashField, StringComparison.Ordinal);
            if (at < 0 || !line.EndsWith("\"}", StringComparison.Ordinal)) return Bad("not an audit entry: no hash field at the end of the line");
            var body = line[..at] + "}";
            var hash = line[(at + HashField.Length)..^2];
            AuditEntry entry;
            try
            {
                var o = JsonNode.Parse(body)!.AsObject();
                entry = new AuditEntry(o["seq"]!.GetValue<long>(), o["id"]!.GetValue<Guid>(), o["at"]!.GetValue<DateTimeOffset>(),
                    o["event"]!.GetValue<string>(), o["data"]!.AsObject(), o["prev"]!.GetValue<string>(), hash);
            }
            catch (Exception e) when (e is JsonException or NullReferenceException or InvalidOperationException or FormatException)
            {
                return Bad($"not a JSON audit entry with seq, id, at, event, data and prev ({e.Message})");
            }
            if (Hash(body) != hash) return Bad("the line was edited: its content does not match its hash");
            if (entry.Seq != number) return Bad($"sequence number {entry.Seq}, expected {number}: lines were deleted, inserted or reordered before it");
            if (entry.Prev != prev) return Bad($"it does not follow line {number - 1}: its previous-hash link is broken (a line was removed, inserted or moved)");
            entries?.Add(entry);
            prev = hash;
        }
        return new AuditVerification(true, number, null, "chain intact", prev);
    }

    private static string Hash(string body) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(body)));
}

public sealed class AuditLogException(string path, int line, string reason) : Exception($"{path} line {line}: {reason}")
{
    public int Line { get; } = line;
}
