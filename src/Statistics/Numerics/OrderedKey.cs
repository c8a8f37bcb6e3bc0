namespace FedRad.Statistics.Numerics;

/// <summary>
/// Maps doubles to unsigned 64-bit keys with the same order (IEEE-754 trick), so that score
/// intervals can be split exactly down to a single representable value. -0 and +0 share a key,
/// as they compare equal.
/// </summary>
public static class OrderedKey
{
    private const ulong SignBit = 0x8000_0000_0000_0000UL;

    public static ulong FromDouble(double x)
    {
        if (double.IsNaN(x)) throw new ArgumentException("NaN has no order", nameof(x));
        if (x == 0) x = 0.0; // folds -0 onto +0
        var bits = (ulong)BitConverter.DoubleToInt64Bits(x);
        return (bits & SignBit) == 0 ? bits | SignBit : ~bits;
    }

    /// <summary>The double whose key this is (may be NaN for keys outside the finite/infinite range).</summary>
    public static double ToDouble(ulong key)
    {
        var bits = (key & SignBit) != 0 ? key & ~SignBit : ~key;
        return BitConverter.Int64BitsToDouble((long)bits);
    }
}
