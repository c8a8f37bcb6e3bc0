using FedRad.DeepLearning.Data;
using FedRad.DeepLearning.Models;
using FedRad.DeepLearning.Training;
using FedRad.DeepLearning.Weights;
using FedRad.Shared.Tensors;

namespace FedRad.DeepLearning.Tests;

public sealed class TrainingTests
{
    private static ModelWeights TrainOnce(string kind, SampleSet data, LocalTrainingOptions options, ulong seed = 5)
    {
        var model = DeepModels.Create(new DeepModelSpec { Kind = kind, FeatureCount = 6 }, seed);
        return LocalTrainer.Train(model, data, options).Weights;
    }

    [Theory]
    [InlineData(DeepModelSpec.CnnEarly)]
    [InlineData(DeepModelSpec.CnnIntermediate)]
    public void The_same_seeds_give_bit_identical_weights(string kind)
    {
        var data = SyntheticLesions.Generate(48, 21).Samples;
        var options = new LocalTrainingOptions { Epochs = 2, BatchSize = 16, Seed = 9, ProximalMu = 0.01 };
        var a = TrainOnce(kind, data, options);
        var b = TrainOnce(kind, data, options);
        Assert.All(a.Tensors, t => Assert.Equal(t.Values, b[t.Name].Values));
        // A different batch order changes them: the test can see a difference.
        var c = TrainOnce(kind, data, options with { Seed = 10 });
        Assert.Contains(a.Tensors, t => !t.Values.SequenceEqual(c[t.Name].Values));
    }

    [Fact]
    public void Training_lowers_the_loss_of_the_cnn_and_learns_the_heterogeneity_task()
    {
        var train = SyntheticLesions.Generate(240, 1).Samples;
        var test = SyntheticLesions.Generate(120, 2).Samples;
        var model = DeepModels.Create(new DeepModelSpec { Kind = DeepModelSpec.CnnEarly }, 1);
        var before = DeepEvaluation.Evaluate(model, train);
        var result = LocalTrainer.Train(model, train, new LocalTrainingOptions { Epochs = 8 });
        var after = DeepEvaluation.Evaluate(model, train);
        Assert.True(after.LogLoss < before.LogLoss - 0.1, $"training log-loss {before.LogLoss:F3} → {after.LogLoss:F3}");
        Assert.True(result.EpochLosses[^1] < result.EpochLosses[0], string.Join(", ", result.EpochLosses.Select(l => l.ToString("F3"))));
        Assert.Equal(240 * 8, result.SamplesSeen);
        var auc = DeepEvaluation.Evaluate(model, test).Auc;
        Assert.True(auc >= 0.85, $"held-out AUC {auc:F3}");
    }

    [Fact]
    public void The_mlp_learns_the_task_from_lesion_features()
    {
        var train = SyntheticLesions.Features(SyntheticLesions.Generate(200, 3));
        var test = SyntheticLesions.Features(SyntheticLesions.Generate(100, 4));
        var model = DeepModels.Create(new DeepModelSpec { Kind = DeepModelSpec.Mlp, FeatureCount = 6 }, 1);
        var result = LocalTrainer.Train(model, train, new LocalTrainingOptions { Epochs = 40 });
        Assert.True(result.Loss < 0.5 * result.EpochLosses[0], string.Join(", ", result.EpochLosses.Select(l => l.ToString("F3"))));
        Assert.True(DeepEvaluation.Evaluate(model, test).Auc >= 0.9);
    }

    [Fact]
    public void The_delta_model_learns_whether_heterogeneity_rose_between_timepoints()
    {
        var train = SyntheticLesions.GenerateDelta(200, 5);
        var test = SyntheticLesions.GenerateDelta(100, 6);
        var model = DeepModels.Create(new DeepModelSpec { Kind = DeepModelSpec.CnnDelta }, 1);
        var result = LocalTrainer.Train(model, train, new LocalTrainingOptions { Epochs = 8 });
        Assert.True(result.EpochLosses[^1] < result.EpochLosses[0] - 0.05, string.Join(", ", result.EpochLosses.Select(l => l.ToString("F3"))));
        var auc = DeepEvaluation.Evaluate(model, test).Auc;
        Assert.True(auc >= 0.75, $"held-out AUC {auc:F3}");
    }

    [Fact]
    public void The_proximal_term_keeps_local_weights_near_the_global_model()
    {
        var data = SyntheticLesions.Generate(64, 8).Samples;
        double Drift(double mu)
        {
            var model = DeepModels.Create(new DeepModelSpec { Kind = DeepModelSpec.CnnEarly }, 3);
            var start = WeightConversion.ToWeights(model.Module);
            var end = LocalTrainer.Train(model, data, new LocalTrainingOptions { Epochs = 3, ProximalMu = mu, Seed = 2 }).Weights;
            return Math.Sqrt(start.Tensors.Sum(t => t.Values.Zip(end[t.Name].Values, (a, b) => (a - b) * (a - b)).Sum()));
        }
        var free = Drift(0);
        var held = Drift(10);
        Assert.True(held < 0.7 * free, $"‖w − w_global‖: μ = 0 → {free:F3}, μ = 10 → {held:F3}");
    }

    [Fact]
    public void Samples_that_do_not_fit_the_model_are_refused()
    {
        var model = DeepModels.Create(new DeepModelSpec { Kind = DeepModelSpec.CnnEarly, PatchSize = 24 }, 1);
        var e = Assert.Throws<ArgumentException>(() => LocalTrainer.Train(model, SyntheticLesions.Generate(4, 1).Samples, new LocalTrainingOptions()));
        Assert.Contains("samples of shape [2,16,16,16] do not fit model 'cnn-early' which takes [2,24,24,24]", e.Message);
        Assert.Contains("learning rate", Assert.Throws<ArgumentException>(() => LocalTrainer.Train(model, SyntheticLesions.Generate(4, 1, patchSize: 24).Samples, new LocalTrainingOptions { LearningRate = 0 })).Message);
    }
}
