using System.Runtime.InteropServices;
using FedRad.Privacy.SecureAggregation;
using MathNet.Numerics.Distributions;

namespace FedRad.Privacy.Tests.SecureAggregation;

/// <summary>
/// What the coordinator sees of one site's update is indistinguishable from uniform random ring
/// elements. Two tests at significance level α = 0.001 on a 65,536-element masked vector (seeded,
/// so the outcome is reproducible): Pearson's chi-square on the 524,288 bytes (256 cells, 255
/// degrees of freedom, critical value from the chi-square quantile), and Kolmogorov–Smirnov of
/// the elements scaled to [0, 1) against the uniform distribution (asymptotic critical value
/// sqrt(ln(2/α)/2)/sqrt(m)). The same tests reject the unmasked fixed-point input, so they can fail.
/// </summary>
public class CoordinatorViewTests
{
    private const int Length = 65_536;
    private const double Alpha = 0.001;

    private static double[] ModelLikeUpdate(int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, Length).Select(i => 0.01 * Math.Sin(i / 50.0) + 0.001 * rng.NextDouble()).ToArray();
    }

    private static SessionHarness Session(double[] siteAInput, ulong seed)
    {
        var config = SessionHarness.MakeConfig(3, 2, Length);
        var others = new SessionHarness { Config = config, Inputs = [siteAInput, ModelLikeUpdate(2), ModelLikeUpdate(3)], Seed = seed };
        others.Run();
        return others;
    }

    private static double ByteChiSquare(ulong[] values)
    {
        var bytes = MemoryMarshal.AsBytes(values.AsSpan());
        var counts = new long[256];
        foreach (var b in bytes) counts[b]++;
        var expected = bytes.Length / 256.0;
        return counts.Sum(c => (c - expected) * (c - expected) / expected);
    }

    private static double KolmogorovSmirnov(ulong[] values)
    {
        var u = values.Select(v => (v >> 11) * (1.0 / (1UL << 53))).Order().ToArray();
        var d = 0.0;
        for (var i = 0; i < u.Length; i++) d = Math.Max(d, Math.Max((i + 1.0) / u.Length - u[i], u[i] - (double)i / u.Length));
        return d;
    }

    [Fact]
    public void A_single_masked_update_passes_uniformity_tests_that_reject_the_unmasked_update()
    {
        var input = ModelLikeUpdate(1);
        var masked = Session(input, seed: 11).MaskedInputs["site-a"].Masked;
        var plain = new FixedPointEncoding(24, 3).Encode(input);

        var chiCritical = ChiSquared.InvCDF(255, 1 - Alpha); // 330.5
        var ksCritical = Math.Sqrt(Math.Log(2 / Alpha) / 2) / Math.Sqrt(Length);

        Assert.InRange(ByteChiSquare(masked), 0, chiCritical);
        Assert.InRange(KolmogorovSmirnov(masked), 0, ksCritical);
        Assert.True(ByteChiSquare(plain) > 100 * chiCritical);
        Assert.True(KolmogorovSmirnov(plain) > 10 * ksCritical);
    }

    [Fact]
    public void An_all_zero_update_and_a_model_update_look_alike_to_the_coordinator()
    {
        var zero = Session(new double[Length], seed: 21).MaskedInputs["site-a"].Masked;
        var model = Session(ModelLikeUpdate(1), seed: 22).MaskedInputs["site-a"].Masked;
        var chiCritical = ChiSquared.InvCDF(255, 1 - Alpha);
        Assert.InRange(ByteChiSquare(zero), 0, chiCritical);
        Assert.InRange(ByteChiSquare(model), 0, chiCritical);

        // Two-sample Kolmogorov–Smirnov between the two views: critical value c(α)·sqrt(2/m).
        double[] U(ulong[] v) => v.Select(x => (x >> 11) * (1.0 / (1UL << 53))).Order().ToArray();
        var (a, b) = (U(zero), U(model));
        int i = 0, j = 0;
        var d = 0.0;
        while (i < a.Length && j < b.Length)
        {
            if (a[i] <= b[j]) i++; else j++;
            d = Math.Max(d, Math.Abs((double)i / a.Length - (double)j / b.Length));
        }
        Assert.InRange(d, 0, Math.Sqrt(Math.Log(2 / Alpha) / 2) * Math.Sqrt(2.0 / Length));
    }
}
