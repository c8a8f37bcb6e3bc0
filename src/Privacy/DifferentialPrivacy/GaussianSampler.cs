namespace FedRad.Privacy.DifferentialPrivacy;

/// <summary>
/// Standard normal samples from a cryptographic random source (Box–Muller on 53-bit uniforms).
/// The noise must be unpredictable to whoever sees the result, so it never comes from
/// <see cref="System.Random"/>. Floating-point caveat: this is a continuous Gaussian rounded to
/// doubles, not a discrete Gaussian; the known attacks on floating-point noise (Mironov 2012) need
/// the raw low-order bits of a single noisy value, which the fixed-point encoding of secure
/// aggregation rounds away (2^-24 and coarser).
/// </summary>
public sealed class GaussianSampler(RandomSource? random = null)
{
    private readonly RandomSource random = random ?? RandomSource.Secure;
    private double spare = double.NaN;

    public double Next()
    {
        if (!double.IsNaN(spare))
        {
            var s = spare;
            spare = double.NaN;
            return s;
        }
        var u1 = 1 - random.NextUnitDouble(); // (0, 1]: log never sees 0
        var u2 = random.NextUnitDouble();
        var r = Math.Sqrt(-2 * Math.Log(u1));
        spare = r * Math.Sin(2 * Math.PI * u2);
        return r * Math.Cos(2 * Math.PI * u2);
    }
}
