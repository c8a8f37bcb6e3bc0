using FedRad.Coordinator.Aggregation;
using static FedRad.Aggregation.Tests.Models;

namespace FedRad.Aggregation.Tests;

public sealed class RobustAggregationTests
{
    private static readonly StrategyOptions NoNormCheck = new() { NormOutlierFactor = 0 };

    private static double[] Run(string strategy, StrategyOptions options, params double[][] updates)
    {
        var agg = Strategies.Create(strategy, options).BeginRound(W(new double[updates[0].Length]));
        for (var i = 0; i < updates.Length; i++) Assert.True(agg.Add(W(updates[i]), 10 * (i + 1), $"site-{(char)('a' + i)}").Accepted);
        return Values(agg.Finish());
    }

    [Fact]
    public void Median_is_the_middle_value_of_each_coordinate_whatever_the_sample_counts()
    {
        // Coordinate 0: {1, 5, 3} → 3; coordinate 1: {−4, 0, 100} → 0.
        Assert.Equal([3.0, 0.0], Run("median", NoNormCheck, [1, -4], [5, 0], [3, 100]));
        // Even count: mean of the two middle values. {1, 2, 3, 10} → 2.5.
        Assert.Equal([2.5], Run("median", NoNormCheck, [10], [1], [3], [2]));
    }

    [Fact]
    public void Trimmed_mean_drops_floor_beta_n_values_at_each_end()
    {
        // β = 0.25, n = 4 → k = 1: {1, 100, 2, 3} → mean of {2, 3} = 2.5; {−50, 0, 1, 2} → mean of {0, 1} = 0.5.
        var o = NoNormCheck with { TrimFraction = 0.25 };
        Assert.Equal([2.5, 0.5], Run("trimmed-mean", o, [1, -50], [100, 0], [2, 1], [3, 2]));
        // β = 0.2, n = 4 → k = 0: the plain (unweighted) mean.
        Assert.Equal([26.5], Run("trimmed-mean", o with { TrimFraction = 0.2 }, [1], [100], [2], [3]));
    }

    [Fact]
    public void Krum_picks_the_update_closest_to_its_n_minus_f_minus_2_neighbours()
    {
        // 1-D updates 0, 1, 2, 3, 100 with f = 1: each update's score sums its 2 smallest squared distances:
        // 0 → 1 + 4 = 5; 1 → 1 + 1 = 2; 2 → 1 + 1 = 2; 3 → 1 + 4 = 5; 100 → 97² + 98² = 19013.
        // 1 and 2 tie; the smaller site id (site-b, value 1) wins.
        var o = NoNormCheck with { KrumByzantine = 1 };
        Assert.Equal([1.0], Run("krum", o, [0], [1], [2], [3], [100]));
        // Multi-Krum with m = 2 averages the two best: (1 + 2) / 2.
        Assert.Equal([1.5], Run("krum", o with { KrumSelect = 2 }, [0], [1], [2], [3], [100]));
        // In 2-D: the cluster around (0, 0) wins over two far points; f = 1 → 2 neighbours each.
        // (0,0): (1,0)→1, (0,1)→1 ⇒ 2; (1,0): (0,0)→1, (0,1)→2 ⇒ 3; (0,1): 1 + 2 = 3; (9,9) and (9,8): 1 + 113 and 1 + 128.
        Assert.Equal([0.0, 0.0], Run("krum", o, [1, 0], [0, 1], [0, 0], [9, 9], [9, 8]));
    }

    [Fact]
    public void Krum_refuses_too_few_updates_and_says_how_many_it_needs()
    {
        var s = Strategies.Create("krum", NoNormCheck with { KrumByzantine = 2 });
        Assert.Equal(7, s.MinimumUpdates);
        var agg = s.BeginRound(W(0));
        for (var i = 0; i < 6; i++) agg.Add(W(i), 1, $"s{i}");
        var e = Assert.Throws<InvalidOperationException>(() => agg.Finish());
        Assert.Contains("at least 7 updates, got 6", e.Message);
    }

    [Theory]
    [InlineData("median")]
    [InlineData("trimmed-mean")]
    [InlineData("krum")]
    public void Buffering_rules_do_not_depend_on_arrival_order(string strategy)
    {
        var rng = new Random(7);
        var updates = Enumerable.Range(0, 7).Select(i => (Site: $"site-{i}", W: Enumerable.Range(0, 5).Select(_ => rng.NextDouble() * 10 - 5).ToArray())).ToList();
        double[] Fold(IEnumerable<(string Site, double[] W)> order)
        {
            var agg = Strategies.Create(strategy, StrategyOptions.Default with { TrimFraction = 0.3, KrumSelect = 2 }).BeginRound(W(new double[5]));
            foreach (var (site, w) in order) agg.Add(W(w), 3, site);
            return Values(agg.Finish());
        }
        Assert.Equal(Fold(updates), Fold(updates.AsEnumerable().Reverse()));
        Assert.Equal(Fold(updates), Fold(updates.OrderBy(u => u.W[2])));
    }

    [Fact]
    public void A_wildly_scaled_update_is_excluded_by_the_median_norm_check_and_logged()
    {
        // Norms (distance to the zero global model) 1, 2, 3, 4, 2000: median 3, limit 10 × 3 = 30.
        var agg = Strategies.Create("trimmed-mean", StrategyOptions.Default with { TrimFraction = 0 }).BeginRound(W(0, 0));
        agg.Add(W(1, 0), 1, "a");
        agg.Add(W(0, 2), 1, "b");
        agg.Add(W(3, 0), 1, "c");
        agg.Add(W(0, 4), 1, "d");
        agg.Add(W(2000, 0), 1, "e");
        Assert.Equal([1.0, 1.5], Values(agg.Finish()));   // mean of a..d
        var line = Assert.Single(agg.Log, l => l.StartsWith("excluded"));
        Assert.Contains("site 'e'", line);
        Assert.Contains("= 2000 is 666.7 times this round's median 3, above the limit of 10", line);
    }
}
