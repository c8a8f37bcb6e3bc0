using System.Numerics;
using System.Security.Cryptography;
using System.Text;

namespace FedRad.Privacy.SecureAggregation;

/// <summary>
/// Key agreement and key derivation of the protocol: ECDH on P-256, HKDF-SHA256 with labels that
/// bind every derived key to its purpose, session and pair of sites, and AES-256-GCM for the
/// shares the coordinator routes between sites.
/// </summary>
internal static class SecAggCrypto
{
    public const int PointBytes = 65;      // uncompressed P-256 point 04 || X || Y
    public const int ScalarBytes = 32;
    public const int SeedBytes = 32;
    public const int NonceBytes = 12;
    public const int TagBytes = 16;
    public const int SharePlaintextBytes = 2 * Shamir.ShareBytes;

    private static readonly BigInteger P256Order =
        BigInteger.Parse("0FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", System.Globalization.NumberStyles.HexNumber);

    /// <summary>A fresh P-256 key from <paramref name="random"/>: private scalar uniform in [1, n−1].</summary>
    public static ECDiffieHellman NewKey(RandomSource random)
    {
        var d = new byte[ScalarBytes];
        while (true)
        {
            random.Fill(d);
            var v = new BigInteger(d, isUnsigned: true, isBigEndian: true);
            if (v > BigInteger.Zero && v < P256Order) return FromPrivateScalar(d)!;
        }
    }

    /// <summary>The key of a private scalar (as reconstructed from shares), or null if it is not a valid scalar.</summary>
    public static ECDiffieHellman? FromPrivateScalar(byte[] d)
    {
        var v = new BigInteger(d, isUnsigned: true, isBigEndian: true);
        if (d.Length != ScalarBytes || v.IsZero || v >= P256Order) return null;
        return ECDiffieHellman.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, D = d });
    }

    public static byte[] PrivateScalar(ECDiffieHellman key) => key.ExportParameters(includePrivateParameters: true).D!;

    public static byte[] PublicPoint(ECDiffieHellman key)
    {
        var q = key.ExportParameters(includePrivateParameters: false).Q;
        var point = new byte[PointBytes];
        point[0] = 0x04;
        q.X!.CopyTo(point, 1);
        q.Y!.CopyTo(point, 33);
        return point;
    }

    /// <summary>Null unless <paramref name="point"/> is an uncompressed point on P-256.</summary>
    public static ECDiffieHellmanPublicKey? ImportPoint(byte[]? point)
    {
        if (point is null || point.Length != PointBytes || point[0] != 0x04) return null;
        try
        {
            using var key = ECDiffieHellman.Create(new ECParameters
            {
                Curve = ECCurve.NamedCurves.nistP256,
                Q = new ECPoint { X = point[1..33], Y = point[33..] },
            });
            return key.PublicKey;
        }
        catch (CryptographicException) { return null; } // not on the curve
    }

    /// <summary>
    /// A 32-byte key for one purpose between two sites: HKDF-SHA256 of the ECDH shared secret,
    /// with the purpose, session and both site ids (in ordinal order) as info.
    /// </summary>
    public static byte[] PairKey(ECDiffieHellman mine, ECDiffieHellmanPublicKey theirs, string purpose, string session, string a, string b)
    {
        var shared = mine.DeriveRawSecretAgreement(theirs);
        try
        {
            var (low, high) = string.CompareOrdinal(a, b) < 0 ? (a, b) : (b, a);
            return HKDF.DeriveKey(HashAlgorithmName.SHA256, shared, 32, salt: null, info: Label(purpose, session, low, high));
        }
        finally { CryptographicOperations.ZeroMemory(shared); }
    }

    /// <summary>The AES key of a site's self mask, derived from its seed.</summary>
    public static byte[] SelfMaskKey(byte[] seed, string session, string site) =>
        HKDF.DeriveKey(HashAlgorithmName.SHA256, seed, 32, salt: null, info: Label("self-mask", session, site));

    /// <summary>What a site publishes about its seed so that a wrong reconstruction is detected.</summary>
    public static byte[] SeedCommitment(byte[] seed, string session, string site) =>
        SHA256.HashData([.. Label("seed-commitment", session, site), .. seed]);

    /// <summary>Length-prefixed UTF-8 fields, so that no two field lists give the same bytes.</summary>
    public static byte[] Label(params string[] fields)
    {
        var buffer = new List<byte>(Encoding.UTF8.GetBytes("fedrad/secagg/v1"));
        foreach (var f in fields)
        {
            var bytes = Encoding.UTF8.GetBytes(f);
            buffer.AddRange([(byte)(bytes.Length >> 24), (byte)(bytes.Length >> 16), (byte)(bytes.Length >> 8), (byte)bytes.Length]);
            buffer.AddRange(bytes);
        }
        return [.. buffer];
    }
}
