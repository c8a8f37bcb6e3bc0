using FedRad.Privacy.DifferentialPrivacy;
using FedRad.Privacy.SecureAggregation;
using FedRad.Privacy.Tests.SecureAggregation;
using MathNet.Numerics.Distributions;
using MathNet.Numerics.Statistics;

namespace FedRad.Privacy.Tests.DifferentialPrivacy;

public class MechanismTests
{
    /// <summary>Kolmogorov–Smirnov against the standard normal CDF (MathNet), α = 0.001, seeded source.</summary>
    [Fact]
    public void The_sampler_draws_standard_normal_values()
    {
        var sampler = new GaussianSampler(new SeededRandom(77));
        var x = Enumerable.Range(0, 50_000).Select(_ => sampler.Next()).Order().ToArray();
        var d = 0.0;
        for (var i = 0; i < x.Length; i++)
        {
            var f = Normal.CDF(0, 1, x[i]);
            d = Math.Max(d, Math.Max((i + 1.0) / x.Length - f, f - (double)i / x.Length));
        }
        Assert.InRange(d, 0, Math.Sqrt(Math.Log(2 / 0.001) / 2) / Math.Sqrt(x.Length));
        Assert.InRange(x.Mean(), -0.02, 0.02);
        Assert.InRange(x.Variance(), 0.98, 1.02);
    }

    [Fact]
    public void Clipping_scales_long_updates_to_the_clip_norm_and_leaves_short_ones()
    {
        double[] longUpdate = [3, 4];
        Assert.Equal(5, GaussianMechanism.ClipL2(longUpdate, 1.0));
        Assert.Equal(0.6, longUpdate[0], 1e-15);
        Assert.Equal(0.8, longUpdate[1], 1e-15);
        double[] shortUpdate = [0.3, 0.4];
        Assert.Equal(0.5, GaussianMechanism.ClipL2(shortUpdate, 1.0));
        Assert.Equal([0.3, 0.4], shortUpdate);
        Assert.Throws<ArgumentException>(() => GaussianMechanism.ClipL2(new[] { double.NaN }, 1.0));
    }

    [Fact]
    public void Local_noise_is_sigma_c_per_site_and_central_noise_is_split_over_the_threshold()
    {
        var local = new DpSettings(DpMode.Local, 2.0, 1.5);
        var central = local with { Mode = DpMode.Central };
        Assert.Equal(3.0, GaussianMechanism.SiteNoiseStandardDeviation(local, null));
        Assert.Equal(3.0 / 2, GaussianMechanism.SiteNoiseStandardDeviation(central, 4));
        Assert.Contains("needs secure aggregation", Assert.Throws<ArgumentException>(() => GaussianMechanism.SiteNoiseStandardDeviation(central, null)).Message);

        // Empirically: the noise in each coordinate has the stated standard deviation.
        var sampler = new GaussianSampler(new SeededRandom(5));
        var update = new double[40_000];
        var result = GaussianMechanism.Privatize(update, local, null, sampler);
        Assert.False(result.Clipped);
        Assert.Equal(new DpStep(1.5), result.Step);
        Assert.Equal(3.0, update.StandardDeviation(), 0.05);
    }

    /// <summary>
    /// Central DP through secure aggregation: five sites each add σC/√t noise to their clipped
    /// update, one drops after sharing keys; the unmasked sum is the sum of the clipped updates
    /// plus noise with standard deviation √(s/t)·σC ≥ σC (checked over many coordinates).
    /// </summary>
    [Fact]
    public void Central_noise_added_by_the_sites_gives_the_sum_at_least_the_calibrated_noise()
    {
        const int length = 20_000;
        var settings = new DpSettings(DpMode.Central, ClipNorm: 1.0, NoiseMultiplier: 0.01);
        var config = SessionHarness.MakeConfig(5, 3, length, fractionBits: 30);
        var clean = Enumerable.Range(0, 5).Select(s => Enumerable.Range(0, length).Select(i => (s + 1) * 0.02 / Math.Sqrt(length)).ToArray()).ToArray();
        var noisy = clean.Select((u, s) =>
        {
            var copy = u.ToArray();
            GaussianMechanism.Privatize(copy, settings, config.Threshold, new GaussianSampler(new SeededRandom(300 + (ulong)s)));
            return copy;
        }).ToArray();
        var result = new SessionHarness { Config = config, Inputs = noisy, DropAfterSharing = ["site-b"] }.Run();

        int[] survivors = [0, 2, 3, 4];
        var residual = Enumerable.Range(0, length).Select(i => result.Sum[i] - survivors.Sum(s => clean[s][i])).ToArray();
        var expected = Math.Sqrt(survivors.Length / 3.0) * settings.NoiseMultiplier * settings.ClipNorm;
        Assert.Equal(0, residual.Mean(), 4 * expected / Math.Sqrt(length));
        Assert.Equal(expected, residual.StandardDeviation(), 0.03 * expected);
    }

    [Fact]
    public void The_budget_refuses_the_round_that_would_exceed_it_and_reports_epsilon_after_each_round()
    {
        var budget = new PrivacyBudget(epsilon: 3.0, delta: 1e-5);
        var round = new DpStep(NoiseMultiplier: 4.0);
        var reported = new List<double>();
        while (budget.CanRun(round).Allowed) reported.Add(budget.Record(round).Epsilon);

        var refused = budget.CanRun(round);
        Assert.StartsWith("privacy budget exceeded: ε would go from", refused.Reason);
        Assert.True(refused.EpsilonAfter > 3.0);
        Assert.True(refused.EpsilonSpent <= 3.0);
        Assert.Equal(reported[^1], refused.EpsilonSpent);
        Assert.Equal(reported.Order(), reported); // ε grows round by round
        // Cross-check with the accountant alone: k rounds of σ = 4 stay within ε = 3, k + 1 do not.
        var k = reported.Count;
        var within = new RdpAccountant();
        within.Compose(new DpStep(4.0, Count: k));
        Assert.Equal(within.Epsilon(1e-5).Epsilon, reported[^1], 1e-12);
        within.Compose(round);
        Assert.True(within.Epsilon(1e-5).Epsilon > 3.0);
        Assert.Equal(0, new PrivacyBudget(1, 1e-5).Spent.Epsilon);
    }
}
