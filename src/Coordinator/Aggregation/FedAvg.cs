using FedRad.Shared.Tensors;

namespace FedRad.Coordinator.Aggregation;

/// <summary>
/// Federated averaging (McMahan et al. 2017): the new global model is the sample-weighted mean
/// Σ nᵢ wᵢ / Σ nᵢ of the site models, folded as they arrive (memory of one model).
/// </summary>
public sealed class FedAvg(StrategyOptions? options = null) : AggregationStrategy(options)
{
    public override string Name => "fedavg";

    public override IUpdateAggregator BeginRound(ModelWeights global, ModelWeights? serverState = null) =>
        new Accumulator(global, serverState, Options);

    /// <summary>FedAvg's fold and result; FedProx aggregates the same way.</summary>
    internal sealed class Accumulator(ModelWeights global, ModelWeights? serverState, StrategyOptions options)
        : StreamingAggregator(global, serverState, options)
    {
        protected override double[][] Combine()
        {
            NextServerState = new ModelWeights([NextReference()]);
            return WeightedMean();
        }
    }
}

/// <summary>
/// FedProx (Li et al. 2020): the sites add the proximal term μ/2 ‖w − w_global‖² to their local loss, which keeps
/// heterogeneous sites near the global model; the server aggregates as FedAvg. μ travels to the sites as the site
/// parameter <c>proximal_mu</c>.
/// </summary>
public sealed class FedProx(StrategyOptions? options = null) : AggregationStrategy(options)
{
    public const string ProximalMuParameter = "proximal_mu";

    public override string Name => "fedprox";

    public override IReadOnlyDictionary<string, double> SiteParameters => new Dictionary<string, double> { [ProximalMuParameter] = Options.ProximalMu };

    public override IUpdateAggregator BeginRound(ModelWeights global, ModelWeights? serverState = null) =>
        new FedAvg.Accumulator(global, serverState, Options);
}
