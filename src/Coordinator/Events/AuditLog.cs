using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using FedRad.Coordinator.Contracts.Events;
using MassTransit;

namespace FedRad.Coordinator.Events;

/// <summary>
/// The coordinator's audit log: one JSON line per lifecycle event,
/// <c>{"seq","id","at","event","data","prev","hash"}</c>. Each line's hash is the SHA-256 of the line
/// without its hash field, and each line carries the previous line's hash, so editing, deleting or
/// reordering any line breaks the chain (<see cref="AuditChain.Verify"/>). An event delivered twice
/// (same message id: the outbox delivers at least once) is written once.
/// </summary>
public sealed class AuditLogWriter(string path)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly Lock _gate = new();
    private bool _loaded;
    private long _seq;
    private string _prev = AuditChain.Genesis;
    private readonly HashSet<Guid> _seen = [];

    public string Path { get; } = path;

    /// <summary>Appends the event unless an event with the same id is already in the log. Returns whether it wrote.</summary>
    public bool Append<T>(Guid id, T evt, DateTimeOffset at) where T : class
    {
        lock (_gate)
        {
            LoadTail();
            if (!_seen.Add(id)) return false;
            var body = JsonSerializer.Serialize(new AuditBody(_seq + 1, id, at, typeof(T).Name, evt, _prev), Json);
            var hash = AuditChain.Hash(body);
            var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path));
            if (dir is not null) Directory.CreateDirectory(dir);
            File.AppendAllText(Path, AuditChain.Seal(body, hash) + "\n");
            _seq++;
            _prev = hash;
            return true;
        }
    }

    /// <summary>Continues the chain of an existing file (after a restart) and remembers the ids it holds.</summary>
    private void LoadTail()
    {
        if (_loaded) return;
        _loaded = true;
        if (!File.Exists(Path)) return;
        foreach (var line in File.ReadLines(Path))
        {
            if (line.Length == 0) continue;
            var entry = AuditChain.Parse(line);
            _seq = entry.Seq;
            _prev = entry.Hash;
            _seen.Add(entry.Id);
        }
    }

    private sealed record AuditBody(long Seq, Guid Id, DateTimeOffset At, string Event, object Data, string Prev);
}

/// <summary>The hash chain of the audit log: sealing lines and verifying a file.</summary>
public static class AuditChain
{
    public static readonly string Genesis = new('0', 64);
    private const string HashField = ",\"hash\":\"";

    public sealed record Entry(long Seq, Guid Id, string Prev, string Hash);

    public sealed record Verification(bool Ok, int Lines, string Message);

    public static string Hash(string body) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(body)));

    /// <summary>The line: the body (a JSON object) with the hash added as its last field.</summary>
    public static string Seal(string body, string hash) => body[..^1] + HashField + hash + "\"}";

    public static Entry Parse(string line)
    {
        var at = line.LastIndexOf(HashField, StringComparison.Ordinal);
        if (at < 0 || !line.EndsWith("\"}", StringComparison.Ordinal)) throw new FormatException("not a sealed audit line (no hash field at its end)");
        var hash = line[(at + HashField.Length)..^2];
        var body = line[..at] + "}";
        using var doc = JsonDocument.Parse(body);
        var root = doc.RootElement;
        return new Entry(root.GetProperty("seq").GetInt64(), root.GetProperty("id").GetGuid(), root.GetProperty("prev").GetString() ?? "", hash);
    }

    /// <summary>Checks every line's hash, sequence number and link to the previous line; reports the first break.</summary>
    public static Verification Verify(string path)
    {
        if (!File.Exists(path)) return new(false, 0, $"{path}: file not found");
        var prev = Genesis;
        var n = 0;
        foreach (var line in File.ReadLines(path))
        {
            n++;
            if (line.Length == 0) return new(false, n, $"{path}: line {n} is empty");
            Entry e;
            string body;
            try
            {
                e = Parse(line);
                body = line[..line.LastIndexOf(HashField, StringComparison.Ordinal)] + "}";
            }
            catch (Exception ex) when (ex is FormatException or JsonException or KeyNotFoundException or InvalidOperationException)
            {
                return new(false, n, $"{path}: line {n} is not a valid audit entry ({ex.Message})");
            }
            if (Hash(body) != e.Hash) return new(false, n, $"{path}: line {n} was edited: its content does not match its hash");
            if (e.Seq != n) return new(false, n, $"{path}: line {n} has sequence number {e.Seq}: lines were deleted or reordered before it");
            if (e.Prev != prev) return new(false, n, $"{path}: line {n} does not follow line {n - 1}: its previous-hash link is broken (a line was removed, inserted or moved)");
            prev = e.Hash;
        }
        return new(true, n, $"{path}: {n} entries, chain intact; last hash {prev}");
    }
}

/// <summary>Consumes every lifecycle event from the bus and writes it to the audit log.</summary>
public sealed class AuditConsumer(AuditLogWriter audit) :
    IConsumer<SiteRegistered>, IConsumer<SiteApproved>, IConsumer<SiteSuspended>, IConsumer<SiteUnhealthy>, IConsumer<SiteHealthy>, IConsumer<RoundStarted>,
    IConsumer<UpdateReceived>, IConsumer<UpdateRejected>, IConsumer<RoundCompleted>, IConsumer<RoundFailed>,
    IConsumer<StudyCompleted>, IConsumer<AnalysisCompleted>
{
    public Task Consume(ConsumeContext<SiteRegistered> c) => Write(c, c.Message.At);
    public Task Consume(ConsumeContext<SiteApproved> c) => Write(c, c.Message.At);
    public Task Consume(ConsumeContext<SiteSuspended> c) => Write(c, c.Message.At);
    public Task Consume(ConsumeContext<SiteUnhealthy> c) => Write(c, c.Message.At);
    public Task Consume(ConsumeContext<SiteHealthy> c) => Write(c, c.Message.At);
    public Task Consume(ConsumeContext<RoundStarted> c) => Write(c, c.Message.At);
    public Task Consume(ConsumeContext<UpdateReceived> c) => Write(c, c.Message.At);
    public Task Consume(ConsumeContext<UpdateRejected> c) => Write(c, c.Message.At);
    public Task Consume(ConsumeContext<RoundCompleted> c) => Write(c, c.Message.At);
    public Task Consume(ConsumeContext<RoundFailed> c) => Write(c, c.Message.At);
    public Task Consume(ConsumeContext<StudyCompleted> c) => Write(c, c.Message.At);
    public Task Consume(ConsumeContext<AnalysisCompleted> c) => Write(c, c.Message.At);

    private Task Write<T>(ConsumeContext<T> context, DateTimeOffset at) where T : class
    {
        audit.Append(context.MessageId ?? Guid.NewGuid(), context.Message, at);
        return Task.CompletedTask;
    }
}
