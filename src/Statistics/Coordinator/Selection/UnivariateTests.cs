using FedRad.Statistics.Coordinator.Models;
using FedRad.Statistics.Coordinator.Validation;
using FedRad.Statistics.Protocol;
using MathNet.Numerics.Distributions;

namespace FedRad.Statistics.Coordinator.Selection;

/// <summary>Welch's two-sample t-test of a feature between outcome 1 and outcome 0 (R's t.test, var.equal = FALSE).</summary>
public sealed record WelchTest(string Feature, double T, double DegreesOfFreedom, double P);

/// <summary>A univariate Cox model of one feature (Wald test).</summary>
public sealed record UnivariateCox(string Feature, double Coefficient, double StandardError, double P);

/// <summary>
/// Univariate screening on the pooled data: Welch t-tests from per-class pooled moments, the AUC of
/// each feature (exact rank protocol, higher value: positive), and univariate Cox models.
/// </summary>
public static class UnivariateTests
{
    public static async Task<IReadOnlyList<WelchTest>> WelchAsync(Federation federation, IReadOnlyList<string> features, string outcome,
        DataSpec? data = null, CancellationToken ct = default)
    {
        var byClass = await PooledMoments.ByClassAsync(federation, features, outcome, data, ct);
        var (negative, positive) = (byClass[0], byClass[1]);
        if (negative.Count < 2 || positive.Count < 2)
            throw new AnalysisFailedException($"t-test: the outcome '{outcome}' needs at least two patients in each class");
        return features.Select((f, j) =>
        {
            var v1 = positive.CentredCrossProducts[j][j] / (positive.Count - 1) / positive.Count;
            var v0 = negative.CentredCrossProducts[j][j] / (negative.Count - 1) / negative.Count;
            var t = (positive.Mean[j] - negative.Mean[j]) / Math.Sqrt(v1 + v0);
            var df = (v1 + v0) * (v1 + v0) / (v1 * v1 / (positive.Count - 1) + v0 * v0 / (negative.Count - 1));
            if (!double.IsFinite(t)) throw new AnalysisFailedException($"t-test: feature '{f}' is constant within both outcome classes");
            return new WelchTest(f, t, df, 2 * StudentT.CDF(0, 1, df, -Math.Abs(t)));
        }).ToArray();
    }

    /// <summary>Pooled AUC of every feature on its own (0.5: no discrimination; below 0.5: higher values go with outcome 0).</summary>
    public static async Task<IReadOnlyDictionary<string, double>> FeatureAucAsync(Federation federation, IReadOnlyList<string> features, string outcome,
        DataSpec? data = null, CancellationToken ct = default)
    {
        var result = new Dictionary<string, double>();
        foreach (var f in features) result[f] = (await Discrimination.AucAsync(federation, f, outcome, data, ct)).Pooled.Value;
        return result;
    }

    public static async Task<IReadOnlyList<UnivariateCox>> CoxAsync(Federation federation, IReadOnlyList<string> features, string time, string @event,
        DataSpec? data = null, CancellationToken ct = default)
    {
        var result = new List<UnivariateCox>();
        foreach (var f in features)
        {
            var fit = await CoxRegression.FitAsync(federation, [f], time, @event, data: data, ct: ct);
            result.Add(new UnivariateCox(f, fit.Coefficients[0], fit.StandardErrors![0], fit.P![0]));
        }
        return result;
    }
}
