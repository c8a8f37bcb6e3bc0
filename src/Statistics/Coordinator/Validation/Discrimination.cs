using FedRad.Statistics.Coordinator.Models;
using FedRad.Statistics.Numerics;
using FedRad.Statistics.Protocol;
using MathNet.Numerics.Distributions;

namespace FedRad.Statistics.Coordinator.Validation;

/// <summary>An estimate with its variance and 95% confidence interval.</summary>
public sealed record Estimate(double Value, double Variance, double CiLow, double CiHigh);

/// <summary>A point of an empirical ROC curve: patients with score &gt;= Threshold are called positive.</summary>
public sealed record RocPoint(double Threshold, double Sensitivity, double Specificity);

/// <summary>Pooled and per-site AUC with DeLong 95% CIs (pROC's ci.auc(method = "delong")) and ROC
/// points at the pooled partition's thresholds. A site whose patients are all of one class has no AUC.</summary>
public sealed record AucResult(
    Estimate Pooled,
    IReadOnlyDictionary<string, Estimate?> PerSite,
    IReadOnlyList<RocPoint> PooledRoc,
    IReadOnlyDictionary<string, IReadOnlyList<RocPoint>> SiteRoc,
    IReadOnlyList<string> Notes,
    int Rounds);

/// <summary>Pooled and per-site Harrell's C with the infinitesimal-jackknife variance of
/// survival::concordance and a normal 95% CI.</summary>
public sealed record ConcordanceResult(Estimate Pooled, IReadOnlyDictionary<string, Estimate?> PerSite, IReadOnlyList<string> Notes, int Rounds);

public static class Discrimination
{
    /// <summary>AUC of <paramref name="score"/> for the 0/1 <paramref name="outcome"/> (higher score: positive).</summary>
    public static async Task<AucResult> AucAsync(Federation federation, string score, string outcome, DataSpec? data = null, CancellationToken ct = default)
    {
        var rank = await RankProtocol.RunAsync(federation, score, new RankRoles { Outcome = outcome }, data ?? new DataSpec(), ct);
        if (rank.Pooled.Cases < 2 || rank.Pooled.Controls < 2)
            throw new AnalysisFailedException($"AUC: the outcome '{outcome}' needs at least two patients of each class in the pooled data");
        var notes = new List<string>();
        var perSite = new Dictionary<string, Estimate?>();
        foreach (var (site, r) in rank.Sites)
        {
            if (r.Cases < 2 || r.Controls < 2)
            {
                notes.Add(r.Cases == 0 || r.Controls == 0
                    ? $"site {site}: no AUC, all of its patients have outcome {(r.Cases == 0 ? 0 : 1)}"
                    : $"site {site}: no AUC, fewer than two patients in one outcome class");
                perSite[site] = null;
            }
            else perSite[site] = DeLong(r);
        }
        return new AucResult(DeLong(rank.Pooled), perSite, Roc(rank, null), rank.Sites.Keys.ToDictionary(s => s, s => Roc(rank, s)), notes, rank.Rounds);
    }

    /// <summary>Harrell's C of <paramref name="score"/> (higher score: shorter survival).</summary>
    public static async Task<ConcordanceResult> ConcordanceAsync(Federation federation, string score, string time, string @event,
        DataSpec? data = null, CancellationToken ct = default)
    {
        var (eventTimes, _) = await CoxRegression.PooledEventTimesAsync(federation, time, @event, ct);
        var roles = new RankRoles { Time = time, Event = @event, EventTimes = eventTimes };
        var rank = await RankProtocol.RunAsync(federation, score, roles, data ?? new DataSpec(), ct);
        if (rank.Pooled.Pairs.Total == 0) throw new AnalysisFailedException("C-index: no comparable pair in the pooled data (no event before another patient's time)");
        var notes = new List<string>();
        var perSite = new Dictionary<string, Estimate?>();
        foreach (var (site, r) in rank.Sites)
        {
            if (r.Pairs.Total == 0)
            {
                notes.Add($"site {site}: no C-index, it has no comparable pair (no event)");
                perSite[site] = null;
            }
            else perSite[site] = Jackknife(r);
        }
        return new ConcordanceResult(Jackknife(rank.Pooled), perSite, notes, rank.Rounds);
    }

    private static Estimate DeLong(SiteRank r)
    {
        var auc = (r.Pairs.Concordant + 0.5 * r.Pairs.Tied) / r.Pairs.Total;
        var variance = r.Sums.CaseDeviationSquares / (r.Cases - 1) / r.Cases + r.Sums.ControlDeviationSquares / (r.Controls - 1) / r.Controls;
        var sd = Math.Sqrt(variance);
        // pROC: qnorm(c(0.025, 0.975), auc, sd), clipped to [0, 1]
        var low = Math.Clamp(Normal.InvCDF(auc, sd, 0.025), 0, 1);
        var high = Math.Clamp(Normal.InvCDF(auc, sd, 0.975), 0, 1);
        if (sd == 0) (low, high) = (auc, auc);
        return new Estimate(auc, variance, low, high);
    }

    private static Estimate Jackknife(SiteRank r)
    {
        var c = (r.Pairs.Concordant + 0.5 * r.Pairs.Tied) / r.Pairs.Total;
        var variance = r.Sums.InfluenceSquares / 4;
        var half = RegressionFit.Z975 * Math.Sqrt(variance);
        return new Estimate(c, variance, c - half, c + half);
    }

    /// <summary>ROC points at the lower edges of the final score intervals (pooled, or one site's counts).</summary>
    private static IReadOnlyList<RocPoint> Roc(RankOutcome rank, string? site)
    {
        var cells = site is null ? rank.Cells.Values.SelectMany(c => c) : rank.Cells[site];
        var positives = new long[rank.Bins.Count];
        var negatives = new long[rank.Bins.Count];
        foreach (var c in cells)
        {
            if (c.CaseGroup >= 0) positives[c.Bin] += c.Count;
            if (c.Exit > 0) negatives[c.Bin] += c.Count;
        }
        double p = positives.Sum(), n = negatives.Sum();
        var points = new List<RocPoint>();
        if (p == 0 || n == 0) return points;
        long positivesBelow = 0, negativesBelow = 0;
        for (var b = 0; b < rank.Bins.Count; b++)
        {
            if (b > 0 && positives[b] + negatives[b] > 0)
                points.Add(new RocPoint(OrderedKey.ToDouble(rank.Bins[b].Lo), (p - positivesBelow) / p, negativesBelow / n));
            positivesBelow += positives[b];
            negativesBelow += negatives[b];
        }
        return points;
    }
}
