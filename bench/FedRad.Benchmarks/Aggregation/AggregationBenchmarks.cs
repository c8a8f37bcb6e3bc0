using System.Numerics;
using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using FedRad.Benchmarks.DeepLearning;
using FedRad.Coordinator.Aggregation;
using FedRad.Shared.Tensors;

namespace FedRad.Benchmarks.Aggregation;

/// <summary>
/// One round of each strategy over 20 site updates of a 10M-parameter model (10 tensors of 1M; updates are held as
/// float64, 80 MB each, 1.6 GB per round), beside memory-bandwidth baselines over the same bytes measured in the same
/// run: a vectorised read of every update, and a vectorised fold sum += n·w (the FedAvg loop at SIMD speed).
/// Throughput = 1.6 GB / mean time. Run in Release, in process (one round takes seconds; few iterations suffice):
///   scripts/torchsharp-runtime.sh run bench/FedRad.Benchmarks/bin/Release/net10.0/FedRad.Benchmarks --filter '*AggregationBenchmarks*'
/// </summary>
[Config(typeof(InProcessMonitoringConfig))]
[MemoryDiagnoser]
public class AggregationBenchmarks
{
    public const int Sites = 20;
    public const int Tensors = 10;
    public const int TensorSize = 1_000_000;
    private ModelWeights _global = null!;
    private ModelWeights[] _updates = null!;
    private double[][] _sums = null!;

    [Params("fedavg", "fedadam", "median", "trimmed-mean", "krum")]
    public string Strategy { get; set; } = "fedavg";

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(1);
        _global = Model(_ => 0);
        _updates = Enumerable.Range(0, Sites).Select(_ => Model(_ => rng.NextDouble() - 0.5)).ToArray();
        _sums = Enumerable.Range(0, Tensors).Select(_ => new double[TensorSize]).ToArray();
    }

    private static ModelWeights Model(Func<int, double> value) =>
        new(Enumerable.Range(0, Tensors).Select(t => new WeightTensor($"layer{t}.weight", [1000, 1000], Enumerable.Range(0, TensorSize).Select(value).ToArray(), FedRad.Protocol.V1.DType.Float32)));

    [Benchmark(Description = "one round, 20 sites")]
    public ModelWeights Round()
    {
        var agg = Strategies.Create(Strategy, StrategyOptions.Default with { KrumByzantine = 2 }).BeginRound(_global);
        for (var s = 0; s < Sites; s++) agg.Add(_updates[s], 100 + s, $"site-{s:D2}");
        return agg.Finish();
    }

    [Benchmark(Description = "baseline: vectorised read of the 20 updates")]
    public double ReadBaseline()
    {
        if (Strategy != "fedavg") return 0;   // strategy-independent: measured once
        // Four independent accumulators, so that the loop waits on memory rather than on the latency of one add chain.
        Vector<double> a = default, b = default, c = default, d = default;
        foreach (var u in _updates)
            foreach (var t in u.Tensors)
            {
                var v = MemoryMarshal.Cast<double, Vector<double>>(t.Values.AsSpan());
                for (var i = 0; i + 3 < v.Length; i += 4) { a += v[i]; b += v[i + 1]; c += v[i + 2]; d += v[i + 3]; }
            }
        return Vector.Sum(a + b + c + d);
    }

    [Benchmark(Description = "baseline: vectorised fold sum += n·w")]
    public double FoldBaseline()
    {
        if (Strategy != "fedavg") return 0;
        for (var s = 0; s < Sites; s++)
            for (var t = 0; t < Tensors; t++)
            {
                var n = new Vector<double>(100 + s);
                var sum = MemoryMarshal.Cast<double, Vector<double>>(_sums[t].AsSpan());
                var w = MemoryMarshal.Cast<double, Vector<double>>(_updates[s].Tensors[t].Values.AsSpan());
                for (var i = 0; i < sum.Length; i++) sum[i] += n * w[i];
            }
        return _sums[0][0];
    }
}
