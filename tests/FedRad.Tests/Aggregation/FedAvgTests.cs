using FedRad.Coordinator.Aggregation;
using FedRad.Shared.Tensors;

namespace FedRad.Tests.Aggregation;

public sealed class FedAvgTests
{
    private static ModelWeights W(double[] a, double b) =>
        new([new WeightTensor("w", [a.Length], a), new WeightTensor("b", [1], [b])]);

    [Fact]
    public void Averages_updates_weighted_by_sample_count()
    {
        var agg = new FedAvg().BeginRound(W([0, 0, 0], 0));
        agg.Add(W([1, 2, 3], 1), 100);
        agg.Add(W([4, 5, 6], -1), 300);
        agg.Add(W([0, 0, 0], 2), 100);
        var result = agg.Finish();

        // (100·[1,2,3] + 300·[4,5,6] + 100·[0,0,0]) / 500 = [2.6, 3.4, 4.2]; (100 − 300 + 200) / 500 = 0
        Assert.Equal(2.6, result["w"].Values[0], 12);
        Assert.Equal(3.4, result["w"].Values[1], 12);
        Assert.Equal(4.2, result["w"].Values[2], 12);
        Assert.Equal(0.0, result["b"].Values[0], 12);
        Assert.Equal(3, agg.Count);
    }

    [Fact]
    public void Order_of_arrival_does_not_change_the_result()
    {
        var updates = Enumerable.Range(1, 7).Select(i => (W([i * 0.1, -i], i * i), (long)(i * 13 % 5 + 1))).ToList();
        var forward = new FedAvg().BeginRound(W([0, 0], 0));
        var backward = new FedAvg().BeginRound(W([0, 0], 0));
        foreach (var (w, n) in updates) forward.Add(w, n);
        foreach (var (w, n) in updates.AsEnumerable().Reverse()) backward.Add(w, n);
        var a = forward.Finish();
        var b = backward.Finish();
        for (var i = 0; i < 2; i++) Assert.Equal(a["w"].Values[i], b["w"].Values[i], 12);
        Assert.Equal(a["b"].Values[0], b["b"].Values[0], 12);
    }

    [Fact]
    public void Refuses_to_finish_without_updates_and_rejects_nonpositive_counts()
    {
        var agg = new FedAvg().BeginRound(W([0], 0));
        Assert.Throws<InvalidOperationException>(() => agg.Finish());
        Assert.Throws<ArgumentOutOfRangeException>(() => agg.Add(W([1], 1), 0));
    }

    [Fact]
    public void Unknown_strategy_names_are_refused_with_the_known_ones()
    {
        var e = Assert.Throws<ArgumentException>(() => Strategies.Get("fedsomething"));
        Assert.Contains("fedavg", e.Message);
    }
}
