using FedRad.Coordinator.Aggregation;
using FedRad.Shared.Tensors;
using static FedRad.Aggregation.Tests.Models;

namespace FedRad.Aggregation.Tests;

/// <summary>Bad updates are rejected by every strategy with a reason the round logs, and change nothing.</summary>
public sealed class ScreeningTests
{
    public static TheoryData<string> All => [.. Strategies.Names];

    [Theory]
    [MemberData(nameof(All))]
    public void NaN_Inf_and_wrong_architecture_are_rejected_with_the_reason(string strategy)
    {
        var agg = Strategies.Create(strategy, StrategyOptions.Default with { KrumByzantine = 0 }).BeginRound(WB([0, 0], 0));
        var nan = agg.Add(WB([1, double.NaN], 0), 5, "x");
        Assert.False(nan.Accepted);
        Assert.Equal("tensor 'w' has a non-finite value (NaN) at element 1", nan.Reason);
        Assert.False(agg.Add(WB([1, 1], double.PositiveInfinity), 5, "x").Accepted);
        var shape = agg.Add(WB([1, 1, 1], 0), 5, "y");
        Assert.Equal("tensor 'w' has shape [3], expected [2]", shape.Reason);
        var missing = agg.Add(W(1, 1), 5, "z");
        Assert.Contains("expected 2 tensors (w, b) but got 1 (w)", missing.Reason);
        Assert.Equal(0, agg.Count);
        Assert.Equal(4, agg.Log.Count(l => l.StartsWith("rejected site")));

        // Three good updates afterwards aggregate as if the bad ones had never come.
        agg.Add(WB([1, 1], 1), 5, "a");
        agg.Add(WB([1, 1], 1), 5, "b");
        agg.Add(WB([1, 1], 1), 5, "c");
        Assert.Equal(3, agg.Count);
        if (strategy is "fedavg" or "fedprox" or "median" or "trimmed-mean" or "krum")
            Assert.Equal([1.0, 1.0], Values(agg.Finish()));
        else
            Assert.All(Values(agg.Finish()), v => Assert.True(v > 0));   // a server-optimiser step towards the updates
    }

    [Theory]
    [InlineData("fedavg")]
    [InlineData("fedprox")]
    [InlineData("fedadam")]
    public void Streaming_strategies_reject_norm_outliers_against_the_previous_round(string strategy)
    {
        var s = Strategies.Get(strategy);
        var r1 = s.BeginRound(W(0, 0));
        r1.Add(W(3, 4), 1, "a");     // norm 5
        r1.Add(W(0, 1), 1, "b");     // norm 1
        r1.Add(W(0, 3), 1, "c");     // norm 3 → median 3
        var g = r1.Finish();
        Assert.Equal(3.0, r1.NextServerState![RoundAggregator.ReferenceNormTensor].Values[0]);

        var r2 = s.BeginRound(g, r1.NextServerState);
        var gv = Values(g);
        Assert.True(r2.Add(W(gv[0] + 29, gv[1]), 1, "a").Accepted);         // 29 ≤ 10 × 3
        var far = r2.Add(W(gv[0] + 3000, gv[1]), 1, "b");                   // 1000 × the reference
        Assert.False(far.Accepted);
        Assert.Contains("= 3000 is 1000 times the reference 3 (median of the previous round's accepted updates), above the limit of 10", far.Reason);
        Assert.Contains(r2.Log, l => l.StartsWith("rejected site 'b'"));
    }

    [Fact]
    public void The_first_streaming_round_has_no_reference_and_checks_no_norm()
    {
        var agg = Strategies.Get("fedavg").BeginRound(W(0));
        Assert.True(agg.Add(W(1), 1).Accepted);
        Assert.True(agg.Add(W(1e9), 1).Accepted);
    }

    [Fact]
    public void Rejected_updates_are_named_by_arrival_when_no_site_id_is_given()
    {
        var agg = Strategies.Get("fedavg").BeginRound(W(0));
        agg.Add(W(1), 1);
        agg.Add(W(double.NaN), 1);
        Assert.Equal("rejected update #2: tensor 'w' has a non-finite value (NaN) at element 0", Assert.Single(agg.Log));
    }

    [Fact]
    public void The_result_keeps_the_global_models_wire_types()
    {
        var global = new ModelWeights([new WeightTensor("w", [2], [0, 0], FedRad.Protocol.V1.DType.Float32)]);
        var agg = Strategies.Get("median").BeginRound(global);
        agg.Add(new ModelWeights([new WeightTensor("w", [2], [1, 2], FedRad.Protocol.V1.DType.Float32)]), 1);
        Assert.Equal(FedRad.Protocol.V1.DType.Float32, agg.Finish()["w"].WireType);
    }
}
