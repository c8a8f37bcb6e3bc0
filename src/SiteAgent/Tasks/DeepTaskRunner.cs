using FedRad.DeepLearning.Interpretability;
using FedRad.DeepLearning.Models;
using FedRad.DeepLearning.Training;
using FedRad.DeepLearning.Weights;
using FedRad.Protocol.V1;
using FedRad.Shared.Tensors;
using FedRad.SiteAgent.Cohorts;
using Google.Protobuf;
using Microsoft.Extensions.Logging;

namespace FedRad.SiteAgent.Tasks;

/// <summary>
/// Runs tasks whose model is a deep model on PET/CT lesion patches (TorchSharp): trains from the global model, or
/// evaluates it into the same score histograms as every other model. Only weights, counts and aggregate metrics
/// leave; the Grad-CAM maps of an evaluation are written under the site's data folder and nowhere else.
/// </summary>
public sealed class DeepTaskRunner(PatchCohort cohort, string dataDirectory, int minCohortSize, ILogger log)
{
    /// <summary>The deep kinds this agent runs: the patch models of <see cref="DeepModelSpec"/>.</summary>
    public static readonly string[] Kinds = [DeepModelSpec.CnnEarly, DeepModelSpec.CnnIntermediate];

    public static bool Handles(string model) => Kinds.Contains(model);

    /// <summary>Where the Grad-CAM maps of a study's evaluation go (one NIfTI per patient).</summary>
    public static string GradCamFolder(string dataDirectory, string studyId) => Path.Combine(dataDirectory, ".fedrad", "gradcam", studyId);

    public LocalResult Run(SiteTask task, ModelWeights global)
    {
        // The study's deep model description travels in the task's imaging field (the coordinator's StudyMapping.DeepImaging).
        if (task.Imaging is null) throw new TaskRefusedException($"task for deep model '{task.Model}' has no patch description");
        DeepModel description;
        try { description = JsonParser.Default.Parse<DeepModel>(task.Imaging.SettingsYaml); }
        catch (InvalidProtocolBufferException e) { throw new TaskRefusedException($"task for deep model '{task.Model}': unreadable patch description ({e.Message})"); }
        var spec = new DeepModelSpec { Kind = task.Model, PatchSize = description.PatchSize, Width = description.Width };
        if (spec.Problem() is { } problem) throw new TaskRefusedException($"deep model of the task: {problem}");

        var patches = cohort.Get(task.StudyId, description.Roi, spec.PatchSize, task.LabelColumn);
        if (patches.Samples.Count < minCohortSize)
            throw new TaskRefusedException($"the local cohort has {patches.Samples.Count} patients with a patch, below this site's minimum of {minCohortSize} for any shared result");

        IDeepModel model;
        try { model = DeepModels.Create(spec, task.Training.Seed); }
        catch (TypeInitializationException e)
        {
            // Declined rather than retried: this host cannot run TorchSharp until the agent is started differently.
            throw new TaskRefusedException($"TorchSharp does not load on this host ({(e.InnerException ?? e).Message.Split('\n')[0].Trim()}); where the system libstdc++ lacks GLIBCXX_3.4.32 (Debian 12) run the agent through scripts/torchsharp-runtime.sh");
        }
        // Refuses weights of another architecture (TensorFormatException names the tensor).
        WeightConversion.Load(model.Module, global);
        try
        {
            return task.Kind switch
            {
                TaskKind.Train => Train(model, patches, task),
                TaskKind.Evaluate => Evaluate(model, patches, task.StudyId),
                _ => throw new TaskRefusedException($"task kind {task.Kind} does not apply to deep model '{task.Model}'"),
            };
        }
        finally { model.Module.Dispose(); }
    }

    private LocalResult Train(IDeepModel model, PatchSet patches, SiteTask task)
    {
        var t = task.Training;
        var options = new LocalTrainingOptions
        {
            Epochs = t.LocalEpochs,
            BatchSize = t.BatchSize > 0 ? t.BatchSize : patches.Samples.Count,
            LearningRate = t.LearningRate,
            WeightDecay = t.L2,
            ProximalMu = task.StrategyParameters.GetValueOrDefault("proximal_mu", 0),
            // The coordinator varies the seed by round (study seed + round).
            Seed = unchecked((int)t.Seed),
        };
        if (options.Problem() is { } problem) throw new TaskRefusedException($"training settings: {problem}");
        var result = LocalTrainer.Train(model, patches.Samples, options);
        log.LogInformation("Deep training: {Model}, {Count} patches, {Epochs} epochs, loss {Loss:F4}", model.Spec.Kind, result.SampleCount, options.Epochs, result.Loss);
        return new LocalResult(result.Weights, result.SampleCount, new Dictionary<string, double> { ["loss"] = result.Loss });
    }

    private LocalResult Evaluate(IDeepModel model, PatchSet patches, string studyId)
    {
        var evaluation = DeepEvaluation.Evaluate(model, patches.Samples);
        if (model is IExplainableModel explainable) WriteGradCams(explainable, patches, studyId);
        return LocalTaskRunner.EvaluationResult(evaluation.Probabilities, patches.Samples.Labels, evaluation.LogLoss);
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
