using System.Buffers.Binary;
using System.Security.Cryptography;

namespace FedRad.Privacy.SecureAggregation;

/// <summary>
/// The pseudo-random generator that expands a 32-byte seed into a mask vector: AES-256 in
/// counter mode (16-byte big-endian block counter from 0, all-zero nonce; a seed is derived per
/// session and pair, so no key is ever used for two streams). Every 16-byte block gives two ring
/// elements, read little-endian. Identical at the sites and the coordinator, which must recompute
/// masks bit for bit.
/// </summary>
internal static class MaskGenerator
{
    private const int BlocksPerChunk = 4096; // 64 KiB of key stream at a time

    /// <summary>target[i] += mask[i] (or −= when <paramref name="subtract"/>), modulo 2^64.</summary>
    public static void Apply(ReadOnlySpan<byte> seed, Span<ulong> target, bool subtract)
    {
        using var aes = Aes.Create();
        aes.Key = seed.ToArray();
        var counters = new byte[BlocksPerChunk * 16];
        var stream = new byte[BlocksPerChunk * 16];
        ulong block = 0;
        var done = 0;
        while (done < target.Length)
        {
            var words = Math.Min(target.Length - done, BlocksPerChunk * 2);
            var blocks = (words + 1) / 2;
            for (var b = 0; b < blocks; b++)
                BinaryPrimitives.WriteUInt64BigEndian(counters.AsSpan(b * 16 + 8, 8), block + (ulong)b);
            aes.EncryptEcb(counters.AsSpan(0, blocks * 16), stream.AsSpan(0, blocks * 16), PaddingMode.None);
            var slice = target.Slice(done, words);
            for (var k = 0; k < words; k++)
            {
                var m = BinaryPrimitives.ReadUInt64LittleEndian(stream.AsSpan(k * 8, 8));
                slice[k] = subtract ? unchecked(slice[k] - m) : unchecked(slice[k] + m);
            }
            block += (ulong)blocks;
            done += words;
        }
    }
}
