using System.Collections.Concurrent;

namespace FedRad.Coordinator.Uploads;

/// <summary>
/// Partially received uploads, kept so that a transfer cut halfway resumes from its offset.
/// Keyed by (site, task, payload hash): a resumed upload must be the same payload.
/// Memory grows with the bytes actually received, never with a declared size.
/// </summary>
public sealed class UploadStaging(TimeProvider clock)
{
    private static readonly TimeSpan Expiry = TimeSpan.FromHours(1);
    private readonly ConcurrentDictionary<string, Entry> _entries = new();

    public sealed class Entry(long totalBytes, DateTimeOffset now)
    {
        public long TotalBytes { get; } = totalBytes;
        public MemoryStream Buffer { get; } = new();
        public DateTimeOffset Touched { get; set; } = now;
        public long Received => Buffer.Length;
        public SemaphoreSlim Gate { get; } = new(1, 1);
    }

    public static string Key(string siteId, string taskId, string sha256) => $"{siteId}\n{taskId}\n{sha256}";

    public Entry GetOrCreate(string key, long totalBytes)
    {
        Sweep();
        var entry = _entries.GetOrAdd(key, _ => new Entry(totalBytes, clock.GetUtcNow()));
        entry.Touched = clock.GetUtcNow();
        return entry;
    }

    public long ReceivedBytes(string key) => _entries.TryGetValue(key, out var e) ? e.Received : 0;

    public void Remove(string key) => _entries.TryRemove(key, out _);

    private void Sweep()
    {
        var cutoff = clock.GetUtcNow() - Expiry;
        foreach (var (key, entry) in _entries)
            if (entry.Touched < cutoff) _entries.TryRemove(key, out _);
    }
}
