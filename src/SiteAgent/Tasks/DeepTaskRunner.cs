using FedRad.DeepLearning.Data;
using FedRad.DeepLearning.Interpretability;
using FedRad.DeepLearning.Models;
using FedRad.DeepLearning.Training;
using FedRad.DeepLearning.Weights;
using FedRad.Learning.Data;
using FedRad.Learning.Models;
using FedRad.Protocol.V1;
using FedRad.Shared.Protocol;
using FedRad.Shared.Tensors;
using FedRad.SiteAgent.Cohorts;
using Microsoft.Extensions.Logging;

namespace FedRad.SiteAgent.Tasks;

/// <summary>
/// Runs tasks whose model is a deep model (TorchSharp): the MLP on the site's feature table (cohort.csv or the imaging
/// features, as logistic regression, standardised with the study's pooled mean and SD), or a CNN on lesion patches.
/// Trains from the global model, or evaluates it into the same score histograms as every other model. Only weights,
/// counts and aggregate metrics leave; the Grad-CAM maps of an evaluation are written under the site's data folder and
/// nowhere else.
/// </summary>
public sealed class DeepTaskRunner(PatchCohort cohort, string dataDirectory, int minCohortSize, ILogger log)
{
    /// <summary>The deep kinds this agent runs (<see cref="DeepModelSpec"/>).</summary>
    public static IReadOnlyList<string> Kinds => DeepModelSpec.Kinds;

    public static bool Handles(string model) => Kinds.Contains(model);

    /// <summary>Where the Grad-CAM maps of a study's evaluation go (one NIfTI per patient).</summary>
    public static string GradCamFolder(string dataDirectory, string studyId) => Path.Combine(dataDirectory, ".fedrad", "gradcam", studyId);

    /// <summary>Runs <paramref name="task"/>; <paramref name="featureTablePath"/> is the feature table an mlp task reads (null for patch models).</summary>
    public LocalResult Run(SiteTask task, ModelWeights global, string? featureTablePath = null)
    {
        if (task.DeepModel is not { } description) throw new TaskRefusedException($"task {task.TaskId} for deep model '{task.Model}' has no deep_model");
        var problems = DeepModelRules.Problems(task.Model, description);
        if (problems.Count > 0) throw new TaskRefusedException($"task {task.TaskId}: {string.Join("; ", problems.Select(p => p.Message))}");
        return task.Model == DeepModelSpec.Mlp
            ? RunMlp(task, description, global, featureTablePath ?? throw new ArgumentNullException(nameof(featureTablePath), "an mlp task reads a feature table"))
            : RunPatches(task, description, global);
    }

    private LocalResult RunPatches(SiteTask task, DeepModel description, ModelWeights global)
    {
        var spec = new DeepModelSpec { Kind = task.Model, PatchSize = description.PatchSize, Width = description.Width };
        var all = cohort.Get(task.StudyId, task.Model, description, task.LabelColumn);
        // Held-out patients (outcomes.csv split = test) are never trained on; evaluations use them when there are any.
        var patches = task.Kind == TaskKind.Evaluate ? all.Evaluation() : all.Training();
        if (patches.Samples.Count < minCohortSize)
            throw new TaskRefusedException($"the local cohort has {patches.Samples.Count} patients with a patch for {(task.Kind == TaskKind.Evaluate ? "evaluation" : "training")}, below this site's minimum of {minCohortSize} for any shared result");
        using var model = Load(spec, task, global);
        return task.Kind switch
        {
            TaskKind.Train => Train(model.Model, patches.Samples, task),
            TaskKind.Evaluate => Evaluate(model.Model, patches, task.StudyId),
            _ => throw new TaskRefusedException($"task kind {task.Kind} does not apply to deep model '{task.Model}'"),
        };
    }

    private LocalResult RunMlp(SiteTask task, DeepModel description, ModelWeights global, string featureTablePath)
    {
        var all = CohortTable.Load(featureTablePath, task.FeatureNames, task.LabelColumn);
        // Held-out rows (split = test) are neither standardised over nor trained on; evaluations use them when there are any.
        var table = all.Rows(task.Kind == TaskKind.Evaluate ? HoldOut.EvaluationRows(all.HeldOut) : HoldOut.TrainingRows(all.HeldOut));
        if (table.Count < minCohortSize)
            throw new TaskRefusedException($"the local cohort has {table.Count} patients for {(task.Kind == TaskKind.Evaluate ? "evaluation" : "training")}, below this site's minimum of {minCohortSize} for any shared result");
        // The standardisation round needs no network: per-feature sums, as for logistic regression.
        if (task.Kind == TaskKind.Standardise) return new LocalResult(Standardisation.SiteSums(table.X), table.Count, new Dictionary<string, double>());
        var (weights, mean, scale) = StandardisedFeatures.Split(global);
        var samples = new SampleSet(StandardisedFeatures.Inputs(table.X, mean, scale), [table.FeatureNames.Count], table.Labels);
        var spec = new DeepModelSpec { Kind = DeepModelSpec.Mlp, FeatureCount = task.FeatureNames.Count, Hidden = description.Hidden.ToList() };
        using var model = Load(spec, task, weights);
        if (task.Kind == TaskKind.Evaluate) return Evaluate(model.Model, samples);
        if (task.Kind != TaskKind.Train) throw new TaskRefusedException($"task kind {task.Kind} does not apply to deep model '{task.Model}'");
        var trained = Train(model.Model, samples, task);
        // The standardisation tensors go back exactly as they came (the coordinator checks).
        return trained with { Payload = StandardisedFeatures.Rejoin(trained.Payload, global) };
    }

    /// <summary>The model of <paramref name="spec"/> holding the global weights; refuses weights of another architecture (naming the tensor).</summary>
    private static LoadedModel Load(DeepModelSpec spec, SiteTask task, ModelWeights weights)
    {
        IDeepModel model;
        try { model = DeepModels.Create(spec, task.Training.Seed); }
        catch (TypeInitializationException e)
        {
            // Declined rather than retried: this host cannot run TorchSharp until the agent is started differently.
            throw new TaskRefusedException($"TorchSharp does not load on this host ({(e.InnerException ?? e).Message.Split('\n')[0].Trim()}); where the system libstdc++ lacks GLIBCXX_3.4.32 (Debian 12) run the agent through scripts/torchsharp-runtime.sh");
        }
        try { WeightConversion.Load(model.Module, weights); }
        catch { model.Module.Dispose(); throw; }
        return new LoadedModel(model);
    }

    private sealed record LoadedModel(IDeepModel Model) : IDisposable
    {
        public void Dispose() => Model.Module.Dispose();
    }

    private LocalResult Train(IDeepModel model, SampleSet samples, SiteTask task)
    {
        var t = task.Training;
        var options = new LocalTrainingOptions
        {
            Epochs = t.LocalEpochs,
            BatchSize = t.BatchSize > 0 ? t.BatchSize : samples.Count,
            LearningRate = t.LearningRate,
            WeightDecay = t.L2,
            ProximalMu = task.StrategyParameters.GetValueOrDefault("proximal_mu", 0),
            // The coordinator varies the seed by round (study seed + round).
            Seed = unchecked((int)t.Seed),
        };
        if (options.Problem() is { } problem) throw new TaskRefusedException($"training settings: {problem}");
        var result = LocalTrainer.Train(model, samples, options);
        log.LogInformation("Deep training: {Model}, {Count} samples, {Epochs} epochs, loss {Loss:F4}", model.Spec.Kind, result.SampleCount, options.Epochs, result.Loss);
        return new LocalResult(result.Weights, result.SampleCount, new Dictionary<string, double> { ["loss"] = result.Loss });
    }

    private LocalResult Evaluate(IDeepModel model, PatchSet patches, string studyId)
    {
        if (model is IExplainableModel explainable) WriteGradCams(explainable, patches, studyId);
        return Evaluate(model, patches.Samples);
    }

    private static LocalResult Evaluate(IDeepModel model, SampleSet samples)
    {
        var evaluation = DeepEvaluation.Evaluate(model, samples);
        return LocalTaskRunner.EvaluationResult(evaluation.Probabilities, samples.Labels, evaluation.LogLoss);
    }

    /// <summary>One heatmap per patient, on the patch's grid in patient coordinates: a per-patient image, so it stays here.</summary>
    private void WriteGradCams(IExplainableModel model, PatchSet patches, string studyId)
    {
        var folder = GradCamFolder(dataDirectory, studyId);
        Directory.CreateDirectory(folder);
        for (var i = 0; i < patches.PatientIds.Count; i++)
            GradCam3d.WriteNifti(Path.Combine(folder, $"{patches.PatientIds[i]}.nii"), GradCam3d.Compute(model, patches.Samples.Sample(i)), patches.Patches[i].Grid);
        log.LogInformation("Grad-CAM: {Count} maps written to {Folder} (kept at the site)", patches.PatientIds.Count, folder);
    }
}
