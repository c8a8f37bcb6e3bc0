namespace FedRad.Privacy.SecureAggregation;

/// <summary>
/// Doubles in the ring Z/2^64 (wrapping <see cref="ulong"/> arithmetic, in which the masks cancel).
/// A value x is encoded as the two's-complement of round(x·2^f) (ties to even). The sum of at
/// most <paramref name="MaxSummands"/> encoded values decodes exactly to the sum of the rounded
/// values as long as every |round(x·2^f)| &lt; 2^63/<paramref name="MaxSummands"/>; encoding
/// refuses larger values (<see cref="MaxAbsValue"/>) instead of wrapping silently.
/// Quantisation: each value moves by at most 2^-(f+1), so a decoded sum of k values is within
/// k·2^-(f+1) of the exact sum (plus the double rounding of the decoded integer, relative 2^-53).
/// </summary>
public sealed record FixedPointEncoding(int FractionBits, int MaxSummands)
{
    private const double TwoTo63 = 9223372036854775808.0;

    public double Scale => Math.ScaleB(1.0, FractionBits);

    /// <summary>Largest integer magnitude of one encoded value (exclusive).</summary>
    private double Limit => Math.Floor(TwoTo63 / MaxSummands);

    /// <summary>Largest |x| one site may contribute per element (exclusive).</summary>
    public double MaxAbsValue => Limit / Scale;

    /// <summary>Bound on |decoded sum − exact sum| for a sum of <paramref name="summands"/> values.</summary>
    public double QuantisationBound(int summands) => summands * Math.ScaleB(1.0, -(FractionBits + 1));

    public ulong[] Encode(ReadOnlySpan<double> values)
    {
        var encoded = new ulong[values.Length];
        var limit = Limit;
        var scale = Scale;
        for (var i = 0; i < values.Length; i++)
        {
            var x = values[i];
            if (!double.IsFinite(x))
                throw new SecAggException(SecAggFailure.InvalidMessage, $"element {i} is {x}: only finite values can be aggregated");
            var v = Math.Round(x * scale, MidpointRounding.ToEven);
            if (Math.Abs(v) >= limit)
                throw new SecAggException(SecAggFailure.InvalidMessage,
                    $"element {i} = {x:G6} is outside ±{MaxAbsValue:G6}, the largest value {MaxSummands} sites can sum at resolution 2^-{FractionBits} without overflow; use fewer fraction bits");
            encoded[i] = unchecked((ulong)(long)v);
        }
        return encoded;
    }

    public double[] Decode(ReadOnlySpan<ulong> sum)
    {
        var decoded = new double[sum.Length];
        var scale = Scale;
        for (var i = 0; i < sum.Length; i++) decoded[i] = unchecked((long)sum[i]) / scale;
        return decoded;
    }
}
