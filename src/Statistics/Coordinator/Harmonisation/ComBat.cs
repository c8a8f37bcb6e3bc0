using FedRad.Statistics.Numerics;
using FedRad.Statistics.Protocol;

namespace FedRad.Statistics.Coordinator.Harmonisation;

/// <summary>The fitted harmonisation: parameters every site applies to itself, and the features
/// left unadjusted because they are constant within some batch (as sva::ComBat leaves them).</summary>
public sealed record ComBatResult(ComBatAdjustment Adjustment, IReadOnlyList<string> Unadjusted, IReadOnlyList<string> Batches);

/// <summary>
/// Federated ComBat (parametric empirical Bayes, sva::ComBat with par.prior = TRUE), equal to
/// ComBat on the pooled data. Round 1: per-batch blocks of D'D and D'X give the pooled least-
/// squares fit B = (D'D)^-1 D'X that ComBat standardises with. Round 2: per-batch residual sums
/// of squares give the pooled variance and each batch's variance. The empirical-Bayes iteration
/// then runs at the coordinator on these sums alone: sum((s - g)^2) over a batch equals
/// SS_b + n_b (gamma_hat_b - g)^2.
/// </summary>
public static class ComBat
{
    public static async Task<ComBatResult> FitAsync(Federation federation, IReadOnlyList<string> features, IReadOnlyList<string> covariates,
        string? batchColumn, CancellationToken ct = default)
    {
        if (features.Count == 0) throw new AnalysisFailedException("ComBat: no feature to harmonise");
        var overlap = features.Intersect(covariates).ToArray();
        if (overlap.Length > 0) throw new AnalysisFailedException($"ComBat: '{overlap[0]}' cannot be both a feature to harmonise and a covariate to preserve");

        var design = await federation.AskAllAsync(new ComBatDesignRequest { Features = features, Covariates = covariates, BatchColumn = batchColumn }, ct);
        var levels = design.SelectMany(a => a.Batches.Select(b => b.Batch)).Distinct().Order(StringComparer.Ordinal).ToArray();
        if (levels.Length < 2) throw new AnalysisFailedException($"ComBat needs at least two batches; found {levels.Length} ({string.Join(", ", levels)})");
        var parts = levels.ToDictionary(l => l, l => design.SelectMany(a => a.Batches.Where(b => b.Batch == l)).ToArray());

        // features constant within a batch are left as they are, like sva::ComBat
        var kept = new List<int>();
        var unadjusted = new List<string>();
        for (var g = 0; g < features.Count; g++)
        {
            var constantSomewhere = levels.Any(l =>
            {
                var values = parts[l].Select(b => b.ConstantValues[g]).ToArray();
                return values.All(v => v.HasValue) && values.Distinct().Count() == 1;
            });
            if (constantSomewhere) unadjusted.Add(features[g]); else kept.Add(g);
        }
        if (kept.Count < 2)
            throw new AnalysisFailedException($"ComBat needs at least two features that vary within every batch; usable: {string.Join(", ", kept.Select(g => features[g]))}");

        var nb = levels.Length;
        var q = covariates.Count;
        var m = kept.Count;
        var size = nb + q;
        var n = new double[nb];
        var dtd = Dense.Zeros(size, size);
        var dtx = Dense.Zeros(size, m);
        var featureSums = Dense.Zeros(nb, m);
        var covariateSums = Dense.Zeros(nb, q);
        for (var b = 0; b < nb; b++)
            foreach (var part in parts[levels[b]])
            {
                n[b] += part.Count;
                for (var k = 0; k < q; k++)
                {
                    covariateSums[b][k] += part.CovariateSums[k];
                    for (var l = 0; l < q; l++) dtd[nb + k][nb + l] += part.CovariateCross[k][l];
                    for (var g = 0; g < m; g++) dtx[nb + k][g] += part.CovariateFeatureCross[k][kept[g]];
                }
                for (var g = 0; g < m; g++) featureSums[b][g] += part.FeatureSums[kept[g]];
            }
        for (var b = 0; b < nb; b++)
        {
            dtd[b][b] = n[b];
            for (var k = 0; k < q; k++) dtd[b][nb + k] = dtd[nb + k][b] = covariateSums[b][k];
            for (var g = 0; g < m; g++) dtx[b][g] = featureSums[b][g];
        }
        var chol = Dense.Cholesky(dtd)
            ?? throw new AnalysisFailedException(q > 0
                ? $"ComBat: the covariates ({string.Join(", ", covariates)}) are confounded with the batches or with each other; remove one"
                : "ComBat: the batch design is singular");
        var beta = Dense.Zeros(size, m); // [design column][feature]
        for (var g = 0; g < m; g++)
        {
            var col = Dense.CholeskySolve(chol, Enumerable.Range(0, size).Select(r => dtx[r][g]).ToArray());
            for (var r = 0; r < size; r++) beta[r][g] = col[r];
        }
        var total = n.Sum();
        var grandMean = new double[m];
        for (var g = 0; g < m; g++)
            for (var b = 0; b < nb; b++) grandMean[g] += n[b] / total * beta[b][g];

        var keptFeatures = kept.Select(g => features[g]).ToArray();
        var residuals = await federation.AskAllAsync(new ComBatResidualRequest
        {
            Features = keptFeatures, Covariates = covariates, BatchColumn = batchColumn, BatchLevels = levels, Coefficients = beta,
        }, ct);
        var ss = Dense.Zeros(nb, m);
        foreach (var a in residuals)
            foreach (var part in a.Batches)
            {
                var b = Array.IndexOf(levels, part.Batch);
                for (var g = 0; g < m; g++) ss[b][g] += part.ResidualSquares[g];
            }
        var sd = new double[m];
        for (var g = 0; g < m; g++) sd[g] = Math.Sqrt(Enumerable.Range(0, nb).Sum(b => ss[b][g]) / total);

        // standardised batch means (gamma_hat) and variances (delta_hat)
        var gammaHat = Dense.Zeros(nb, m);
        var deltaHat = Dense.Zeros(nb, m);
        for (var b = 0; b < nb; b++)
            for (var g = 0; g < m; g++)
            {
                var meanX = featureSums[b][g] / n[b];
                var standMean = grandMean[g];
                for (var k = 0; k < q; k++) standMean += covariateSums[b][k] / n[b] * beta[nb + k][g];
                gammaHat[b][g] = (meanX - standMean) / sd[g];
                deltaHat[b][g] = ss[b][g] / (sd[g] * sd[g]) / (n[b] - 1);
            }

        var batches = new List<BatchParameters>();
        for (var b = 0; b < nb; b++)
        {
            var (gammaStar, deltaStar) = EmpiricalBayes(gammaHat[b], deltaHat[b], ss[b].Select((s, g) => s / (sd[g] * sd[g])).ToArray(), n[b]);
            batches.Add(new BatchParameters { Batch = levels[b], GammaStar = gammaStar, DeltaStar = deltaStar });
        }
        var adjustment = new ComBatAdjustment
        {
            Features = keptFeatures, Covariates = covariates, BatchColumn = batchColumn, GrandMean = grandMean, PooledSd = sd,
            CovariateCoefficients = Enumerable.Range(0, q).Select(k => (IReadOnlyList<double>)beta[nb + k]).ToArray(), Batches = batches,
        };
        return new ComBatResult(adjustment, unadjusted, levels);
    }

    /// <summary>
    /// sva's it.sol for one batch: priors across features (normal for gamma, inverse gamma for
    /// delta by the method of moments), then alternate the posterior mean and variance until the
    /// largest relative change is at most 1e-4, exactly as sva computes that change.
    /// </summary>
    private static (double[] GammaStar, double[] DeltaStar) EmpiricalBayes(double[] gammaHat, double[] deltaHat, double[] withinSquares, double n)
    {
        var gammaBar = gammaHat.Average();
        var t2 = SampleVariance(gammaHat);
        var dMean = deltaHat.Average();
        var dVar = SampleVariance(deltaHat);
        var aPrior = (2 * dVar + dMean * dMean) / dVar;
        var bPrior = (dMean * dVar + dMean * dMean * dMean) / dVar;

        var m = gammaHat.Length;
        var gOld = (double[])gammaHat.Clone();
        var dOld = (double[])deltaHat.Clone();
        var gNew = new double[m];
        var dNew = new double[m];
        for (var iteration = 0; ; iteration++)
        {
            if (iteration > 100_000) throw new AnalysisFailedException("ComBat: the empirical-Bayes iteration does not converge");
            var change = double.NegativeInfinity;
            for (var g = 0; g < m; g++)
            {
                gNew[g] = (t2 * n * gammaHat[g] + dOld[g] * gammaBar) / (t2 * n + dOld[g]);
                var d = gammaHat[g] - gNew[g];
                var sum2 = withinSquares[g] + n * d * d;
                dNew[g] = (0.5 * sum2 + bPrior) / (n / 2 + aPrior - 1);
            }
            // sva: max(abs(g.new - g.old) / g.old, abs(d.new - d.old) / d.old), signed denominators included
            for (var g = 0; g < m; g++) change = Math.Max(change, Math.Abs(gNew[g] - gOld[g]) / gOld[g]);
            for (var g = 0; g < m; g++) change = Math.Max(change, Math.Abs(dNew[g] - dOld[g]) / dOld[g]);
            Array.Copy(gNew, gOld, m);
            Array.Copy(dNew, dOld, m);
            if (!(change > 1e-4)) break;
        }
        return (gNew, dNew);
    }

    private static double SampleVariance(double[] v)
    {
        var mean = v.Average();
        return v.Sum(x => (x - mean) * (x - mean)) / (v.Length - 1);
    }
}
