using System.Security.Cryptography;

namespace FedRad.Privacy;

/// <summary>
/// Where the secret randomness of keys, mask seeds, Shamir polynomials and noise comes from.
/// Production code uses <see cref="Secure"/> (the operating system's CSPRNG); tests pass a seeded
/// source so that a statistical check is reproducible.
/// </summary>
public abstract class RandomSource
{
    public static RandomSource Secure { get; } = new SystemRandomSource();

    public abstract void Fill(Span<byte> buffer);

    public byte[] Bytes(int count)
    {
        var b = new byte[count];
        Fill(b);
        return b;
    }

    /// <summary>A uniform double in [0, 1) with 53 random bits.</summary>
    public double NextUnitDouble()
    {
        Span<byte> b = stackalloc byte[8];
        Fill(b);
        return (BitConverter.ToUInt64(b) >> 11) * (1.0 / (1UL << 53));
    }

    private sealed class SystemRandomSource : RandomSource
    {
        public override void Fill(Span<byte> buffer) => RandomNumberGenerator.Fill(buffer);
    }
}
