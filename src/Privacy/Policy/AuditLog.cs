using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace FedRad.Privacy.Policy;

/// <summary>One line of the site's audit log.</summary>
public sealed record AuditEntry(long Seq, DateTimeOffset At, string Event, JsonObject Data, string Prev);

/// <summary>The result of checking a whole log: how many lines hold, and the first that does not.</summary>
public sealed record AuditVerification(bool Ok, int Lines, int? BadLine, string Reason, string HeadHash);

/// <summary>
/// The site's local, append-only audit log: JSON lines <c>{"seq","at","event","data","prev"}</c>
/// where <c>prev</c> is the SHA-256 (hex) of the previous line's bytes (64 zeros for the first).
/// Editing, inserting, reordering or deleting any line but the last ones breaks the chain at that
/// line; cutting lines off the end does not, so operators who need that should record
/// <see cref="HeadHash"/> elsewhere (e.g. in their own log management). One writer at a time: the
/// site agent; each line is flushed to disk before <see cref="Append"/> returns.
/// </summary>
public sealed class AuditLog
{
    public static readonly string Genesis = new('0', 64);

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
    private readonly Lock gate = new();
    private long seq;

    private AuditLog(string path, long seq, string head)
    {
        Path = path;
        this.seq = seq;
        HeadHash = head;
    }

    public string Path { get; }

    /// <summary>SHA-256 of the last line: the value that pins the whole history.</summary>
    public string HeadHash { get; private set; }

    /// <summary>Opens (or creates) a log after verifying its whole chain; a broken log is an <see cref="AuditLogException"/>.</summary>
    public static AuditLog Open(string path, out IReadOnlyList<AuditEntry> entries)
    {
        var list = new List<AuditEntry>();
        var check = Read(path, list);
        if (!check.Ok) throw new AuditLogException(path, check.BadLine ?? 0, check.Reason);
        entries = list;
        return new AuditLog(path, check.Lines, check.HeadHash);
    }

    public static AuditVerification Verify(string path) => Read(path, null);

    public AuditEntry Append(string @event, object data)
    {
        lock (gate)
        {
            var payload = JsonSerializer.SerializeToNode(data, Json) as JsonObject ?? throw new ArgumentException("audit data must serialize to a JSON object", nameof(data));
            var entry = new AuditEntry(seq + 1, DateTimeOffset.UtcNow, @event, payload, HeadHash);
            var line = JsonSerializer.Serialize(entry, Json);
            var bytes = Encoding.UTF8.GetBytes(line + "\n");
            using (var stream = new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.Read))
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }
            seq++;
            HeadHash = Hash(line);
            return entry;
        }
    }

    private static AuditVerification Read(string path, List<AuditEntry>? entries)
    {
        if (!File.Exists(path)) return new AuditVerification(true, 0, null, "empty log", Genesis);
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
            AuditEntry? entry;
            try { entry = JsonSerializer.Deserialize<AuditEntry>(line, Json); }
            catch (JsonException e) { return new AuditVerification(false, number - 1, number, $"not a JSON audit entry ({e.Message})", prev); }
            if (entry is null || entry.Event is null || entry.Data is null || entry.Prev is null)
                return new AuditVerification(false, number - 1, number, "not an audit entry (seq, at, event, data, prev)", prev);
            if (entry.Seq != number) return new AuditVerification(false, number - 1, number, $"sequence number {entry.Seq}, expected {number}: a line was removed, inserted or moved", prev);
            if (entry.Prev != prev) return new AuditVerification(false, number - 1, number, "its prev hash does not match the line before it: the log was edited", prev);
            entries?.Add(entry);
            prev = Hash(line);
        }
        return new AuditVerification(true, number, null, $"{number} lines, chain intact", prev);
    }

    private static string Hash(string line) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(line)));
}

public sealed class AuditLogException(string path, int line, string reason) : Exception($"{path} line {line}: {reason}")
{
    public int Line { get; } = line;
}
