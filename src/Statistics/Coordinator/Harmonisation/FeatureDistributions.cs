using FedRad.Statistics.Protocol;

namespace FedRad.Statistics.Coordinator.Harmonisation;

/// <summary>One site's histogram of a feature before and after harmonisation on the common grid.</summary>
/// <param name="Before">Cells: below the first edge, each bin, at or above the last edge; null: suppressed by the site.</param>
/// <param name="After">The same after harmonisation; null when there was none.</param>
public sealed record SiteHistogram(string Site, int Count, IReadOnlyList<int?> Before, IReadOnlyList<int?>? After);

/// <summary>A feature's common grid (equal-width bins over the pooled mean ± 3 SD of the raw and
/// of the harmonised values, whichever is wider) and every site's histograms on it.</summary>
public sealed record FeatureHistogram(string Feature, IReadOnlyList<double> Edges, double MeanBefore, double SdBefore, double? MeanAfter, double? SdAfter,
    IReadOnlyList<SiteHistogram> Sites);

/// <summary>
/// Feature distributions per site before and after harmonisation, for the validation report. The
/// coordinator chooses each feature's grid from pooled moments (<see cref="PooledMoments"/>, which
/// reveal the sites' means and covariances and nothing finer), then asks every site for its
/// histogram of raw and of harmonised values (<see cref="HistogramRequest"/>; cells below the
/// site's minimum count are suppressed by the site).
/// </summary>
public static class FeatureDistributions
{
    public const int Bins = 12;

    /// <summary>Half-width of the grid in pooled SDs.</summary>
    public const double Span = 3;

    public static async Task<IReadOnlyList<FeatureHistogram>> ComputeAsync(Federation federation, IReadOnlyList<string> features, ComBatAdjustment? harmonisation,
        CancellationToken ct = default)
    {
        if (features.Count == 0) return [];
        var raw = new DataSpec();
        var before = await PooledMoments.ComputeAsync(federation, features, raw, ct);
        var harmonised = harmonisation is null ? null : new DataSpec { Harmonisation = harmonisation };
        var after = harmonised is null ? null : await PooledMoments.ComputeAsync(federation, features, harmonised, ct);
        var sdBefore = before.SampleSd;
        var sdAfter = after?.SampleSd;
        var edges = new double[features.Count][];
        for (var j = 0; j < features.Count; j++)
        {
            var lo = before.Mean[j] - Span * sdBefore[j];
            var hi = before.Mean[j] + Span * sdBefore[j];
            if (after is not null)
            {
                lo = Math.Min(lo, after.Mean[j] - Span * sdAfter![j]);
                hi = Math.Max(hi, after.Mean[j] + Span * sdAfter[j]);
            }
            if (!(hi > lo)) throw new AnalysisFailedException($"feature '{features[j]}' is constant across all sites: no distribution to show");
            var width = (hi - lo) / Bins;
            edges[j] = Enumerable.Range(0, Bins + 1).Select(b => lo + b * width).ToArray();
        }
        var beforeCounts = await federation.AskAllAsync(new HistogramRequest { Columns = features, Edges = edges, Data = raw }, ct);
        var afterCounts = harmonised is null ? null : await federation.AskAllAsync(new HistogramRequest { Columns = features, Edges = edges, Data = harmonised }, ct);
        return features.Select((f, j) => new FeatureHistogram(f, edges[j], before.Mean[j], sdBefore[j], after?.Mean[j], sdAfter?[j],
            beforeCounts.Select((a, s) => new SiteHistogram(a.Site, a.Count, a.Counts[j], afterCounts?[s].Counts[j])).ToArray())).ToArray();
    }
}
