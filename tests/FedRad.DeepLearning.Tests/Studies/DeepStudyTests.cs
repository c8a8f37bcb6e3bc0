using System.Globalization;
using System.Text;
using FedRad.DeepLearning.Models;
using FedRad.DeepLearning.Weights;
using FedRad.Learning.Metrics;
using FedRad.Learning.Models;
using FedRad.Protocol.V1;
using FedRad.Shared.Tensors;

namespace FedRad.DeepLearning.Tests.Studies;

/// <summary>
/// Deep studies of every kind the coordinator runs, end to end: a real coordinator, site agents over gRPC that read
/// their own files and train with TorchSharp, and the coordinator's pooled evaluation. Tiny models and data, few rounds.
/// </summary>
public sealed class DeepStudyTests
{
    [Fact]
    public async Task An_mlp_study_standardises_with_the_pooled_mean_and_sd_of_the_training_rows_trains_and_evaluates_the_held_out_rows()
    {
        var root = Directory.CreateTempSubdirectory("fedrad-mlp-study-").FullName;
        string[] features = ["volume", "suv_mean", "noise"];
        var tables = new List<(double[][] X, int[] Y, double[] TrueLogit, bool[] Test)>();
        await using var f = await Federation.Start();
        for (var s = 0; s < 2; s++)
        {
            var dir = Directory.CreateDirectory(Path.Combine(root, $"site-{s + 1}")).FullName;
            tables.Add(WriteCohort(Path.Combine(dir, "cohort.csv"), features, n: 60 + 20 * s, seed: 11 + s, volumeShift: 40 * s));
            await f.StartAgent($"site-{s + 1}", dir);
        }

        var spec = new DeepModelSpec { Kind = DeepModelSpec.Mlp, FeatureCount = features.Length, Hidden = [8] };
        using var initial = DeepModels.Create(spec, 3).Module;
        // The standardisation round fills in mean and scale; the model carries them from the start (0 and 1).
        var modelId = await f.Upload(StandardisedFeatures.Attach(WeightConversion.ToWeights(initial), features.Length));
        var study = new StudySpec
        {
            StudyId = "mlp", Model = "mlp", LabelColumn = "label", Rounds = 4, MinSites = 2, RoundTimeoutSeconds = 120,
            InitialModelId = modelId, DeepModel = new DeepModel { Hidden = { 8 } },
            Training = new TrainingConfig { LocalEpochs = 20, LearningRate = 0.02, BatchSize = 16, Seed = 5 },
        };
        study.FeatureNames.AddRange(features);
        study.SiteIds.AddRange(["site-1", "site-2"]);

        var status = await f.Run(study, TimeSpan.FromMinutes(3));
        Assert.True(status.State == StudyState.Completed, status.ToString());
        Assert.Equal(TaskKind.Standardise, status.Rounds[0].Kind);
        Assert.Equal(TaskKind.Evaluate, status.Rounds[^1].Kind);

        // The sites standardised with the pooled mean and sample SD of both tables' training rows, computed here from the files.
        var final = await f.Download("site-1", status.FinalModelId);
        var pooled = tables.SelectMany(t => t.X.Where((_, i) => !t.Test[i])).ToArray();
        for (var j = 0; j < features.Length; j++)
        {
            var column = pooled.Select(r => r[j]).ToArray();
            var mean = column.Average();
            var sd = Math.Sqrt(column.Sum(v => (v - mean) * (v - mean)) / (column.Length - 1));
            Assert.Equal(mean, final[LogisticRegression.MeanTensor].Values[j], 9);
            Assert.Equal(sd, final[LogisticRegression.ScaleTensor].Values[j], 9);
        }
        // Evaluated on the 35 held-out rows only, the federated MLP ranks them nearly as well as the logit their labels were drawn from.
        var oracle = Auc.Compute(tables.SelectMany(t => t.TrueLogit.Where((_, i) => t.Test[i])).ToArray(), tables.SelectMany(t => t.Y.Where((_, i) => t.Test[i])).ToArray());
        Assert.Equal(35, status.Evaluation.PooledN);
        Assert.True(status.Evaluation.PooledAuc >= oracle - 0.06, $"pooled AUC {status.Evaluation.PooledAuc:F3}, oracle {oracle:F3}");
    }

    [Fact]
    public async Task A_cnn_delta_study_on_pet_ct_timepoints_trains_on_the_train_split_and_evaluates_the_held_out_patients()
    {
        var status = await RunDeltaStudy(spect: false);
        Assert.True(status.State == StudyState.Completed, status.ToString());
        // 6 held-out patients per site: the evaluation saw them only.
        Assert.Equal(12, status.Evaluation.PooledN);
        Assert.All(status.Rounds.Where(r => r.Kind == TaskKind.Train), r => Assert.Equal(2, r.Participants.Count));
        Assert.True(status.Evaluation.PooledAuc >= 0.8, $"pooled AUC on held-out lesions {status.Evaluation.PooledAuc:F3}");
    }

    [Fact]
    public async Task A_cnn_delta_study_on_spect_ct_timepoints_completes_with_the_spect_in_suv()
    {
        var status = await RunDeltaStudy(spect: true);
        Assert.True(status.State == StudyState.Completed, status.ToString());
        Assert.Equal(12, status.Evaluation.PooledN);
        Assert.True(status.Evaluation.PooledAuc >= 0.8, $"pooled AUC on held-out lesions {status.Evaluation.PooledAuc:F3}");
    }

    private static async Task<StudyStatus> RunDeltaStudy(bool spect)
    {
        var root = Directory.CreateTempSubdirectory(spect ? "fedrad-delta-spect-" : "fedrad-delta-pet-").FullName;
        await using var f = await Federation.Start();
        for (var s = 1; s <= 2; s++)
        {
            var dir = Directory.CreateDirectory(Path.Combine(root, $"site-{s}")).FullName;
            var calibration = TimepointSites.Write(dir, $"site-{s}", patients: 18, heldOut: 6, spect, seed: s);
            await f.StartAgent($"site-{s}", dir, calibration);
        }
        var spec = new DeepModelSpec { Kind = DeepModelSpec.CnnDelta, PatchSize = 8, Width = 2 };
        using var initial = DeepModels.Create(spec, 1).Module;
        var modelId = await f.Upload(WeightConversion.ToWeights(initial));
        var study = new StudySpec
        {
            StudyId = "delta", Model = "cnn-delta", LabelColumn = "label", Rounds = 4, MinSites = 2, RoundTimeoutSeconds = 300,
            NoStandardisation = true, InitialModelId = modelId,
            DeepModel = new DeepModel { PatchSize = 8, Width = 2, Roi = "Lesion", BaselineTimepoint = TimepointSites.Baseline, FollowupTimepoint = TimepointSites.FollowUp },
            Training = new TrainingConfig { LocalEpochs = 5, LearningRate = 5e-3, BatchSize = 6, Seed = 2 },
        };
        study.SiteIds.AddRange(["site-1", "site-2"]);
        var status = await f.Run(study, TimeSpan.FromMinutes(5));
        Directory.Delete(root, recursive: true);
        return status;
    }

    /// <summary>
    /// A cohort.csv whose label follows a logistic model of a large-scale feature (volume, mL around 100-200) and a small
    /// one (suv_mean), with a pure noise column: standardisation matters. The last quarter of the rows is held out
    /// (split = test). Returns the table, labels, true logits and the held-out flags.
    /// </summary>
    private static (double[][] X, int[] Y, double[] TrueLogit, bool[] Test) WriteCohort(string path, string[] features, int n, int seed, double volumeShift)
    {
        var rng = new Random(seed);
        double Gauss() => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
        var x = new double[n][];
        var y = new int[n];
        var logit = new double[n];
        var test = Enumerable.Range(0, n).Select(i => i >= n - n / 4).ToArray();
        var csv = new StringBuilder("id," + string.Join(',', features) + ",label,split\n");
        for (var i = 0; i < n; i++)
        {
            x[i] = [120 + volumeShift + 30 * Gauss(), 5 + 1.5 * Gauss(), Gauss()];
            logit[i] = 0.06 * (x[i][0] - 140) + 1.2 * (x[i][1] - 5);
            y[i] = rng.NextDouble() < 1 / (1 + Math.Exp(-logit[i])) ? 1 : 0;
            csv.Append(CultureInfo.InvariantCulture, $"p{seed}-{i},{x[i][0]:R},{x[i][1]:R},{x[i][2]:R},{y[i]},{(test[i] ? "test" : "train")}\n");
        }
        File.WriteAllText(path, csv.ToString());
        return (x, y, logit, test);
    }
}
