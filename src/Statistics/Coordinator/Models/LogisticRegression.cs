using FedRad.Statistics.Numerics;
using FedRad.Statistics.Protocol;

namespace FedRad.Statistics.Coordinator.Models;

/// <summary>
/// Federated logistic regression, equal to glm(family = binomial) (no penalty) or to
/// glmnet(family = "binomial", standardize = TRUE) (L1, L2, elastic net) on the pooled data.
/// </summary>
public static class LogisticRegression
{
    public static async Task<RegressionFit> FitAsync(Federation federation, IReadOnlyList<string> features, string outcome,
        Penalty? penalty = null, DataSpec? data = null, CancellationToken ct = default)
    {
        data ??= new DataSpec();
        var moments = await PooledMoments.ComputeAsync(federation, [.. features, outcome], data, ct);
        var featureMoments = moments with
        {
            Columns = features, Mean = moments.Mean[..features.Count],
            CentredCrossProducts = moments.CentredCrossProducts[..features.Count].Select(r => r[..features.Count]).ToArray(),
        };
        if (features.Count > 0) featureMoments.RequireUsableFeatures();
        var positives = (int)Math.Round(moments.Mean[^1] * moments.Count);
        if (positives == 0 || positives == moments.Count)
            throw new AnalysisFailedException($"logistic: the outcome '{outcome}' has only one class in the pooled data ({positives} positive of {moments.Count})");

        var likelihood = new LogisticLikelihood(federation, features, outcome, null, data, moments.Count);
        return await FitAsync(likelihood, penalty, [0, .. featureMoments.PopulationSd], "logistic regression", positives, ct);
    }

    /// <summary>Logistic regression of an outcome on given columns with an optional offset
    /// (calibration), without the pooled-moment checks.</summary>
    internal static async Task<RegressionFit> FitAsync(Federation federation, IReadOnlyList<string> features, string outcome, string? offset,
        DataSpec data, int count, string model, CancellationToken ct)
    {
        var likelihood = new LogisticLikelihood(federation, features, outcome, offset, data, count);
        return await FitAsync(likelihood, null, new double[features.Count + 1], model, 0, ct);
    }

    private static async Task<RegressionFit> FitAsync(ILikelihood likelihood, Penalty? penalty, double[] weights, string model, int positives, CancellationToken ct)
    {
        Optimum optimum;
        double[]? se = null;
        if (penalty is null)
        {
            optimum = await NewtonSolver.MaximiseAsync(likelihood, model, ct);
            if (optimum.Value.SeparatedBySite.Count > 0)
                throw new AnalysisFailedException($"{model}: {NewtonSolver.Separation(optimum.Value.SeparatedBySite)}; the maximum-likelihood estimates do not exist (consider a penalty)");
            var chol = Dense.Cholesky(optimum.Value.Information!)
                ?? throw new AnalysisFailedException($"{model}: the information matrix is singular at the estimate");
            var covariance = Dense.CholeskyInverse(chol);
            se = covariance.Select((r, j) => Math.Sqrt(r[j])).ToArray();
        }
        else
        {
            penalty.Validate();
            optimum = await ElasticNetSolver.MinimiseAsync(likelihood, weights, penalty.Lambda, penalty.Alpha, model, ct);
        }
        var fit = new RegressionFit
        {
            Model = "logistic", Names = likelihood.Parameters, Coefficients = optimum.Beta, StandardErrors = se,
            LogLikelihood = optimum.Value.LogLikelihood, Count = likelihood.Count, Cases = positives, Iterations = optimum.Iterations, Penalty = penalty,
        };
        RequireFinite(fit, model);
        return fit;
    }

    internal static void RequireFinite(RegressionFit fit, string model)
    {
        for (var j = 0; j < fit.Coefficients.Length; j++)
            if (!double.IsFinite(fit.Coefficients[j]) || (fit.StandardErrors is { } se && !double.IsFinite(se[j])))
                throw new AnalysisFailedException($"{model}: the estimate of '{fit.Names[j]}' is not finite");
    }
}
