using FedRad.Coordinator.Aggregation;

namespace FedRad.Aggregation.Tests;

public sealed class SamplingAndOptionsTests
{
    private static readonly string[] Sites = Enumerable.Range(1, 10).Select(i => $"hospital-{i:D2}").ToArray();

    [Fact]
    public void Fraction_one_keeps_every_site_in_enrolment_order()
    {
        var enrolled = Sites.Reverse().ToArray();
        Assert.Equal(enrolled, new FedAvg().SelectSites(enrolled, 3));
    }

    [Fact]
    public void Sampling_takes_the_ceiling_of_the_fraction_and_at_least_min_fit_sites()
    {
        var o = new StrategyOptions { FractionFit = 0.25, SamplingSeed = 42 };
        Assert.Equal(3, SiteSampling.Select(Sites, 1, o).Count);                                  // ⌈2.5⌉
        Assert.Equal(6, SiteSampling.Select(Sites, 1, o with { MinFitSites = 6 }).Count);
        Assert.Equal(10, SiteSampling.Select(Sites, 1, o with { MinFitSites = 60 }).Count);       // capped at the enrolled
    }

    [Fact]
    public void Sampling_is_fixed_by_seed_and_round_not_by_enrolment_order()
    {
        var o = new StrategyOptions { FractionFit = 0.3, SamplingSeed = 7 };
        var a = SiteSampling.Select(Sites, 5, o);
        Assert.Equal(a, SiteSampling.Select(Sites.Reverse().ToArray(), 5, o));
        Assert.Equal(a, SiteSampling.Select(Sites, 5, o));
        Assert.Equal(3, a.Distinct().Count());
        Assert.All(a, s => Assert.Contains(s, Sites));
        // Across rounds and seeds the draws differ.
        Assert.True(Enumerable.Range(1, 20).Select(r => string.Join(",", SiteSampling.Select(Sites, r, o))).Distinct().Count() > 10);
        Assert.NotEqual(a, SiteSampling.Select(Sites, 5, o with { SamplingSeed = 8 }));
    }

    [Fact]
    public void Every_site_is_sampled_about_equally_often()
    {
        // 4000 rounds × 3 of 10 sites: each site is expected 1200 times (binomial sd ≈ 29); allow ±150.
        var o = new StrategyOptions { FractionFit = 0.3, SamplingSeed = 11 };
        var counts = Sites.ToDictionary(s => s, _ => 0);
        for (var r = 1; r <= 4000; r++) foreach (var s in SiteSampling.Select(Sites, r, o)) counts[s]++;
        Assert.All(counts.Values, c => Assert.InRange(c, 1050, 1350));
    }

    [Fact]
    public void FedProx_sends_mu_to_the_sites_and_averages_like_FedAvg()
    {
        var prox = Strategies.Create("fedprox", new StrategyOptions { ProximalMu = 0.1 });
        Assert.Equal(0.1, prox.SiteParameters[FedProx.ProximalMuParameter]);
        Assert.Empty(Strategies.Get("fedavg").SiteParameters);
        var a = prox.BeginRound(Models.W(0, 0));
        a.Add(Models.W(1, 2), 100);
        a.Add(Models.W(4, 5), 300);
        Assert.Equal([3.25, 4.25], Models.Values(a.Finish()));   // (100·[1,2] + 300·[4,5]) / 400
    }

    [Fact]
    public void Parameters_are_parsed_by_name_and_bad_ones_are_named()
    {
        var o = StrategyOptions.FromParameters(new Dictionary<string, double> { ["proximal_mu"] = 0.5, ["krum_f"] = 2, ["fraction_fit"] = 0.5 });
        Assert.Equal(0.5, o.ProximalMu);
        Assert.Equal(2, o.KrumByzantine);
        Assert.Equal(0.5, o.FractionFit);
        Assert.Equal(StrategyOptions.Default.Beta1, o.Beta1);

        Assert.Contains("'mu'", Assert.Throws<ArgumentException>(() => StrategyOptions.FromParameters(new Dictionary<string, double> { ["mu"] = 1 })).Message);
        Assert.Contains("krum_f' must be an integer, got 1.5", Assert.Throws<ArgumentException>(() => StrategyOptions.FromParameters(new Dictionary<string, double> { ["krum_f"] = 1.5 })).Message);
        Assert.Contains("trim_fraction must be in [0, 0.5), got 0.7", Assert.Throws<ArgumentException>(() => StrategyOptions.FromParameters(new Dictionary<string, double> { ["trim_fraction"] = 0.7 })).Message);
        Assert.Contains("fraction_fit must be in (0, 1], got 0", Assert.Throws<ArgumentException>(() => Strategies.Create("fedavg", new StrategyOptions { FractionFit = 0 })).Message);
    }

    [Fact]
    public void Every_strategy_is_reachable_by_name()
    {
        Assert.Equal(["fedavg", "fedprox", "fedadam", "fedyogi", "fedadagrad", "median", "trimmed-mean", "krum"], Strategies.Names);
        foreach (var name in Strategies.Names) Assert.Equal(name, Strategies.Get(name).Name);
    }
}

public sealed class StreamingFoldTests
{
    [Fact]
    public void The_vectorised_fold_matches_a_plain_weighted_mean_for_lengths_that_are_not_a_multiple_of_the_vector()
    {
        var rng = new Random(5);
        var updates = Enumerable.Range(0, 4).Select(_ => Enumerable.Range(0, 11).Select(_ => rng.NextDouble() * 2 - 1).ToArray()).ToArray();
        long[] counts = [3, 17, 1, 8];
        var agg = new FedAvg().BeginRound(Models.W(new double[11]));
        for (var s = 0; s < 4; s++) agg.Add(Models.W(updates[s]), counts[s]);
        var result = Models.Values(agg.Finish());
        for (var i = 0; i < 11; i++)
        {
            double num = 0;
            for (var s = 0; s < 4; s++) num += counts[s] * updates[s][i];
            Assert.Equal(num / 29, result[i], 14);
        }
        // The norm reference of the next round is the median distance of the four updates to the (zero) global model.
        var norms = updates.Select(u => Math.Sqrt(u.Sum(v => v * v))).Order().ToArray();
        Assert.Equal((norms[1] + norms[2]) / 2, agg.NextServerState![RoundAggregator.ReferenceNormTensor].Values[0], 14);
    }
}
