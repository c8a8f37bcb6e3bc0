using System.Buffers.Binary;
using System.Security.Cryptography;
using FedRad.Privacy;

namespace FedRad.Privacy.Tests;

/// <summary>A reproducible random source for tests: SHA-256 of (seed, counter) blocks.</summary>
internal sealed class SeededRandom(ulong seed) : RandomSource
{
    private ulong counter;

    public override void Fill(Span<byte> buffer)
    {
        Span<byte> input = stackalloc byte[16];
        Span<byte> block = stackalloc byte[32];
        while (!buffer.IsEmpty)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(input, seed);
            BinaryPrimitives.WriteUInt64LittleEndian(input[8..], counter++);
            SHA256.HashData(input, block);
            var n = Math.Min(32, buffer.Length);
            block[..n].CopyTo(buffer);
            buffer = buffer[n..];
        }
    }
}
