using FedRad.Shared.Tensors;

namespace FedRad.Coordinator.Aggregation;

/// <summary>
/// How a round is configured and its training results combined (after Flower's Strategy).
/// Every aggregation method implements this one abstraction.
/// </summary>
public interface IAggregationStrategy
{
    string Name { get; }

    /// <summary>The sites asked to train in <paramref name="round"/>.</summary>
    IReadOnlyList<string> SelectSites(IReadOnlyList<string> enrolled, int round);

    /// <summary>Starts folding the updates of one round, given the global model they started from.</summary>
    IUpdateAggregator BeginRound(ModelWeights global);
}

/// <summary>Folds updates as they arrive; memory stays proportional to one model, not to the number of sites.</summary>
public interface IUpdateAggregator
{
    void Add(ModelWeights update, long sampleCount);
    int Count { get; }
    /// <summary>The new global model. Requires at least one update.</summary>
    ModelWeights Finish();
}

public static class Strategies
{
    private static readonly Dictionary<string, IAggregationStrategy> Known = new(StringComparer.OrdinalIgnoreCase)
    {
        ["fedavg"] = new FedAvg(),
    };

    public static IReadOnlyCollection<string> Names => Known.Keys;

    public static IAggregationStrategy Get(string name) =>
        Known.TryGetValue(name, out var s) ? s : throw new ArgumentException($"unknown aggregation strategy '{name}' (known: {string.Join(", ", Known.Keys)})");
}
