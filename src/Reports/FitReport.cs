using System.Text.Json.Nodes;
using FedRad.Statistics.Analyses;
using FedRad.Statistics.Coordinator.Validation;
using MathNet.Numerics.Distributions;

namespace FedRad.Reports;

/// <summary>
/// Builds <see cref="ValidationResults"/> from the result of a federated fit
/// (<see cref="FederatedFit.RunAsync"/>, the JSON that <c>fedrad sim fit --json</c> prints and an
/// analysis through the coordinator stores), run with <see cref="FitOptions.Validation"/>.
/// </summary>
public static class FitReport
{
    public static ValidationResults FromFit(JsonNode result, FitOptions plan, StudyDefinition study, string name, DateTimeOffset? generatedAt = null)
    {
        // through text, so that every value reads as any numeric type (a live JsonObject holds typed values)
        var r = JsonNode.Parse(result.ToJsonString()) as JsonObject ?? throw new ReportInputException("the analysis result is not a JSON object");
        var model = Required<string>(r, "model");
        var survival = model == "cox";
        var validationNode = r["validation"]
            ?? throw new ReportInputException("the analysis result has no 'validation' section: run the analysis with the validation option " +
                "(fedrad sim fit --report DIR, or \"validation\": true in the plan)");
        var validation = ValidationDetail.FromJson(validationNode);
        var notes = Strings(r["notes"]);

        var included = validation.Cohort.Select(c => new SiteCohortRow(c.Site, true, c.Patients, survival ? c.Events : c.Positives, null));
        var excluded = (r["excluded_sites"] as JsonObject ?? []).Select(e => new SiteCohortRow(e.Key, false, null, null, (string?)e.Value));
        var features = Strings(r["features"]);
        var stratified = r["stratified_by_site"]?.GetValue<bool>() == true;

        return new ValidationResults
        {
            Name = name,
            Study = study,
            Software = SoftwareVersion.Current(),
            GeneratedAt = generatedAt ?? DateTimeOffset.UtcNow,
            Model = new ModelSummary(stratified ? "cox-stratified" : model,
                survival ? $"{plan.Time}, {plan.Event} (time to event)" : $"{plan.Outcome} (0/1)", features,
                Required<int>(r, "n"), Required<int>(r, "cases"), Penalty(r["penalty"])),
            Cohort = [.. included, .. excluded],
            Discrimination = survival
                ? Discrimination(r, "c_index", "C-index", "infinitesimal jackknife (survival::concordance), normal 95% CI", [], new Dictionary<string, IReadOnlyList<RocPoint>>())
                : Discrimination(r, "auc", "AUC", "DeLong (pROC)", Roc(r["auc"]?["roc"]), validation.SiteRoc ?? new Dictionary<string, IReadOnlyList<RocPoint>>()),
            Calibration = survival ? null : new CalibrationResults(Number(r["brier"]), Number(r["calibration"]?["intercept"]), Number(r["calibration"]?["slope"]), validation.Calibration),
            KaplanMeier = validation.KaplanMeier,
            PooledScoreBins = null, // every patient's score enters the pooled AUC / C-index (docs/statistics.md)
            LeaveOneSiteOut = (r["loso"] as JsonArray ?? []).Select(f => new LosoFold(
                Required<string>(f!.AsObject(), "site"),
                Estimate(f[survival ? "c_index" : "auc"], f[survival ? "c_index_ci" : "auc_ci"]),
                Number(f["brier"]), Number(f["calibration_intercept"]), Number(f["calibration_slope"]), (string?)f["note"])).ToArray(),
            LeaveOneSiteOutNotRun = (r["loso"] as JsonArray ?? []).Count == 0 ? "it needs at least two sites" : null,
            Coefficients = Coefficients(r, features),
            Harmonisation = r["harmonization"] is JsonObject h
                ? new HarmonisationSummary((string)h["method"]!, (string)h["batch_by"]!, Strings(h["covariates"]), Strings(h["adjusted"]), Strings(h["unadjusted"]))
                : null,
            FeatureDistributions = validation.Distributions ?? [],
            Notes = notes,
        };
    }

    /// <summary>
    /// From stored files: the result JSON (what <c>fedrad sim fit --json</c> or
    /// <c>fedrad analysis status --json</c> prints) and the plan JSON it was run with (FitOptions
    /// fields, camelCase), which becomes the study definition verbatim.
    /// </summary>
    public static ValidationResults FromFiles(string resultPath, string planPath, string? name = null)
    {
        var planText = Read(planPath, "plan");
        FitOptions plan;
        try
        {
            plan = System.Text.Json.JsonSerializer.Deserialize<FitOptions>(planText, new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web))
                ?? throw new ReportInputException($"{planPath}: the plan is empty");
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new ReportInputException($"{planPath}: not an analysis plan ({Where(e)}{Reason(e)})");
        }
        var resultText = Read(resultPath, "result");
        JsonNode result;
        try
        {
            result = JsonNode.Parse(resultText) ?? throw new ReportInputException($"{resultPath}: the result is empty");
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new ReportInputException($"{resultPath}: not an analysis result ({Where(e)}{Reason(e)}); an unfinished or failed analysis has no result to report");
        }
        try
        {
            return FromFit(result, plan, new StudyDefinition("FedRad analysis plan (JSON)", planText), name ?? Path.GetFileNameWithoutExtension(resultPath));
        }
        catch (ReportInputException e)
        {
            throw new ReportInputException($"{resultPath}: {e.Message}");
        }
    }

    private static string Read(string path, string what)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ReportInputException($"cannot read the {what} file {path}: {e.Message}");
        }
    }

    /// <summary>Position (1-based) and the parser's reason without its own 0-based position suffix.</summary>
    private static string Where(System.Text.Json.JsonException e) =>
        e.LineNumber is { } line ? $"line {line + 1}, byte {e.BytePositionInLine + 1}: " : "";

    private static string Reason(System.Text.Json.JsonException e)
    {
        var cut = e.Message.IndexOfAny(['|']) is var bar and >= 0 ? e.Message.LastIndexOf(" Path:", bar, StringComparison.Ordinal) is var p and >= 0 ? p : e.Message.LastIndexOf(" LineNumber:", bar, StringComparison.Ordinal) : -1;
        return (cut > 0 ? e.Message[..cut] : e.Message).TrimEnd('.', ' ');
    }

    /// <summary>The study definition of a plan: its JSON (what re-runs it), with the sites' files for a simulation.</summary>
    public static StudyDefinition DefinitionOf(FitOptions plan) =>
        new("FedRad analysis plan (JSON)", System.Text.Json.JsonSerializer.Serialize(plan, plan.GetType(), new System.Text.Json.JsonSerializerOptions
        {
            WriteIndented = true, PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.CamelCase,
        }));

    private static DiscriminationResults Discrimination(JsonObject r, string key, string measure, string method,
        IReadOnlyList<RocPoint> pooledRoc, IReadOnlyDictionary<string, IReadOnlyList<RocPoint>> siteRoc)
    {
        var d = r[key] as JsonObject ?? throw new ReportInputException($"the analysis result has no '{key}': is the analysis finished?");
        var pooled = Estimate(d["pooled"], d["ci"]) ?? throw new ReportInputException($"the analysis result has no pooled {measure}");
        var perSite = (d["per_site"] as JsonObject ?? []).Select(s => new SiteMetric(s.Key, Estimate(s.Value, d["per_site_ci"]?[s.Key]),
            s.Value is null ? $"no {measure} (see notes)" : null)).ToArray();
        return new DiscriminationResults(measure, method, pooled, perSite, pooledRoc, siteRoc);
    }

    private static IReadOnlyList<CoefficientRow> Coefficients(JsonObject r, IReadOnlyList<string> features)
    {
        var rows = new List<CoefficientRow>();
        if (Number(r["intercept"]) is { } intercept)
        {
            // the fit reports the intercept's SE only; its Wald CI and p as the engine makes them for the features (confint.default)
            var se = Number(r["intercept_se"]);
            var z = Normal.InvCDF(0, 1, 0.975);
            rows.Add(se is { } s
                ? new CoefficientRow("(intercept)", intercept, s, intercept - z * s, intercept + z * s, 2 * Normal.CDF(0, 1, -Math.Abs(intercept / s)))
                : new CoefficientRow("(intercept)", intercept, null, null, null, null));
        }
        foreach (var f in features)
        {
            var ci = r["ci"]?[f];
            rows.Add(new CoefficientRow(f, Number(r["coefficients"]?[f]) ?? throw new ReportInputException($"the analysis result has no coefficient for '{f}'"),
                Number(r["se"]?[f]), Number(ci?[0]), Number(ci?[1]), Number(r["p_values"]?[f])));
        }
        return rows;
    }

    private static string Penalty(JsonNode? p) => p is null ? "none" :
        (string)p["type"]! + $", lambda {Number(p["lambda"]):R}" + ((string)p["type"]! == "elasticnet" ? $", alpha {Number(p["alpha"]):R}" : "");

    private static Metric? Estimate(JsonNode? value, JsonNode? ci) =>
        Number(value) is { } v ? new Metric(v, Number(ci?[0]), Number(ci?[1])) : null;

    private static IReadOnlyList<RocPoint> Roc(JsonNode? roc) =>
        (roc as JsonArray ?? []).Select(p => new RocPoint(Number(p!["threshold"])!.Value, Number(p["sensitivity"])!.Value, Number(p["specificity"])!.Value)).ToArray();

    private static double? Number(JsonNode? node) => node?.GetValue<double>();

    private static IReadOnlyList<string> Strings(JsonNode? node) => (node as JsonArray ?? []).Select(n => (string)n!).ToArray();

    private static T Required<T>(JsonObject r, string key) =>
        r[key] is { } v ? v.GetValue<T>() : throw new ReportInputException($"the analysis result has no '{key}'");
}
