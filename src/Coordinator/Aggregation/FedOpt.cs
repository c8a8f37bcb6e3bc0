using FedRad.Protocol.V1;
using FedRad.Shared.Tensors;

namespace FedRad.Coordinator.Aggregation;

public enum FedOptVariant { Adam, Yogi, Adagrad }

/// <summary>
/// Adaptive server optimisers (Reddi et al. 2021, "Adaptive Federated Optimization", Algorithm 2). With the round's
/// pseudo-gradient Δ = Σ nᵢ wᵢ / Σ nᵢ − x (the sample-weighted mean update, folded as updates arrive):
/// <code>
///   m  = β₁ m + (1 − β₁) Δ
///   v  = v + Δ²                                  FedAdagrad
///   v  = v − (1 − β₂) Δ² sign(v − Δ²)            FedYogi
///   v  = β₂ v + (1 − β₂) Δ²                      FedAdam
///   x' = x + η m / (√v + τ)
/// </code>
/// element-wise, with m starting at 0 and v at τ² as in the paper (no bias correction). m and v are server state,
/// carried from round to round in <see cref="IUpdateAggregator.NextServerState"/>.
/// </summary>
public sealed class FedOpt(FedOptVariant variant, StrategyOptions? options = null) : AggregationStrategy(options)
{
    public const string FirstMomentPrefix = "fedopt.m/";
    public const string SecondMomentPrefix = "fedopt.v/";

    public FedOptVariant Variant { get; } = variant;

    public override string Name => Variant switch
    {
        FedOptVariant.Adam => "fedadam",
        FedOptVariant.Yogi => "fedyogi",
        _ => "fedadagrad",
    };

    public override IUpdateAggregator BeginRound(ModelWeights global, ModelWeights? serverState = null) =>
        new Aggregator(Variant, global, serverState, Options);

    private sealed class Aggregator : StreamingAggregator
    {
        private readonly FedOptVariant _variant;
        private readonly double[][] _m;
        private readonly double[][] _v;

        public Aggregator(FedOptVariant variant, ModelWeights global, ModelWeights? state, StrategyOptions options) : base(global, state, options)
        {
            _variant = variant;
            _m = Moment(global, state, FirstMomentPrefix, 0.0);
            _v = Moment(global, state, SecondMomentPrefix, options.Tau * options.Tau);
        }

        protected override double[][] Combine()
        {
            var (b1, b2, eta, tau) = (Options.Beta1, Options.Beta2, Options.ServerLearningRate, Options.Tau);
            var mean = WeightedMean();
            var next = NewLikeGlobal();
            for (var t = 0; t < next.Length; t++)
            {
                var (x, avg, m, v, y) = (GlobalValues[t], mean[t], _m[t], _v[t], next[t]);
                for (var i = 0; i < y.Length; i++)
                {
                    var delta = avg[i] - x[i];
                    var d2 = delta * delta;
                    m[i] = b1 * m[i] + (1 - b1) * delta;
                    v[i] = _variant switch
                    {
                        FedOptVariant.Adagrad => v[i] + d2,
                        FedOptVariant.Yogi => v[i] - (1 - b2) * d2 * Math.Sign(v[i] - d2),
                        _ => b2 * v[i] + (1 - b2) * d2,
                    };
                    y[i] = x[i] + eta * m[i] / (Math.Sqrt(v[i]) + tau);
                }
            }
            var state = new List<WeightTensor> { NextReference() };
            for (var t = 0; t < next.Length; t++)
            {
                var g = Global.Tensors[t];
                state.Add(new WeightTensor(FirstMomentPrefix + g.Name, g.Shape, _m[t], DType.Float64));
                state.Add(new WeightTensor(SecondMomentPrefix + g.Name, g.Shape, _v[t], DType.Float64));
            }
            NextServerState = new ModelWeights(state);
            return next;
        }

        /// <summary>The moment the previous round left, copied, or its initial value when there is none (first round).</summary>
        private static double[][] Moment(ModelWeights global, ModelWeights? state, string prefix, double initial) =>
            global.Tensors.Select(g =>
            {
                var saved = state?.Tensors.FirstOrDefault(t => t.Name == prefix + g.Name);
                if (saved is null)
                {
                    if (state is not null && state.Tensors.Any(t => t.Name.StartsWith(prefix, StringComparison.Ordinal)))
                        throw new ArgumentException($"server state has {prefix}* tensors but none for '{g.Name}': it belongs to another model");
                    return Enumerable.Repeat(initial, g.Values.Length).ToArray();
                }
                if (!saved.Shape.SequenceEqual(g.Shape))
                    throw new ArgumentException($"server state tensor '{saved.Name}' has shape {saved.ShapeText} but the model's '{g.Name}' has {g.ShapeText}");
                return (double[])saved.Values.Clone();
            }).ToArray();
    }
}
