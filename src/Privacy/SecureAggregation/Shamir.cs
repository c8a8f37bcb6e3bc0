using System.Numerics;

namespace FedRad.Privacy.SecureAggregation;

/// <summary>
/// Shamir t-of-n secret sharing over the prime field GF(2^521 − 1) (a Mersenne prime, larger than
/// any 32-byte secret). Share i is the value at x = i of a random polynomial of degree t−1 whose
/// constant term is the secret; any t shares give the secret back by Lagrange interpolation at 0,
/// fewer give no information about it.
/// </summary>
internal static class Shamir
{
    public static readonly BigInteger Prime = BigInteger.Pow(2, 521) - 1;

    /// <summary>Bytes of one share value (521 bits, big-endian).</summary>
    public const int ShareBytes = 66;

    /// <summary>Shares for x = 1..<paramref name="count"/>; element i is the share at x = i + 1.</summary>
    public static byte[][] Split(ReadOnlySpan<byte> secret, int threshold, int count, RandomSource random)
    {
        if (threshold < 1 || threshold > count) throw new ArgumentOutOfRangeException(nameof(threshold));
        if (secret.Length > 64) throw new ArgumentException("secrets are at most 64 bytes", nameof(secret));
        var coefficients = new BigInteger[threshold];
        coefficients[0] = new BigInteger(secret, isUnsigned: true, isBigEndian: true);
        for (var k = 1; k < threshold; k++) coefficients[k] = RandomFieldElement(random);

        var shares = new byte[count][];
        for (var x = 1; x <= count; x++)
        {
            var y = BigInteger.Zero; // Horner: a_{t-1} x^{t-1} + ... + a_0
            for (var k = threshold - 1; k >= 0; k--) y = (y * x + coefficients[k]) % Prime;
            shares[x - 1] = ToBytes(y);
        }
        return shares;
    }

    /// <summary>The secret from exactly t shares with distinct points x; <paramref name="secretLength"/> bytes, big-endian.</summary>
    public static byte[]? Combine(IReadOnlyList<(int X, byte[] Y)> shares, int secretLength)
    {
        var secret = BigInteger.Zero;
        for (var j = 0; j < shares.Count; j++)
        {
            // Lagrange basis at 0: prod_{m != j} x_m / (x_m - x_j)
            BigInteger numerator = BigInteger.One, denominator = BigInteger.One;
            for (var m = 0; m < shares.Count; m++)
            {
                if (m == j) continue;
                numerator = numerator * shares[m].X % Prime;
                denominator = denominator * Mod(shares[m].X - shares[j].X) % Prime;
            }
            var y = new BigInteger(shares[j].Y, isUnsigned: true, isBigEndian: true);
            var basis = numerator * BigInteger.ModPow(denominator, Prime - 2, Prime) % Prime;
            secret = (secret + y * basis) % Prime;
        }
        // A value that does not fit the secret's length cannot be the secret: the shares are wrong.
        if (secret.GetByteCount(isUnsigned: true) > secretLength) return null;
        var bytes = new byte[secretLength];
        secret.TryWriteBytes(bytes.AsSpan(secretLength - secret.GetByteCount(isUnsigned: true)), out _, isUnsigned: true, isBigEndian: true);
        return bytes;
    }

    public static bool IsShareValue(byte[] y) =>
        y.Length == ShareBytes && new BigInteger(y, isUnsigned: true, isBigEndian: true) < Prime;

    private static BigInteger Mod(BigInteger v) => (v % Prime + Prime) % Prime;

    private static BigInteger RandomFieldElement(RandomSource random)
    {
        var buffer = new byte[ShareBytes];
        while (true)
        {
            random.Fill(buffer);
            buffer[0] &= 0x01; // 521 bits
            var v = new BigInteger(buffer, isUnsigned: true, isBigEndian: true);
            if (v < Prime) return v;
        }
    }

    private static byte[] ToBytes(BigInteger v)
    {
        var bytes = new byte[ShareBytes];
        v.TryWriteBytes(bytes.AsSpan(ShareBytes - v.GetByteCount(isUnsigned: true)), out _, isUnsigned: true, isBigEndian: true);
        return bytes;
    }
}
