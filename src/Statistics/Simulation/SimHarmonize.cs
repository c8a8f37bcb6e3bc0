using System.Text.Json.Nodes;
using FedRad.Statistics.Analyses;
using FedRad.Statistics.Data;
using FedRad.Statistics.Protocol;
using FedRad.Statistics.Site;

namespace FedRad.Statistics.Simulation;

/// <summary>Options of <c>fedrad sim harmonize</c>.</summary>
public sealed record SimHarmonizeOptions
{
    public required IReadOnlyList<string> Sites { get; init; }
    public required string OutputDirectory { get; init; }
    public string? BatchBy { get; init; }
    public IReadOnlyList<string> Covariates { get; init; } = [];
    public IReadOnlyList<string>? Features { get; init; }
    public bool AllFeatures { get; init; }

    /// <summary>Columns copied unchanged (outcomes, follow-up); with --all-features.</summary>
    public IReadOnlyList<string> Exclude { get; init; } = [];

    public int MinimumCount { get; init; } = 5;
}

/// <summary>
/// <c>fedrad sim harmonize</c>: fits ComBat federatedly and lets every site write its own
/// harmonised table (same columns and rows; harmonised features replaced, all else copied).
/// </summary>
public static class SimHarmonize
{
    public static async Task<JsonObject> RunAsync(SimHarmonizeOptions o, IProgress<string>? progress = null, CancellationToken ct = default)
    {
        var sites = AnalysisPlan.Load(o.Sites, o.MinimumCount);
        var batchColumn = AnalysisPlan.BatchColumn(o.BatchBy);
        var features = AnalysisPlan.Features(sites.Endpoints, o.Features, o.AllFeatures, [.. o.Exclude, .. o.Covariates, batchColumn!])
            .Except(o.Covariates).ToArray();
        var notes = new List<string>();
        var excluded = new Dictionary<string, string>();
        var federation = await AnalysisPlan.EligibleAsync(sites.Endpoints, new EligibilityRequest
        {
            Columns = [.. features, .. o.Covariates], BatchColumn = batchColumn, Harmonise = true,
        }, notes, excluded, progress, ct);
        var combat = await AnalysisPlan.HarmoniseAsync(federation, features, o.Covariates, o.BatchBy, notes, progress, ct);

        Directory.CreateDirectory(o.OutputDirectory);
        var files = new JsonObject();
        foreach (var (name, _, table, _) in sites.Sites.Where(s => !excluded.ContainsKey(s.Name)))
        {
            // the site applies the parameters to its own rows and writes its own file
            var harmonised = new StatisticsSite(name, table, new SiteOptions { MinimumCount = o.MinimumCount }).Harmonised(combat.Adjustment);
            var path = Path.Combine(o.OutputDirectory, name + ".csv");
            CsvTable.Write(harmonised, path);
            files[name] = path;
            progress?.Report($"site {name}: wrote {path}");
        }
        return new JsonObject
        {
            ["method"] = "combat",
            ["batch_by"] = o.BatchBy ?? "site",
            ["batches"] = new JsonArray(combat.Batches.Select(b => (JsonNode?)b).ToArray()),
            ["covariates"] = new JsonArray(o.Covariates.Select(c => (JsonNode?)c).ToArray()),
            ["adjusted"] = new JsonArray(combat.Adjustment.Features.Select(f => (JsonNode?)f).ToArray()),
            ["unadjusted"] = new JsonArray(combat.Unadjusted.Select(f => (JsonNode?)f).ToArray()),
            ["excluded_sites"] = new JsonObject(excluded.Select(e => KeyValuePair.Create(e.Key, (JsonNode?)e.Value))),
            ["files"] = files,
            ["notes"] = new JsonArray(notes.Select(n => (JsonNode?)n).ToArray()),
        };
    }
}
