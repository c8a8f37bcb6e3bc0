using FedRad.Learning.Models;
using FedRad.Privacy.DifferentialPrivacy;
using FedRad.Protocol.V1;
using FedRad.Shared.Tensors;
using FedRad.SiteAgent.Privacy;

namespace FedRad.Tests.Privacy;

/// <summary>
/// The site's DP step on a training result, as the agent runs it: the noise it adds has the standard
/// deviation of the Gaussian mechanism (σ·C locally, σ·C/√t as a site's share of central noise),
/// measured over many draws; the update is clipped to C; the standardisation tensors are left alone.
/// </summary>
public sealed class PrivateUpdateTests
{
    private const double Sigma = 1.3;
    private const double Clip = 0.7;
    private const int Draws = 3000;

    private static readonly ModelWeights Global = ModelCatalog.Initial(ModelCatalog.LogisticRegression, 8);

    [Theory]
    [InlineData("local", null)]
    [InlineData("central", 3)]
    [InlineData("central", 7)]
    public void The_noise_a_site_adds_has_the_mechanisms_standard_deviation(string mode, int? threshold)
    {
        var privacy = new TaskPrivacy { DpMode = mode, ClipNorm = Clip, NoiseMultiplier = Sigma };
        var sampler = new GaussianSampler();
        var values = new List<double>();
        for (var d = 0; d < Draws; d++)
        {
            // Local training left the model unchanged: everything in the update is noise.
            var (delta, info) = PrivateUpdate.Privatize(Global, Global, privacy, threshold, sampler);
            Assert.False(info.Clipped);
            foreach (var t in delta.Tensors)
            {
                if (LogisticRegression.FrozenTensors.Contains(t.Name)) Assert.All(t.Values, v => Assert.Equal(0, v));
                else values.AddRange(t.Values);
            }
        }
        var expected = mode == "local" ? Sigma * Clip : Sigma * Clip / Math.Sqrt(threshold!.Value);
        var mean = values.Average();
        var sd = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
        // 27 000 values: the SD estimate is within 1% of the truth with overwhelming probability; 3% is the margin.
        Assert.InRange(sd / expected, 0.97, 1.03);
        Assert.InRange(mean, -5 * expected / Math.Sqrt(values.Count), 5 * expected / Math.Sqrt(values.Count));
    }

    [Fact]
    public void An_update_longer_than_the_clip_norm_is_scaled_to_it_before_the_noise()
    {
        var local = new ModelWeights(Global.Tensors.Select(t => LogisticRegression.FrozenTensors.Contains(t.Name) ? t : t with { Values = t.Values.Select(v => v + 1.0).ToArray() }));
        var norm = Math.Sqrt(9); // coef (8) and intercept (1) each moved by 1
        var privacy = new TaskPrivacy { DpMode = "local", ClipNorm = Clip, NoiseMultiplier = Sigma };
        var sampler = new GaussianSampler();
        var sums = new double[9];
        for (var d = 0; d < Draws; d++)
        {
            var (delta, info) = PrivateUpdate.Privatize(local, Global, privacy, null, sampler);
            Assert.True(info.Clipped);
            Assert.Equal(norm, info.NormBeforeClipping, 12);
            var flat = delta[LogisticRegression.CoefTensor].Values.Concat(delta[LogisticRegression.InterceptTensor].Values).ToArray();
            for (var i = 0; i < 9; i++) sums[i] += flat[i];
        }
        // The mean update is the clipped one, C/‖u‖ per coordinate (5 standard errors of margin).
        var margin = 5 * Sigma * Clip / Math.Sqrt(Draws);
        Assert.All(sums, s => Assert.InRange(s / Draws, Clip / norm - margin, Clip / norm + margin));
    }

    [Fact]
    public void Central_noise_without_a_secure_aggregation_threshold_is_refused()
    {
        var privacy = new TaskPrivacy { DpMode = "central", ClipNorm = Clip, NoiseMultiplier = Sigma };
        var e = Assert.Throws<ArgumentException>(() => PrivateUpdate.Privatize(Global, Global, privacy, null, new GaussianSampler()));
        Assert.Contains("central DP needs secure aggregation", e.Message);
    }
}
