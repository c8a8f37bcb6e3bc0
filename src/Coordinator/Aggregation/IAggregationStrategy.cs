using FedRad.Shared.Tensors;

namespace FedRad.Coordinator.Aggregation;

/// <summary>
/// How a round is configured and its training results combined (after Flower's Strategy).
/// Every aggregation method implements this one abstraction.
/// </summary>
public interface IAggregationStrategy
{
    string Name { get; }

    StrategyOptions Options { get; }

    /// <summary>The sites asked to train in <paramref name="round"/>.</summary>
    IReadOnlyList<string> SelectSites(IReadOnlyList<string> enrolled, int round);

    /// <summary>Parameters every selected site receives with its training task (FedProx: <c>proximal_mu</c>); empty for most strategies.</summary>
    IReadOnlyDictionary<string, double> SiteParameters { get; }

    /// <summary>
    /// The fewest accepted updates the aggregation rule can work with (Krum with f Byzantine sites needs 2f + 3);
    /// a round's quorum should be at least this.
    /// </summary>
    int MinimumUpdates { get; }

    /// <summary>
    /// Starts folding the updates of one round, given the global model they started from and the server state the
    /// previous round left (<see cref="IUpdateAggregator.NextServerState"/>; null in the first round).
    /// </summary>
    IUpdateAggregator BeginRound(ModelWeights global, ModelWeights? serverState = null);
}

/// <summary>
/// Folds the updates of one round. Streaming strategies keep memory proportional to one model whatever the number
/// of sites; robust strategies that need every update at once (median, trimmed mean, Krum) buffer them.
/// </summary>
public interface IUpdateAggregator
{
    /// <summary>
    /// Screens one site's update (architecture, finite values, norm) and folds it in when it passes. A rejected update
    /// changes nothing; the verdict says why, for the round's log. Throws only on a non-positive sample count.
    /// </summary>
    UpdateVerdict Add(ModelWeights update, long sampleCount, string siteId = "");

    /// <summary>Accepted updates so far.</summary>
    int Count { get; }

    /// <summary>The new global model. Requires at least <see cref="IAggregationStrategy.MinimumUpdates"/> accepted updates.</summary>
    ModelWeights Finish();

    /// <summary>
    /// What the next round's <see cref="IAggregationStrategy.BeginRound"/> needs (server optimiser moments, the norm
    /// reference for screening), as named float64 tensors a blob store can keep. Set by <see cref="Finish"/>.
    /// </summary>
    ModelWeights? NextServerState { get; }

    /// <summary>What the strategy decided this round (rejections, exclusions, selections), one line each, for the round's log.</summary>
    IReadOnlyList<string> Log { get; }
}

/// <summary>The strategy's answer to one update: accepted, or rejected with the reason.</summary>
public sealed record UpdateVerdict(bool Accepted, string Reason)
{
    public static readonly UpdateVerdict Ok = new(true, "");
    public static UpdateVerdict Rejected(string reason) => new(false, reason);
}

public static class Strategies
{
    private static readonly Dictionary<string, Func<StrategyOptions, IAggregationStrategy>> Known = new(StringComparer.OrdinalIgnoreCase)
    {
        ["fedavg"] = o => new FedAvg(o),
        ["fedprox"] = o => new FedProx(o),
        ["fedadam"] = o => new FedOpt(FedOptVariant.Adam, o),
        ["fedyogi"] = o => new FedOpt(FedOptVariant.Yogi, o),
        ["fedadagrad"] = o => new FedOpt(FedOptVariant.Adagrad, o),
        ["median"] = o => new CoordinateMedian(o),
        ["trimmed-mean"] = o => new TrimmedMean(o),
        ["krum"] = o => new Krum(o),
    };

    public static IReadOnlyCollection<string> Names => Known.Keys;

    /// <summary>The named strategy with default options.</summary>
    public static IAggregationStrategy Get(string name) => Create(name, StrategyOptions.Default);

    /// <summary>The named strategy with <paramref name="options"/> (checked: an invalid option throws naming it).</summary>
    public static IAggregationStrategy Create(string name, StrategyOptions options)
    {
        if (!Known.TryGetValue(name, out var make))
            throw new ArgumentException($"unknown aggregation strategy '{name}' (known: {string.Join(", ", Known.Keys)})");
        var problems = options.Problems();
        if (problems.Count > 0) throw new ArgumentException($"invalid options for strategy '{name}': {string.Join("; ", problems)}");
        return make(options);
    }
}
