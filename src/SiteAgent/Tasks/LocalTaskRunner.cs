using FedRad.Learning.Data;
using FedRad.Learning.Metrics;
using FedRad.Learning.Models;
using FedRad.Protocol.V1;
using FedRad.Shared.Tensors;
using FedRad.SiteAgent.Cohorts;

namespace FedRad.SiteAgent.Tasks;

/// <summary>What leaves the site for one task: a payload of tensors, the sample count and aggregate metrics.</summary>
public sealed record LocalResult(ModelWeights Payload, long SampleCount, IReadOnlyDictionary<string, double> Metrics);

/// <summary>Thrown when the site declines a task (too few patients, unknown model, ...); the reason is logged locally.</summary>
public sealed class TaskRefusedException(string message) : Exception(message);

/// <summary>
/// Runs a task on the local cohort. Only weights, counts and aggregate metrics come out;
/// the cohort rows never leave this class.
/// </summary>
public sealed class LocalTaskRunner(int minCohortSize)
{
    /// <param name="filterSource">Where the inclusion filters' columns come from, for messages (default: the cohort file).</param>
    public LocalResult Run(SiteTask task, ModelWeights global, string cohortPath, string? filterSource = null)
    {
        if (task.Model != ModelCatalog.LogisticRegression)
            throw new TaskRefusedException($"model '{task.Model}' is not supported by this agent");
        // The study's inclusion filters and this site's ComBat adjustment come before anything is computed.
        var all = StudyCohort.ForModel(cohortPath, task, filterSource ?? cohortPath, out var excluded);
        // Held-out patients (split = test) are neither standardised over nor trained on; the evaluation round measures
        // them when the site has any, else every patient.
        var evaluation = task.Kind == TaskKind.Evaluate;
        var cohort = all.Rows(evaluation ? HoldOut.EvaluationRows(all.HeldOut) : HoldOut.TrainingRows(all.HeldOut));
        var filtered = excluded > 0 ? $" after the study's inclusion filters excluded {excluded}" : "";
        var part = all.HeldOut.Any(h => h) ? evaluation ? " held out for evaluation" : " for training (the others are held out)" : "";
        if (cohort.Count == 0) throw new TaskRefusedException($"{all.Source}: every patient is held out (column '{HoldOut.Column}' = test): none left for training");
        // The study may ask for a larger minimum than the site's own (privacy.min_cohort); the larger applies.
        var minimum = Math.Max(minCohortSize, task.Privacy?.MinCohort ?? 0);
        if (cohort.Count < minimum)
            throw new TaskRefusedException(minimum > minCohortSize
                ? $"the local cohort has {cohort.Count} patients{part}{filtered}, below the study's minimum (privacy.min_cohort) of {minimum} for any shared result"
                : $"the local cohort has {cohort.Count} patients{part}{filtered}, below this site's minimum of {minimum} for any shared result");
        if (TensorCodec.Validate(global, ModelCatalog.Initial(task.Model, task.FeatureNames.Count).Spec) is { } problem)
            throw new TaskRefusedException($"global model does not fit the task: {problem}");

        var model = LogisticRegression.FromWeights(global);
        return task.Kind switch
        {
            TaskKind.Train => Train(model, cohort, task.Training, task.StrategyParameters.GetValueOrDefault("proximal_mu", 0)),
            TaskKind.Evaluate => Evaluate(model, cohort),
            TaskKind.Standardise => new LocalResult(Standardisation.SiteSums(cohort.X), cohort.Count, new Dictionary<string, double>()),
            _ => throw new TaskRefusedException($"task kind {task.Kind} is not supported"),
        };
    }

    private static LocalResult Train(LogisticRegression model, CohortTable cohort, TrainingConfig t, double proximalMu)
    {
        model.Train(cohort.X, cohort.Labels, t.LocalEpochs, t.LearningRate, t.L2, t.BatchSize, t.Seed, proximalMu);
        var loss = model.Loss(cohort.X, cohort.Labels, t.L2);
        return new LocalResult(model.ToWeights(), cohort.Count, new Dictionary<string, double> { ["loss"] = loss });
    }

    private static LocalResult Evaluate(LogisticRegression model, CohortTable cohort) =>
        EvaluationResult(model.PredictProbabilities(cohort.X), cohort.Labels, model.Loss(cohort.X, cohort.Labels, 0));

    /// <summary>What an evaluation sends: the per-class score histograms, the count, the site's loss and AUC; never a score.</summary>
    public static LocalResult EvaluationResult(IReadOnlyList<double> p, IReadOnlyList<int> labels, double loss)
    {
        var histogram = new ScoreHistogram();
        for (var i = 0; i < p.Count; i++) histogram.Add(p[i], labels[i]);
        var metrics = new Dictionary<string, double> { ["loss"] = loss };
        var auc = Auc.Compute(p, labels);
        if (double.IsFinite(auc)) metrics["auc"] = auc; // undefined when the site has one class only
        var payload = new ModelWeights(
        [
            new WeightTensor(ScoreHistogram.PositivesTensor, [histogram.Bins], histogram.Positives),
            new WeightTensor(ScoreHistogram.NegativesTensor, [histogram.Bins], histogram.Negatives),
        ]);
        return new LocalResult(payload, p.Count, metrics);
    }
}
