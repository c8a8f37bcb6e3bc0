using FedRad.Statistics.Coordinator.Models;
using FedRad.Statistics.Protocol;

namespace FedRad.Statistics.Coordinator.Selection;

/// <summary>
/// Multivariate feature selection on pooled aggregates only: a correlation filter and
/// correlation-based mRMR on the pooled correlation matrix, and the LASSO.
/// </summary>
public static class FeatureSelection
{
    /// <summary>
    /// Correlation filter: features ranked by relevance (descending, ties by name), a feature is
    /// kept when its absolute pooled correlation with every feature kept before it is at most
    /// <paramref name="threshold"/>. Returns the kept features in rank order.
    /// </summary>
    public static async Task<IReadOnlyList<string>> CorrelationFilterAsync(Federation federation, IReadOnlyList<string> features,
        IReadOnlyDictionary<string, double> relevance, double threshold, DataSpec? data = null, CancellationToken ct = default)
    {
        var moments = await PooledMoments.ComputeAsync(federation, features, data, ct);
        moments.RequireUsableFeatures();
        var r = moments.Correlation;
        var index = features.Select((f, j) => (f, j)).ToDictionary(x => x.f, x => x.j);
        var ranked = features.OrderByDescending(f => relevance[f]).ThenBy(f => f, StringComparer.Ordinal);
        var kept = new List<string>();
        foreach (var f in ranked)
            if (kept.All(k => Math.Abs(r[index[f]][index[k]]) <= threshold)) kept.Add(f);
        return kept;
    }

    /// <summary>
    /// Correlation-based mRMR (difference form): relevance |r(feature, outcome)|, redundancy the
    /// mean |r| with the features already chosen; greedily picks the feature maximising
    /// relevance - redundancy until <paramref name="count"/> are chosen. Works for any numeric outcome.
    /// </summary>
    public static async Task<IReadOnlyList<string>> MrmrAsync(Federation federation, IReadOnlyList<string> features, string outcome, int count,
        DataSpec? data = null, CancellationToken ct = default)
    {
        if (count < 1 || count > features.Count) throw new AnalysisFailedException($"mRMR: cannot choose {count} of {features.Count} features");
        var moments = await PooledMoments.ComputeAsync(federation, [.. features, outcome], data, ct);
        moments.RequireUsableFeatures();
        var r = moments.Correlation;
        var p = features.Count;
        var chosen = new List<int>();
        while (chosen.Count < count)
        {
            var best = Enumerable.Range(0, p).Where(j => !chosen.Contains(j))
                .Select(j => (j, score: Math.Abs(r[j][p]) - (chosen.Count == 0 ? 0 : chosen.Average(k => Math.Abs(r[j][k])))))
                .MaxBy(x => x.score);
            chosen.Add(best.j);
        }
        return chosen.Select(j => features[j]).ToArray();
    }

    /// <summary>LASSO selection: the features with a non-zero coefficient in the L1-penalised
    /// logistic model at <paramref name="lambda"/> (glmnet scaling).</summary>
    public static async Task<(IReadOnlyList<string> Selected, RegressionFit Fit)> LassoLogisticAsync(Federation federation, IReadOnlyList<string> features,
        string outcome, double lambda, DataSpec? data = null, CancellationToken ct = default)
    {
        var fit = await LogisticRegression.FitAsync(federation, features, outcome, new Penalty(lambda, 1), data, ct);
        return (features.Where(f => fit.Coefficient(f) != 0).ToArray(), fit);
    }

    /// <summary>LASSO selection with the L1-penalised Cox model (glmnet scaling).</summary>
    public static async Task<(IReadOnlyList<string> Selected, RegressionFit Fit)> LassoCoxAsync(Federation federation, IReadOnlyList<string> features,
        string time, string @event, double lambda, DataSpec? data = null, CancellationToken ct = default)
    {
        var fit = await CoxRegression.FitAsync(federation, features, time, @event, penalty: new Penalty(lambda, 1), data: data, ct: ct);
        return (features.Where(f => fit.Coefficient(f) != 0).ToArray(), fit);
    }
}
