using FedRad.Statistics.Numerics;

namespace FedRad.Statistics.Coordinator.Models;

/// <summary>Where an optimisation ended: coefficients, the likelihood there (with derivatives) and the number of rounds.</summary>
internal sealed record Optimum(double[] Beta, LikelihoodValue Value, int Iterations);

/// <summary>
/// Newton-Raphson (for the logistic model: IRLS) on the pooled gradient and information, with
/// step halving when the log-likelihood does not increase. Runs to a relative step below 1e-10,
/// where the next step would be below machine precision (quadratic convergence).
/// </summary>
internal static class NewtonSolver
{
    public const int MaxIterations = 50;

    public static async Task<Optimum> MaximiseAsync(ILikelihood likelihood, string model, CancellationToken ct)
    {
        var beta = new double[likelihood.Parameters.Count];
        var value = await likelihood.EvaluateAsync(beta, true, ct);
        for (var iteration = 1; iteration <= MaxIterations; iteration++)
        {
            var chol = Dense.Cholesky(value.Information!)
                ?? throw new AnalysisFailedException(value.NearlySeparatedBySite.Count > 0
                    ? $"{model}: {Separation(value.NearlySeparatedBySite)}; the maximum-likelihood estimates do not exist (consider a penalty)"
                    : $"{model}: the information matrix is singular at iteration {iteration} (collinear features, or a feature constant among the patients)");
            var step = Dense.CholeskySolve(chol, value.Gradient!);
            double[] next;
            LikelihoodValue nextValue;
            var halvings = 0;
            while (true)
            {
                next = beta.Zip(step, (b, s) => b + s).ToArray();
                nextValue = await likelihood.EvaluateAsync(next, true, ct);
                if (double.IsFinite(nextValue.LogLikelihood) && nextValue.LogLikelihood >= value.LogLikelihood - 1e-12 * (1 + Math.Abs(value.LogLikelihood))) break;
                if (++halvings > 40) throw new AnalysisFailedException($"{model}: no step increases the likelihood (numerical failure at iteration {iteration})");
                for (var j = 0; j < step.Length; j++) step[j] /= 2;
            }
            var converged = true;
            for (var j = 0; j < step.Length; j++)
                if (Math.Abs(step[j]) > 1e-10 * (1 + Math.Abs(next[j]))) converged = false;
            beta = next;
            value = nextValue;
            if (converged) return new Optimum(beta, value, iteration);
        }
        throw new AnalysisFailedException($"{model}: Newton-Raphson did not converge in {MaxIterations} iterations" +
            (value.NearlySeparatedBySite.Count > 0 ? $" ({Separation(value.NearlySeparatedBySite)})" : " (the estimates keep growing: likely separation or monotone likelihood)"));
    }

    public static string Separation(IReadOnlyDictionary<string, int> bySite) =>
        "perfect or quasi-complete separation: fitted probabilities (numerically) 0 or 1 for " +
        string.Join(", ", bySite.Select(s => $"{s.Value} patient(s) at site {s.Key}"));
}

/// <summary>
/// Elastic net with glmnet's objective: -logL/n + lambda * sum_j (alpha w_j |b_j| + (1 - alpha)/2 w_j^2 b_j^2),
/// intercept unpenalised, w_j the pooled population SD of feature j (glmnet's standardize = TRUE
/// expressed on the original scale). Proximal Newton: each round the sites return the exact
/// pooled gradient and information, the coordinator solves the penalised quadratic model by
/// coordinate descent and backtracks on the true objective. Converges to the exact optimum.
/// </summary>
internal static class ElasticNetSolver
{
    public const int MaxIterations = 200;

    public static async Task<Optimum> MinimiseAsync(ILikelihood likelihood, double[] weights, double lambda, double alpha, string model, CancellationToken ct)
    {
        var p = likelihood.Parameters.Count;
        double n = likelihood.Count;
        double Penalty(double[] b)
        {
            var s = 0.0;
            for (var j = 0; j < p; j++) s += lambda * (alpha * weights[j] * Math.Abs(b[j]) + (1 - alpha) / 2 * weights[j] * weights[j] * b[j] * b[j]);
            return s;
        }

        var beta = new double[p];
        var value = await likelihood.EvaluateAsync(beta, true, ct);
        var objective = -value.LogLikelihood / n + Penalty(beta);
        for (var iteration = 1; iteration <= MaxIterations; iteration++)
        {
            var g = value.Gradient!.Select(v => -v / n).ToArray();
            var h = value.Information!.Select(r => r.Select(v => v / n).ToArray()).ToArray();
            var target = SolveQuadratic(beta, g, h, weights, lambda, alpha, model);
            var d = target.Zip(beta, (z, b) => z - b).ToArray();
            var converged = true;
            for (var j = 0; j < p; j++)
                if (Math.Abs(d[j]) > 1e-12 * (1 + Math.Abs(beta[j]))) converged = false;
            if (converged) return new Optimum(beta, value, iteration);

            var decrease = Dense.Dot(g, d) + Penalty(target) - Penalty(beta);
            var t = 1.0;
            while (true)
            {
                var candidate = beta.Zip(d, (b, s) => b + t * s).ToArray();
                var candidateValue = await likelihood.EvaluateAsync(candidate, true, ct);
                var candidateObjective = -candidateValue.LogLikelihood / n + Penalty(candidate);
                if (double.IsFinite(candidateObjective) && candidateObjective <= objective + 1e-4 * t * decrease + 1e-15 * Math.Abs(objective))
                {
                    beta = candidate;
                    value = candidateValue;
                    objective = candidateObjective;
                    break;
                }
                t /= 2;
                if (t < 1e-12) throw new AnalysisFailedException($"{model}: the line search failed (numerical failure at iteration {iteration})");
            }
        }
        throw new AnalysisFailedException($"{model}: the penalised fit did not converge in {MaxIterations} iterations");
    }

    /// <summary>Minimises g'(z - b) + (z - b)'H(z - b)/2 + penalty(z) by cyclic coordinate descent.</summary>
    private static double[] SolveQuadratic(double[] beta, double[] g, double[][] h, double[] weights, double lambda, double alpha, string model)
    {
        var p = beta.Length;
        var z = (double[])beta.Clone();
        var hd = new double[p]; // H (z - b)
        for (var sweep = 0; sweep < 1_000_000; sweep++)
        {
            var maxChange = 0.0;
            for (var j = 0; j < p; j++)
            {
                if (!(h[j][j] > 0)) throw new AnalysisFailedException($"{model}: no information about '{j}' (a constant feature?)");
                var u = g[j] + hd[j] - h[j][j] * z[j];
                var threshold = lambda * weights[j] * alpha;
                var numerator = Math.Abs(u) <= threshold ? 0 : -(u - Math.Sign(u) * threshold);
                var zj = numerator / (h[j][j] + lambda * weights[j] * weights[j] * (1 - alpha));
                var delta = zj - z[j];
                if (delta == 0) continue;
                for (var k = 0; k < p; k++) hd[k] += h[k][j] * delta;
                z[j] = zj;
                maxChange = Math.Max(maxChange, Math.Abs(delta) / (1 + Math.Abs(zj)));
            }
            if (maxChange < 1e-15) return z;
        }
        throw new AnalysisFailedException($"{model}: coordinate descent did not converge");
    }
}
