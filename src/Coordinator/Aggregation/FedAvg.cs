using FedRad.Shared.Tensors;

namespace FedRad.Coordinator.Aggregation;

/// <summary>
/// Federated averaging (McMahan et al. 2017): the new global model is the sample-weighted mean
/// Σ nᵢ wᵢ / Σ nᵢ of the site models. Every enrolled site trains every round.
/// </summary>
public sealed class FedAvg : IAggregationStrategy
{
    public string Name => "fedavg";

    public IReadOnlyList<string> SelectSites(IReadOnlyList<string> enrolled, int round) => enrolled;

    public IUpdateAggregator BeginRound(ModelWeights global) => new Accumulator(global);

    private sealed class Accumulator(ModelWeights global) : IUpdateAggregator
    {
        // Running Σ nᵢ wᵢ per tensor, in the global model's layout.
        private readonly double[][] _sums = global.Tensors.Select(t => new double[t.Values.Length]).ToArray();
        private double _totalWeight;

        public int Count { get; private set; }

        public void Add(ModelWeights update, long sampleCount)
        {
            if (sampleCount <= 0) throw new ArgumentOutOfRangeException(nameof(sampleCount), "sample count must be positive");
            for (var t = 0; t < _sums.Length; t++)
            {
                var values = update[global.Tensors[t].Name].Values;
                var sum = _sums[t];
                for (var i = 0; i < sum.Length; i++) sum[i] += sampleCount * values[i];
            }
            _totalWeight += sampleCount;
            Count++;
        }

        public ModelWeights Finish()
        {
            if (Count == 0) throw new InvalidOperationException("no update to average");
            return new ModelWeights(global.Tensors.Select((t, k) =>
                t with { Values = _sums[k].Select(v => v / _totalWeight).ToArray() }));
        }
    }
}
