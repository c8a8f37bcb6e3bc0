using System.Security.Cryptography;

namespace FedRad.Shared.Transfer;

/// <summary>Hashing and chunking of a serialized payload for resumable transfer.</summary>
public static class Payload
{
    public static string Sha256Hex(ReadOnlySpan<byte> data) => Convert.ToHexStringLower(SHA256.HashData(data));

    /// <summary>Cuts <paramref name="payload"/> into chunks of at most <see cref="TransferLimits.MaxChunkBytes"/>, starting at <paramref name="offset"/>.</summary>
    public static IEnumerable<(long Offset, ReadOnlyMemory<byte> Data)> Chunks(ReadOnlyMemory<byte> payload, long offset = 0, int chunkBytes = TransferLimits.MaxChunkBytes)
    {
        if (offset < 0 || offset > payload.Length)
            throw new ArgumentOutOfRangeException(nameof(offset), $"offset {offset} is outside a payload of {payload.Length} bytes");
        if (chunkBytes <= 0 || chunkBytes > TransferLimits.MaxChunkBytes)
            throw new ArgumentOutOfRangeException(nameof(chunkBytes), $"chunk size must be 1..{TransferLimits.MaxChunkBytes}");
        for (var at = offset; at < payload.Length; at += chunkBytes)
        {
            var n = (int)Math.Min(chunkBytes, payload.Length - at);
            yield return (at, payload.Slice((int)at, n));
        }
    }
}
