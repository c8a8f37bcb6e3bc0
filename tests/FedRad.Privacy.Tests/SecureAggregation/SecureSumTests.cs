using FedRad.Privacy.SecureAggregation;

namespace FedRad.Privacy.Tests.SecureAggregation;

public class SecureSumTests
{
    private static double[][] RandomInputs(int sites, int length, int seed, double scale = 10)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, sites).Select(_ => Enumerable.Range(0, length).Select(_ => (rng.NextDouble() - 0.5) * 2 * scale).ToArray()).ToArray();
    }

    [Theory]
    [InlineData(3, 2, new int[0])]
    [InlineData(5, 3, new int[0])]
    [InlineData(5, 3, new[] { 1 })]
    [InlineData(7, 4, new[] { 0, 3, 6 })]
    [InlineData(8, 5, new[] { 2, 7, 4 })]
    public void The_unmasked_sum_is_the_sum_of_the_survivors_inputs_after_dropouts_after_sharing_keys(int n, int t, int[] dropped)
    {
        var config = SessionHarness.MakeConfig(n, t, 1000);
        var inputs = RandomInputs(n, 1000, seed: n * 31 + dropped.Length);
        var harness = new SessionHarness
        {
            Config = config, Inputs = inputs,
            DropAfterSharing = dropped.Select(i => config.Participants[i]).ToHashSet(),
        };
        var result = harness.Run();

        var survivors = Enumerable.Range(0, n).Except(dropped).ToList();
        Assert.Equal(survivors.Select(i => config.Participants[i]), result.Contributors);
        Assert.Equal(dropped.Order().Select(i => config.Participants[i]), result.Dropped);
        // Exactly the sum of the fixed-point values ...
        Assert.Equal(SessionHarness.FixedPointSum(inputs, survivors, config.FractionBits), result.Sum);
        // ... which is within the documented quantisation of the plain sum.
        var bound = config.Encoding.QuantisationBound(survivors.Count);
        for (var i = 0; i < result.Sum.Length; i++)
            Assert.InRange(result.Sum[i] - survivors.Sum(s => inputs[s][i]), -bound, bound);
    }

    [Fact]
    public void Sites_that_drop_before_sharing_keys_or_during_unmasking_are_tolerated_down_to_the_threshold()
    {
        var config = SessionHarness.MakeConfig(7, 4, 64);
        var inputs = RandomInputs(7, 64, seed: 5);
        var result = new SessionHarness
        {
            Config = config, Inputs = inputs,
            DropBeforeSharing = ["site-b"],          // advertised keys, then went silent
            DropAfterSharing = ["site-e"],           // shared keys, sent no input: its pairwise masks are rebuilt
            DropBeforeUnmasking = ["site-a"],        // sent its input, not its shares: 4 survivors still answer
        }.Run();

        int[] survivors = [0, 2, 3, 5, 6];
        Assert.Equal(survivors.Select(i => config.Participants[i]), result.Contributors);
        Assert.Equal(["site-e"], result.Dropped);
        Assert.Equal(SessionHarness.FixedPointSum(inputs, survivors, config.FractionBits), result.Sum);
    }

    [Fact]
    public void Fed_avg_contributions_n_times_w_and_n_give_the_sample_weighted_mean()
    {
        int[] samples = [120, 45, 300, 80];
        var weights = RandomInputs(4, 50, seed: 9, scale: 3);
        var config = SessionHarness.MakeConfig(4, 3, 51);
        var result = new SessionHarness
        {
            Config = config,
            Inputs = Enumerable.Range(0, 4).Select(s => SecureFedAvg.Contribution(weights[s], samples[s])).ToArray(),
            DropAfterSharing = ["site-c"],
        }.Run();

        var (mean, total) = SecureFedAvg.Average(result.Sum);
        int[] survivors = [0, 1, 3];
        Assert.Equal(samples[0] + samples[1] + samples[3], total);
        var plainTotal = survivors.Sum(s => (double)samples[s]);
        // Each n·w moves by at most 2^-25 when encoded; three of them over the total.
        var bound = config.Encoding.QuantisationBound(3) / plainTotal;
        for (var i = 0; i < 50; i++)
            Assert.InRange(mean[i] - survivors.Sum(s => samples[s] * weights[s][i]) / plainTotal, -bound, bound);
    }

    [Fact]
    public void Exact_statistics_sums_give_the_pooled_mean_and_standard_deviation()
    {
        // Each site sends per-feature [count, Σx, Σx²] over its patients (the standardisation aggregate).
        var rng = new Random(17);
        var cohorts = new[] { 40, 25, 60 }.Select(n => Enumerable.Range(0, n).Select(_ => new[] { 5 + 3 * rng.NextDouble(), 1000 * rng.NextDouble() }).ToArray()).ToArray();
        double[] Aggregate(double[][] rows) =>
            [rows.Length, rows.Sum(r => r[0]), rows.Sum(r => r[0] * r[0]), rows.Sum(r => r[1]), rows.Sum(r => r[1] * r[1])];
        var config = SessionHarness.MakeConfig(3, 2, 5, fractionBits: 16);
        var result = new SessionHarness { Config = config, Inputs = cohorts.Select(Aggregate).ToArray() }.Run();

        var pooled = cohorts.SelectMany(c => c).ToArray();
        var n = result.Sum[0];
        Assert.Equal(pooled.Length, n);
        for (var f = 0; f < 2; f++)
        {
            var column = pooled.Select(r => r[f]).ToArray();
            var mean = column.Average();
            var sd = Math.Sqrt(column.Sum(x => (x - mean) * (x - mean)) / (column.Length - 1));
            var secureMean = result.Sum[1 + 2 * f] / n;
            var secureSd = Math.Sqrt((result.Sum[2 + 2 * f] - n * secureMean * secureMean) / (n - 1));
            Assert.Equal(mean, secureMean, 1e-6 * Math.Abs(mean));
            Assert.Equal(sd, secureSd, 1e-6 * sd);
        }
    }

    [Fact]
    public void The_coordinator_state_survives_a_json_round_trip_between_every_phase()
    {
        var config = SessionHarness.MakeConfig(5, 3, 200);
        var inputs = RandomInputs(5, 200, seed: 3);
        var persisted = 0;
        var result = new SessionHarness
        {
            Config = config, Inputs = inputs, DropAfterSharing = ["site-d"],
            BetweenPhases = c => { persisted++; return SecAggCoordinator.FromJson(c.ToJson()); },
        }.Run();
        Assert.Equal(4, persisted);
        Assert.Equal(SessionHarness.FixedPointSum(inputs, [0, 1, 2, 4], config.FractionBits), result.Sum);
    }

    [Fact]
    public void A_value_beyond_the_overflow_bound_is_refused_with_its_index()
    {
        var encoding = new FixedPointEncoding(24, 10);
        Assert.Equal(Math.Floor(9223372036854775808.0 / 10) / (1 << 24), encoding.MaxAbsValue);
        var e = Assert.Throws<SecAggException>(() => encoding.Encode([1.0, -2.0, 6e10]));
        Assert.Contains("element 2", e.Message);
        Assert.Contains("fewer fraction bits", e.Message);
        Assert.Contains("element 0 is NaN", Assert.Throws<SecAggException>(() => encoding.Encode([double.NaN])).Message);
        // Just inside the bound, ten such values still sum without wrapping.
        var edge = Math.BitDecrement(encoding.MaxAbsValue);
        var encoded = encoding.Encode([-edge]);
        var sum = 0UL;
        for (var k = 0; k < 10; k++) sum = unchecked(sum + encoded[0]);
        Assert.Equal(-10 * Math.Round(edge * (1 << 24)) / (1 << 24), encoding.Decode([sum])[0]);
    }
}
