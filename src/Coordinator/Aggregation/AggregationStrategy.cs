using FedRad.Shared.Tensors;

namespace FedRad.Coordinator.Aggregation;

/// <summary>What every strategy shares: its options, client sampling and no site parameters unless it has some.</summary>
public abstract class AggregationStrategy(StrategyOptions? options) : IAggregationStrategy
{
    private static readonly IReadOnlyDictionary<string, double> NoParameters = new Dictionary<string, double>();

    public abstract string Name { get; }

    public StrategyOptions Options { get; } = options ?? StrategyOptions.Default;

    public IReadOnlyList<string> SelectSites(IReadOnlyList<string> enrolled, int round) => SiteSampling.Select(enrolled, round, Options);

    public virtual IReadOnlyDictionary<string, double> SiteParameters => NoParameters;

    public virtual int MinimumUpdates => 1;

    public abstract IUpdateAggregator BeginRound(ModelWeights global, ModelWeights? serverState = null);
}
