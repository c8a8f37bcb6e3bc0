using FedRad.Coordinator.Contracts.Model;
using FedRad.Learning.Metrics;
using FedRad.Shared.Tensors;

namespace FedRad.Coordinator.Aggregation;

/// <summary>
/// Combines evaluation results: per-site AUC and loss as reported, and the pooled AUC from the sum
/// of the sites' per-class score histograms.
/// </summary>
public sealed class EvaluationAggregator
{
    private readonly List<SiteEvaluation> _sites = [];
    private readonly ScoreHistogram _pooled = new();
    private double _lossSum;

    /// <summary>Null when the payload is a valid evaluation of <paramref name="sampleCount"/> patients, else the problem.</summary>
    public static string? Validate(ModelWeights payload, long sampleCount, IReadOnlyDictionary<string, double> metrics)
    {
        var spec = new[]
        {
            new TensorSpec(ScoreHistogram.PositivesTensor, [ScoreHistogram.DefaultBins], Protocol.V1.DType.Float64),
            new TensorSpec(ScoreHistogram.NegativesTensor, [ScoreHistogram.DefaultBins], Protocol.V1.DType.Float64),
        };
        if (TensorCodec.Validate(payload, spec) is { } problem) return problem;
        var counts = payload[ScoreHistogram.PositivesTensor].Values.Concat(payload[ScoreHistogram.NegativesTensor].Values).ToArray();
        if (counts.Any(c => c < 0 || c != Math.Floor(c))) return "histogram counts must be non-negative integers";
        if (counts.Sum() != sampleCount) return $"histograms hold {counts.Sum()} patients but the sample count is {sampleCount}";
        if (!metrics.ContainsKey("loss")) return "metric 'loss' is missing";
        return null;
    }

    public void Add(string siteId, long sampleCount, IReadOnlyDictionary<string, double> metrics, ModelWeights payload)
    {
        // A site with one class only has no AUC of its own but still counts in the pooled one.
        _sites.Add(new SiteEvaluation(siteId, sampleCount, metrics.GetValueOrDefault("auc", double.NaN), metrics["loss"]));
        _pooled.Merge(new ScoreHistogram(payload[ScoreHistogram.PositivesTensor].Values.ToArray(), payload[ScoreHistogram.NegativesTensor].Values.ToArray()));
        _lossSum += sampleCount * metrics["loss"];
    }

    public EvaluationResult Result()
    {
        var n = _sites.Sum(s => s.N);
        return new EvaluationResult(_sites.OrderBy(s => s.SiteId, StringComparer.Ordinal).ToList(), n, _pooled.Auc(), n == 0 ? double.NaN : _lossSum / n);
    }
}
