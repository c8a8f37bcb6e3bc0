using FedRad.Shared.Tensors;

namespace FedRad.Coordinator.Aggregation;

/// <summary>
/// Krum (Blanchard et al. 2017): with n updates of which at most f are Byzantine, each update i is scored by the sum of
/// its squared distances to its n − f − 2 nearest other updates, and the lowest-scored update becomes the new global
/// model. Multi-Krum (krum_m = m &gt; 1) averages the m lowest-scored updates, unweighted. Needs n ≥ 2f + 3. Ties go
/// to the smaller site id. Buffers every update.
/// </summary>
public sealed class Krum(StrategyOptions? options = null) : AggregationStrategy(options)
{
    public override string Name => "krum";

    public override int MinimumUpdates => 2 * Options.KrumByzantine + 3;

    public override IUpdateAggregator BeginRound(ModelWeights global, ModelWeights? serverState = null) => new Aggregator(global, Options);

    private sealed class Aggregator(ModelWeights global, StrategyOptions options) : BufferingAggregator(global, options)
    {
        protected override double[][] Rule(IReadOnlyList<Buffered> updates)
        {
            var (n, f, m) = (updates.Count, Options.KrumByzantine, Options.KrumSelect);
            if (n < 2 * f + 3) throw new InvalidOperationException($"krum with f = {f} needs at least {2 * f + 3} updates, got {n}");
            if (m > n - f) throw new InvalidOperationException($"multi-krum with m = {m} and f = {f} needs at least {m + f} updates, got {n}");

            var d2 = new double[n, n];
            for (var i = 0; i < n; i++)
                for (var j = i + 1; j < n; j++)
                {
                    var d = Distance(updates[i].Values, updates[j].Values);
                    d2[i, j] = d2[j, i] = d * d;
                }
            var scores = Enumerable.Range(0, n)
                .Select(i => Enumerable.Range(0, n).Where(j => j != i).Select(j => d2[i, j]).Order().Take(n - f - 2).Sum())
                .ToArray();
            var chosen = Enumerable.Range(0, n).OrderBy(i => scores[i]).ThenBy(i => i).Take(m).ToList();
            Note($"krum (f = {f}, m = {m}) chose {string.Join(", ", chosen.Select(i => updates[i].Who))}; scores: " +
                 string.Join(", ", Enumerable.Range(0, n).Select(i => $"{updates[i].Who} {scores[i]:G4}")));

            var result = NewLikeGlobal();
            foreach (var i in chosen)
                for (var t = 0; t < result.Length; t++)
                {
                    var (r, v) = (result[t], updates[i].Values[t]);
                    for (var k = 0; k < r.Length; k++) r[k] += v[k] / m;
                }
            return result;
        }
    }
}
