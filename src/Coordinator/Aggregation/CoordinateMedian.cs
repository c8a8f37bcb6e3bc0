using FedRad.Shared.Tensors;

namespace FedRad.Coordinator.Aggregation;

/// <summary>
/// Coordinate-wise median (Yin et al. 2018): every parameter of the new global model is the median of that parameter
/// over the accepted updates (mean of the two middle values for an even count). Unweighted: a site's sample count does
/// not buy it more influence, which is the point of a robust rule. Buffers every update.
/// </summary>
public sealed class CoordinateMedian(StrategyOptions? options = null) : AggregationStrategy(options)
{
    public override string Name => "median";

    public override IUpdateAggregator BeginRound(ModelWeights global, ModelWeights? serverState = null) => new Aggregator(global, Options);

    private sealed class Aggregator(ModelWeights global, StrategyOptions options) : BufferingAggregator(global, options)
    {
        protected override double[][] Rule(IReadOnlyList<Buffered> updates)
        {
            var n = updates.Count;
            return CoordinateWise(updates, sorted => n % 2 == 1 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]));
        }
    }
}

/// <summary>
/// Coordinate-wise trimmed mean (Yin et al. 2018): for every parameter, drop the k = ⌊β n⌋ largest and k smallest of
/// the n values and average the rest (β = trim_fraction). Unweighted. Buffers every update.
/// </summary>
public sealed class TrimmedMean(StrategyOptions? options = null) : AggregationStrategy(options)
{
    public override string Name => "trimmed-mean";

    public override IUpdateAggregator BeginRound(ModelWeights global, ModelWeights? serverState = null) => new Aggregator(global, Options);

    private sealed class Aggregator(ModelWeights global, StrategyOptions options) : BufferingAggregator(global, options)
    {
        protected override double[][] Rule(IReadOnlyList<Buffered> updates)
        {
            var n = updates.Count;
            var k = (int)Math.Floor(Options.TrimFraction * n);
            Note($"trimmed mean of {n} updates: {k} value(s) dropped at each end of every coordinate");
            return CoordinateWise(updates, sorted =>
            {
                double sum = 0;
                for (var i = k; i < n - k; i++) sum += sorted[i];
                return sum / (n - 2 * k);
            });
        }
    }
}
