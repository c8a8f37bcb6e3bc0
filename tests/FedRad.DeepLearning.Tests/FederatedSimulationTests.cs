using FedRad.Coordinator.Aggregation;
using FedRad.DeepLearning.Data;
using FedRad.DeepLearning.Models;
using FedRad.DeepLearning.Training;
using FedRad.DeepLearning.Weights;
using FedRad.Learning.Metrics;
using FedRad.Shared.Tensors;

namespace FedRad.DeepLearning.Tests;

/// <summary>
/// Three hospitals with different scanners and case mixes train the early-fusion CNN in-process, aggregated by the
/// coordinator's real strategies, with weights going through the wire format each way.
/// </summary>
public sealed class FederatedSimulationTests(ITestOutputHelper output)
{
    private static readonly SyntheticSiteProfile[] Sites =
    [
        new() { PetNoise = 0.05, UptakeScale = 1.0, PositiveShare = 0.3 },
        new() { PetNoise = 0.10, UptakeScale = 0.8, PositiveShare = 0.5 },
        new() { PetNoise = 0.03, UptakeScale = 1.3, CtOffsetHu = 40, PositiveShare = 0.7 },
    ];

    private (double PooledAuc, ModelWeights Final) Run(string strategyName, int rounds)
    {
        var spec = new DeepModelSpec { Kind = DeepModelSpec.CnnEarly };
        var strategy = Strategies.Create(strategyName, StrategyOptions.Default with { ProximalMu = 0.01 });
        var mu = strategy.SiteParameters.GetValueOrDefault(FedProx.ProximalMuParameter);
        var train = Sites.Select((s, i) => SyntheticLesions.Generate(80, 100 + i, s).Samples).ToArray();
        var test = Sites.Select((s, i) => SyntheticLesions.Generate(60, 200 + i, s).Samples).ToArray();

        var global = WeightConversion.ToWeights(DeepModels.Create(spec, 42).Module);
        ModelWeights? state = null;
        for (var round = 1; round <= rounds; round++)
        {
            var aggregator = strategy.BeginRound(global, state);
            var wire = TensorCodec.Serialize(global);
            for (var s = 0; s < Sites.Length; s++)
            {
                var local = DeepModels.Create(spec, 0);
                WeightConversion.Load(local.Module, TensorCodec.Deserialize(wire));
                var result = LocalTrainer.Train(local, train[s], new LocalTrainingOptions { Epochs = 2, ProximalMu = mu, Seed = 1000 * round + s });
                var verdict = aggregator.Add(TensorCodec.Deserialize(TensorCodec.Serialize(result.Weights)), result.SampleCount, $"site-{s}");
                Assert.True(verdict.Accepted, verdict.Reason);
            }
            global = aggregator.Finish();
            state = aggregator.NextServerState;
        }

        var model = DeepModels.Create(spec, 0);
        WeightConversion.Load(model.Module, global);
        var scores = new List<double>();
        var labels = new List<int>();
        for (var s = 0; s < Sites.Length; s++)
        {
            var evaluation = DeepEvaluation.Evaluate(model, test[s]);
            output.WriteLine($"{strategyName}: site {s} AUC {evaluation.Auc:F3}, log-loss {evaluation.LogLoss:F3}");
            scores.AddRange(evaluation.Probabilities);
            labels.AddRange(test[s].Labels);
        }
        var pooled = Auc.Compute(scores, labels);
        output.WriteLine($"{strategyName}: pooled AUC {pooled:F3} on {labels.Count} held-out lesions");
        return (pooled, global);
    }

    [Theory]
    [InlineData("fedavg")]
    [InlineData("fedprox")]
    public void Three_sites_reach_a_pooled_auc_of_at_least_0_8(string strategy)
    {
        var (auc, _) = Run(strategy, rounds: 6);
        Assert.True(auc >= 0.8, $"{strategy} pooled AUC {auc:F3}");
    }
}
