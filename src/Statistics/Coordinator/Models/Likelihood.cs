using FedRad.Statistics.Numerics;
using FedRad.Statistics.Protocol;

namespace FedRad.Statistics.Coordinator.Models;

/// <summary>A log-likelihood the coordinator can evaluate only by asking the sites.</summary>
internal interface ILikelihood
{
    IReadOnlyList<string> Parameters { get; }

    /// <summary>Number of patients (glmnet scales the log-likelihood by it).</summary>
    int Count { get; }

    /// <summary>Index of the unpenalised intercept, or -1.</summary>
    int InterceptIndex { get; }

    Task<LikelihoodValue> EvaluateAsync(double[] beta, bool derivatives, CancellationToken ct);
}

/// <param name="Gradient">Of the log-likelihood.</param>
/// <param name="Information">Minus its Hessian.</param>
/// <param name="SeparatedBySite">Patients with fitted probability numerically 0 or 1, per site (logistic only).</param>
/// <param name="NearlySeparatedBySite">Patients with fitted probability within 1e-8 of 0 or 1, per site (logistic only).</param>
internal sealed record LikelihoodValue(double LogLikelihood, double[]? Gradient, double[][]? Information,
    IReadOnlyDictionary<string, int> SeparatedBySite, IReadOnlyDictionary<string, int> NearlySeparatedBySite)
{
    public static readonly IReadOnlyDictionary<string, int> None = new Dictionary<string, int>();
}

/// <summary>Logistic log-likelihood: the sum of the sites' own (each site's gradient and
/// information are sums over its patients, so the sum over sites is the pooled one).</summary>
internal sealed class LogisticLikelihood(Federation federation, IReadOnlyList<string> features, string outcome, string? offset, DataSpec data, int count) : ILikelihood
{
    public IReadOnlyList<string> Parameters { get; } = ["(Intercept)", .. features];
    public int Count => count;
    public int InterceptIndex => 0;

    public async Task<LikelihoodValue> EvaluateAsync(double[] beta, bool derivatives, CancellationToken ct)
    {
        var parts = await federation.AskAllAsync(new LogisticRequest
        {
            Features = features, Outcome = outcome, Offset = offset, Coefficients = beta, Derivatives = derivatives, Data = data,
        }, ct);
        var p = beta.Length;
        var gradient = derivatives ? new double[p] : null;
        var information = derivatives ? Dense.Zeros(p, p) : null;
        foreach (var a in parts)
        {
            if (gradient is null) continue;
            Dense.AddInPlace(gradient, a.Gradient!.ToArray());
            Dense.AddInPlace(information!, a.Information!.Select(r => r.ToArray()).ToArray());
        }
        return new LikelihoodValue(parts.Sum(a => a.LogLikelihood), gradient, information,
            parts.Where(a => a.NumericallySeparated > 0).ToDictionary(a => a.Site, a => a.NumericallySeparated),
            parts.Where(a => a.NearlySeparated > 0).ToDictionary(a => a.Site, a => a.NearlySeparated));
    }
}

/// <summary>Breslow partial likelihood stratified by site: the sum of the sites' own.</summary>
internal sealed class StratifiedCoxLikelihood(Federation federation, IReadOnlyList<string> features, string time, string @event,
    double[] centre, DataSpec data, int count) : ILikelihood
{
    public IReadOnlyList<string> Parameters => features;
    public int Count => count;
    public int InterceptIndex => -1;

    public async Task<LikelihoodValue> EvaluateAsync(double[] beta, bool derivatives, CancellationToken ct)
    {
        var parts = await federation.AskAllAsync(new CoxStratumRequest
        {
            Features = features, Time = time, Event = @event, Centre = centre, Coefficients = beta, Derivatives = derivatives, Data = data,
        }, ct);
        var p = beta.Length;
        var gradient = derivatives ? new double[p] : null;
        var information = derivatives ? Dense.Zeros(p, p) : null;
        foreach (var a in parts)
        {
            if (gradient is null) continue;
            Dense.AddInPlace(gradient, a.Gradient!.ToArray());
            Dense.AddInPlace(information!, a.Information!.Select(r => r.ToArray()).ToArray());
        }
        return new LikelihoodValue(parts.Sum(a => a.LogLikelihood), gradient, information, LikelihoodValue.None, LikelihoodValue.None);
    }
}

/// <summary>
/// Pooled (unstratified) Breslow partial likelihood from the sites' risk-set sums on the pooled
/// event-time grid: log L = sum_events x'b - sum_k d_k log S0_k, gradient = sum_events x -
/// sum_k d_k S1_k/S0_k, information = sum_k d_k (S2_k/S0_k - (S1_k/S0_k)(S1_k/S0_k)'), with
/// S0, S1, S2 and d summed over sites.
/// </summary>
internal sealed class PooledCoxLikelihood(Federation federation, IReadOnlyList<string> features, string time, string @event,
    double[] centre, double[] eventTimes, DataSpec data, int count) : ILikelihood
{
    public IReadOnlyList<string> Parameters => features;
    public int Count => count;
    public int InterceptIndex => -1;

    public async Task<LikelihoodValue> EvaluateAsync(double[] beta, bool derivatives, CancellationToken ct)
    {
        var parts = await federation.AskAllAsync(new CoxRiskSetRequest
        {
            Features = features, Time = time, Event = @event, Centre = centre, Coefficients = beta, EventTimes = eventTimes,
            Derivatives = derivatives, Data = data,
        }, ct);
        var p = beta.Length;
        var k = eventTimes.Length;
        var d = new double[k];
        var s0 = new double[k];
        var s1 = derivatives ? Dense.Zeros(k, p) : null;
        var s2 = derivatives ? Dense.Zeros(k, p * (p + 1) / 2) : null;
        var eventSum = new double[p];
        foreach (var a in parts)
        {
            Dense.AddInPlace(eventSum, a.EventFeatureSum.ToArray());
            for (var t = 0; t < k; t++)
            {
                d[t] += a.EventCounts[t];
                s0[t] += a.S0[t];
                if (s1 is null) continue;
                Dense.AddInPlace(s1[t], a.S1![t].ToArray());
                Dense.AddInPlace(s2![t], a.S2![t].ToArray());
            }
        }
        var logLik = Dense.Dot(eventSum, beta);
        for (var t = 0; t < k; t++) logLik -= d[t] * Math.Log(s0[t]);
        if (!derivatives) return new LikelihoodValue(logLik, null, null, LikelihoodValue.None, LikelihoodValue.None);

        var gradient = (double[])eventSum.Clone();
        var information = Dense.Zeros(p, p);
        for (var t = 0; t < k; t++)
        {
            if (d[t] == 0) continue;
            var m = 0;
            for (var a = 0; a < p; a++)
            {
                var ma = s1![t][a] / s0[t];
                gradient[a] -= d[t] * ma;
                for (var b = a; b < p; b++)
                    information[a][b] += d[t] * (s2![t][m++] / s0[t] - ma * (s1[t][b] / s0[t]));
            }
        }
        for (var a = 0; a < p; a++)
            for (var b = 0; b < a; b++) information[a][b] = information[b][a];
        return new LikelihoodValue(logLik, gradient, information, LikelihoodValue.None, LikelihoodValue.None);
    }
}
