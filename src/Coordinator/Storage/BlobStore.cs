using System.Collections.Concurrent;
using FedRad.Coordinator.Contracts.Model;
using FedRad.Shared.Transfer;

namespace FedRad.Coordinator.Storage;

/// <summary>
/// Content-addressed storage for model payloads (global models, site updates). Blobs are keyed by
/// the SHA-256 of their bytes, so a blob is written once whatever the number of retries, and a
/// corrupted blob is detected when read. Model blobs are not grain state: grains hold only refs.
/// </summary>
public interface IBlobStore
{
    Task<ModelRef> Put(byte[] data);
    /// <summary>The blob's bytes, or null when unknown. Throws <see cref="InvalidDataException"/> when its content no longer matches its hash.</summary>
    Task<byte[]?> Get(string sha256);
}

public sealed class InMemoryBlobStore : IBlobStore
{
    private readonly ConcurrentDictionary<string, byte[]> _blobs = new();

    public Task<ModelRef> Put(byte[] data)
    {
        var sha = Payload.Sha256Hex(data);
        _blobs.TryAdd(sha, data);
        return Task.FromResult(new ModelRef(sha, data.LongLength));
    }

    public Task<byte[]?> Get(string sha256) => Task.FromResult(_blobs.TryGetValue(sha256, out var b) ? b : null);
}

public sealed class FileSystemBlobStore(string directory) : IBlobStore
{
    public async Task<ModelRef> Put(byte[] data)
    {
        var sha = Payload.Sha256Hex(data);
        var path = PathOf(sha);
        if (!File.Exists(path))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            // Write then rename: a crash never leaves a half-written blob under its final name.
            var temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
            await File.WriteAllBytesAsync(temp, data);
            File.Move(temp, path, overwrite: true);
        }
        return new ModelRef(sha, data.LongLength);
    }

    public async Task<byte[]?> Get(string sha256)
    {
        if (!IsSha256(sha256)) return null;
        var path = PathOf(sha256);
        if (!File.Exists(path)) return null;
        var data = await File.ReadAllBytesAsync(path);
        var actual = Payload.Sha256Hex(data);
        if (actual != sha256) throw new InvalidDataException($"blob {path} is corrupt: its SHA-256 is {actual}");
        return data;
    }

    private string PathOf(string sha) => Path.Combine(directory, sha[..2], sha);

    private static bool IsSha256(string s) => s.Length == 64 && s.All(char.IsAsciiHexDigitLower);
}
