using FedRad.Statistics.Coordinator;
using FedRad.Statistics.Coordinator.Harmonisation;
using FedRad.Statistics.Data;
using FedRad.Statistics.Protocol;
using FedRad.Statistics.Simulation;
using FedRad.Statistics.Site;

namespace FedRad.Statistics.Analyses;

/// <summary>
/// One site of an analysis as the coordinator side sees it: its name, where it is (a file, an
/// address) for messages, its channel, and its table only when the analysis runs in simulation.
/// </summary>
public sealed record SiteEndpoint(string Name, string Where, ISiteChannel Channel, SiteTable? LocalTable = null);

/// <summary>Steps shared by the analyses: choosing columns, the eligibility round (sites that
/// cannot take part are left out, saying why), and harmonisation.</summary>
public static class AnalysisPlan
{
    /// <summary>
    /// The analysis columns: the listed ones, or every column of the first site except the named
    /// exclusions and a column called 'id'. With all features, every other column must be numeric.
    /// </summary>
    public static IReadOnlyList<string> Features(IReadOnlyList<SiteEndpoint> sites, IReadOnlyList<string>? listed, bool all, IEnumerable<string> exclude)
    {
        if (listed is { Count: > 0 } && all) throw new StatisticsInputException("give either --features or --all-features, not both");
        if (listed is { Count: > 0 })
        {
            var dup = listed.GroupBy(f => f).FirstOrDefault(g => g.Count() > 1);
            if (dup is not null) throw new StatisticsInputException($"feature '{dup.Key}' is listed twice");
            return listed;
        }
        if (!all) throw new StatisticsInputException("give the model's features with --features f1,f2,... or use --all-features");
        var excluded = new HashSet<string>(exclude.Where(e => e is not null), StringComparer.Ordinal);
        var (name, path, _, table) = sites[0];
        if (table is null) throw new StatisticsInputException("--all-features needs the sites' tables, which only a simulation has; list the features with --features");
        var features = new List<string>();
        foreach (var column in table.Columns)
        {
            if (excluded.Contains(column) || column.Equals("id", StringComparison.OrdinalIgnoreCase)) continue;
            var bad = table.FirstNonNumericRow(column);
            if (bad >= 0)
                throw new StatisticsInputException($"site {name} ({path}) line {table.LineOf(bad)}: column '{column}' is not numeric ('{table.Text(column)[bad]}'); " +
                    "only a non-numeric column named 'id' is ignored; list the features with --features");
            features.Add(column);
        }
        if (features.Count == 0) throw new StatisticsInputException($"site {name} ({path}) has no feature column");
        return features;
    }

    /// <summary>
    /// Asks every site whether it can take part. A site below its minimum count, or refusing by
    /// policy, is left out (noted); a site whose data are unusable stops the analysis.
    /// </summary>
    public static async Task<Federation> EligibleAsync(IReadOnlyList<SiteEndpoint> sites, EligibilityRequest request, List<string> notes,
        Dictionary<string, string> excluded, IProgress<string>? progress, CancellationToken ct)
    {
        var kept = new List<ISiteChannel>();
        foreach (var (name, path, channel, _) in sites)
        {
            try
            {
                await channel.SendAsync(request, ct);
                kept.Add(channel);
            }
            catch (SiteRefusedException e) when (e.Refusal.Cause != RefusalCause.InvalidData)
            {
                excluded[name] = e.Refusal.Reason;
                var note = $"site {name} ({path}) is left out of the analysis: {e.Refusal.Reason}";
                notes.Add(note);
                progress?.Report(note);
            }
            catch (SiteRefusedException e)
            {
                throw new StatisticsInputException($"site {name} ({path}): {e.Refusal.Reason}");
            }
        }
        if (kept.Count == 0) throw new AnalysisFailedException("no site can take part in the analysis (" + string.Join("; ", excluded.Select(x => $"{x.Key}: {x.Value}")) + ")");
        return new Federation(kept);
    }

    public static string? BatchColumn(string? batchBy) => batchBy is null or "site" ? null : batchBy;

    public static async Task<ComBatResult> HarmoniseAsync(Federation federation, IReadOnlyList<string> features, IReadOnlyList<string> covariates,
        string? batchBy, List<string> notes, IProgress<string>? progress, CancellationToken ct)
    {
        progress?.Report($"harmonising {features.Count} feature(s) with ComBat across {federation.Sites.Count} site(s)");
        var combat = await ComBat.FitAsync(federation, features, covariates, BatchColumn(batchBy), ct);
        if (combat.Unadjusted.Count > 0)
            notes.Add($"ComBat left {string.Join(", ", combat.Unadjusted)} unadjusted: constant within a batch (as sva::ComBat does)");
        return combat;
    }

    public static SimulatedSites Load(IReadOnlyList<string> paths, int minimumCount) =>
        SimulatedSites.Load(paths, new SiteOptions { MinimumCount = minimumCount });
}
