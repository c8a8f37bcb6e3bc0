using FedRad.Statistics.Numerics;
using FedRad.Statistics.Protocol;

namespace FedRad.Statistics.Coordinator.Models;

/// <summary>
/// Federated Cox proportional hazards with Breslow ties, equal to coxph(ties = "breslow") on the
/// pooled data (pooled: one baseline hazard, from per-event-time risk-set sums; stratified: one
/// baseline per site, from each site's own partial likelihood), or with a penalty to glmnet
/// (family = "cox", standardize = TRUE).
/// </summary>
public static class CoxRegression
{
    public static async Task<RegressionFit> FitAsync(Federation federation, IReadOnlyList<string> features, string time, string @event,
        bool stratifyBySite = false, Penalty? penalty = null, DataSpec? data = null, CancellationToken ct = default)
    {
        data ??= new DataSpec();
        if (features.Count == 0) throw new AnalysisFailedException("cox: at least one feature is needed");
        var moments = await PooledMoments.ComputeAsync(federation, features, data, ct);
        moments.RequireUsableFeatures();
        var eventTimes = await PooledEventTimesAsync(federation, time, @event, ct);
        var events = eventTimes.Events;
        if (events < features.Count + 1)
            throw new AnalysisFailedException($"cox: too few events ({events}) for {features.Count} feature(s); at least {features.Count + 1} are needed");

        ILikelihood likelihood = stratifyBySite
            ? new StratifiedCoxLikelihood(federation, features, time, @event, moments.Mean, data, moments.Count)
            : new PooledCoxLikelihood(federation, features, time, @event, moments.Mean, eventTimes.Times, data, moments.Count);
        var model = stratifyBySite ? "cox regression (stratified by site)" : "cox regression";
        Optimum optimum;
        double[]? se = null;
        if (penalty is null)
        {
            optimum = await NewtonSolver.MaximiseAsync(likelihood, model, ct);
            var chol = Dense.Cholesky(optimum.Value.Information!)
                ?? throw new AnalysisFailedException($"{model}: the information matrix is singular at the estimate");
            se = Dense.CholeskyInverse(chol).Select((r, j) => Math.Sqrt(r[j])).ToArray();
        }
        else
        {
            penalty.Validate();
            optimum = await ElasticNetSolver.MinimiseAsync(likelihood, moments.PopulationSd, penalty.Lambda, penalty.Alpha, model, ct);
        }
        var fit = new RegressionFit
        {
            Model = stratifyBySite ? "cox-stratified" : "cox", Names = features, Coefficients = optimum.Beta, StandardErrors = se,
            LogLikelihood = optimum.Value.LogLikelihood, Count = moments.Count, Cases = events, Iterations = optimum.Iterations, Penalty = penalty,
        };
        LogisticRegression.RequireFinite(fit, model);
        return fit;
    }

    /// <summary>The union of the sites' distinct event times, ascending, and the number of events.</summary>
    internal static async Task<(double[] Times, int Events)> PooledEventTimesAsync(Federation federation, string time, string @event, CancellationToken ct)
    {
        var parts = await federation.AskAllAsync(new EventTimesRequest { Time = time, Event = @event }, ct);
        return (parts.SelectMany(a => a.Times).Distinct().Order().ToArray(), parts.Sum(a => a.Events));
    }
}
