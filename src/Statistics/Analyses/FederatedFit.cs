using System.Text.Json.Nodes;
using FedRad.Statistics.Coordinator;
using FedRad.Statistics.Coordinator.Harmonisation;
using FedRad.Statistics.Coordinator.Models;
using FedRad.Statistics.Coordinator.Validation;
using FedRad.Statistics.Data;
using FedRad.Statistics.Protocol;

namespace FedRad.Statistics.Analyses;

/// <summary>An analysis plan: the model, its columns, harmonisation and penalty. The same plan runs in
/// simulation (<c>fedrad sim fit</c>) and across real sites (<c>fedrad analysis run</c>).</summary>
public record FitOptions
{
    /// <summary>"logistic" or "cox".</summary>
    public required string Model { get; init; }

    public string? Outcome { get; init; }
    public string? Time { get; init; }
    public string? Event { get; init; }
    public IReadOnlyList<string>? Features { get; init; }
    public bool AllFeatures { get; init; }

    /// <summary>null or "combat".</summary>
    public string? Harmonize { get; init; }

    public IReadOnlyList<string> Covariates { get; init; } = [];

    /// <summary>"site" (default) or a column holding each patient's batch (e.g. scanner).</summary>
    public string? BatchBy { get; init; }

    /// <summary>"none", "l2", "l1" or "elasticnet".</summary>
    public string Penalty { get; init; } = "none";

    public double? Lambda { get; init; }
    public double? Alpha { get; init; }
    public bool StratifyBySite { get; init; }

    /// <summary>Also compute what the validation report needs (<see cref="ValidationDetail"/>: cohort per
    /// site, per-site ROC, calibration by risk decile, Kaplan-Meier by risk group, feature distributions
    /// before/after harmonisation) into the result's "validation". Extra rounds and disclosures: docs/reports.md.</summary>
    public bool Validation { get; init; }

    /// <summary>The channels stand for the secure sum of the sites (docs/statistics.md, "Secure aggregation"):
    /// only summable requests are sent; a plan that needs per-site answers is refused before any request.</summary>
    public bool SecureAggregation { get; init; }
}

/// <summary>
/// Fits a logistic or Cox model federatedly and reports it with its discrimination (pooled and per
/// site) and leave-one-site-out validation. Only what the sites' channels return is used, so the
/// result is the same whether the channels are in-process (simulation) or real sites.
/// </summary>
public static class FederatedFit
{
    public static async Task<JsonObject> RunAsync(FitOptions o, IReadOnlyList<SiteEndpoint> sites, IProgress<string>? progress = null, CancellationToken ct = default)
    {
        var logistic = o.Model switch
        {
            "logistic" => true,
            "cox" => false,
            _ => throw new StatisticsInputException($"--model must be logistic or cox (got '{o.Model}')"),
        };
        if (logistic && o.Outcome is null) throw new StatisticsInputException("--model logistic needs --outcome COLUMN");
        if (!logistic && (o.Time is null || o.Event is null)) throw new StatisticsInputException("--model cox needs --time COLUMN and --event COLUMN");
        if (logistic && (o.Time is not null || o.Event is not null)) throw new StatisticsInputException("--time/--event belong to --model cox");
        if (!logistic && o.Outcome is not null) throw new StatisticsInputException("--outcome belongs to --model logistic");
        if (logistic && o.StratifyBySite) throw new StatisticsInputException("--stratify-by-site belongs to --model cox");
        if (o.Harmonize is not null and not "combat") throw new StatisticsInputException($"--harmonize must be combat (got '{o.Harmonize}')");
        if (o.Harmonize is null && (o.Covariates.Count > 0 || o.BatchBy is not null))
            throw new StatisticsInputException("--covariates and --batch-by need --harmonize combat");
        var penalty = ParsePenalty(o.Penalty, o.Lambda, o.Alpha);
        if (o.SecureAggregation && SecureRefusal(o, logistic, penalty) is { } why) throw new StatisticsInputException(why);

        var batchColumn = AnalysisPlan.BatchColumn(o.BatchBy);
        var features = AnalysisPlan.Features(sites, o.Features, o.AllFeatures, [o.Outcome!, o.Time!, o.Event!, batchColumn!]);
        var outcomeColumns = new[] { o.Outcome, o.Time, o.Event }.Where(c => c is not null).ToArray();
        var clash = features.FirstOrDefault(f => outcomeColumns.Contains(f) || f == batchColumn);
        if (clash is not null) throw new StatisticsInputException($"'{clash}' cannot be both a feature and an outcome or batch column");
        var outcomeCovariate = o.Covariates.FirstOrDefault(c => outcomeColumns.Contains(c));
        if (outcomeCovariate is not null) throw new StatisticsInputException($"covariate '{outcomeCovariate}' is an outcome column");

        var notes = new List<string>();
        var excluded = new Dictionary<string, string>();
        progress?.Report($"checking {sites.Count} site(s)");
        var federation = await AnalysisPlan.EligibleAsync(sites, new EligibilityRequest
        {
            Columns = [.. features.Union(o.Covariates)], Outcome = o.Outcome, Time = o.Time, Event = o.Event,
            BatchColumn = batchColumn, Harmonise = o.Harmonize is not null,
        }, notes, excluded, progress, ct);

        var data = new DataSpec();
        ComBatResult? combat = null;
        if (o.Harmonize is not null)
        {
            combat = await AnalysisPlan.HarmoniseAsync(federation, features.Except(o.Covariates).ToArray(), o.Covariates, o.BatchBy, notes, progress, ct);
            data = new DataSpec { Harmonisation = combat.Adjustment };
        }

        progress?.Report($"fitting the {o.Model} model on {federation.Sites.Count} site(s)");
        var fit = logistic
            ? await LogisticRegression.FitAsync(federation, features, o.Outcome!, penalty, data, ct)
            : await CoxRegression.FitAsync(federation, features, o.Time!, o.Event!, o.StratifyBySite, penalty, data, ct);
        var scored = ModelScore.With(data, fit);

        var report = new JsonObject
        {
            ["model"] = o.Model,
            ["n"] = fit.Count,
            ["cases"] = fit.Cases,
            ["sites"] = Array(federation.Names.Select(n => (JsonNode?)n)),
            ["excluded_sites"] = new JsonObject(excluded.Select(e => KeyValuePair.Create(e.Key, (JsonNode?)e.Value))),
            ["features"] = Array(features.Select(f => (JsonNode?)f)),
            ["penalty"] = penalty is null ? null : new JsonObject { ["type"] = o.Penalty, ["lambda"] = penalty.Lambda, ["alpha"] = penalty.Alpha },
            ["harmonization"] = combat is null ? null : new JsonObject
            {
                ["method"] = "combat", ["batch_by"] = o.BatchBy ?? "site", ["covariates"] = Array(o.Covariates.Select(c => (JsonNode?)c)),
                ["adjusted"] = Array(combat.Adjustment.Features.Select(f => (JsonNode?)f)), ["unadjusted"] = Array(combat.Unadjusted.Select(f => (JsonNode?)f)),
            },
            ["stratified_by_site"] = logistic ? null : o.StratifyBySite,
        };
        var offset = logistic ? 1 : 0;
        report["coefficients"] = Map(features, j => fit.Coefficients[j + offset]);
        report["intercept"] = logistic ? fit.Coefficients[0] : null;
        report["se"] = fit.StandardErrors is { } se ? Map(features, j => se[j + offset]) : null;
        report["intercept_se"] = logistic && fit.StandardErrors is { } ise ? ise[0] : null;
        report["p_values"] = fit.P is { } p ? Map(features, j => p[j + offset]) : null;
        report["ci"] = fit.CiLow is { } lo ? new JsonObject(features.Select((f, j) =>
            KeyValuePair.Create(f, (JsonNode?)Pair(lo[j + offset], fit.CiHigh![j + offset])))) : null;

        if (o.SecureAggregation)
        {
            // Only sums: Brier and calibration (logistic fits on the score); the AUC and leave-one-site-out need per-site answers.
            progress?.Report("calibration (secure aggregation)");
            var calibration = await Calibration.EvaluateAsync(federation, ModelScore.Column, o.Outcome!, scored, ct);
            report["brier"] = calibration.Brier;
            report["calibration"] = new JsonObject { ["intercept"] = calibration.Intercept, ["slope"] = calibration.Slope };
            report["auc"] = null;
            report["c_index"] = null;
            report["loso"] = new JsonArray();
            report["secure_aggregation"] = true;
            notes.Add("secure aggregation: the coordinator learned only sums over sites; no AUC, per-site results or leave-one-site-out (" + SecureSum.Refusal(new RankBinsRequest { Score = ModelScore.Column, Roles = new RankRoles { Outcome = o.Outcome }, Bins = [] }) + ")");
            report["notes"] = Array(notes.Select(n => (JsonNode?)n));
            return report;
        }

        AucResult? aucResult = null;
        if (logistic)
        {
            progress?.Report("pooled and per-site AUC (DeLong CI), calibration");
            var auc = aucResult = await Discrimination.AucAsync(federation, ModelScore.Column, o.Outcome!, scored, ct);
            notes.AddRange(auc.Notes);
            CalibrationResult? calibration = null;
            try
            {
                calibration = await Calibration.EvaluateAsync(federation, ModelScore.Column, o.Outcome!, scored, ct);
            }
            catch (AnalysisFailedException e)
            {
                notes.Add($"no calibration: {e.Message}");
            }
            report["auc"] = new JsonObject
            {
                ["pooled"] = auc.Pooled.Value, ["ci"] = Pair(auc.Pooled.CiLow, auc.Pooled.CiHigh),
                ["per_site"] = new JsonObject(auc.PerSite.Select(s => KeyValuePair.Create(s.Key, (JsonNode?)(s.Value?.Value)))),
                ["per_site_ci"] = new JsonObject(auc.PerSite.Select(s => KeyValuePair.Create(s.Key, s.Value is null ? null : (JsonNode?)Pair(s.Value.CiLow, s.Value.CiHigh)))),
                ["roc"] = Array(auc.PooledRoc.Select(r => (JsonNode?)new JsonObject { ["threshold"] = r.Threshold, ["sensitivity"] = r.Sensitivity, ["specificity"] = r.Specificity })),
            };
            report["brier"] = calibration?.Brier;
            report["calibration"] = calibration is null ? null : new JsonObject { ["intercept"] = calibration.Intercept, ["slope"] = calibration.Slope };
            report["c_index"] = null;
        }
        else
        {
            progress?.Report("pooled and per-site C-index");
            var c = await Discrimination.ConcordanceAsync(federation, ModelScore.Column, o.Time!, o.Event!, scored, ct);
            notes.AddRange(c.Notes);
            report["auc"] = null;
            report["c_index"] = new JsonObject
            {
                ["pooled"] = c.Pooled.Value, ["ci"] = Pair(c.Pooled.CiLow, c.Pooled.CiHigh),
                ["per_site"] = new JsonObject(c.PerSite.Select(s => KeyValuePair.Create(s.Key, (JsonNode?)(s.Value?.Value)))),
                ["per_site_ci"] = new JsonObject(c.PerSite.Select(s => KeyValuePair.Create(s.Key, s.Value is null ? null : (JsonNode?)Pair(s.Value.CiLow, s.Value.CiHigh)))),
            };
        }

        var loso = new JsonArray();
        if (federation.Sites.Count < 2) notes.Add("leave-one-site-out validation needs at least two sites");
        else if (logistic)
        {
            progress?.Report("leave-one-site-out validation");
            foreach (var fold in await LeaveOneSiteOut.LogisticAsync(federation, features, o.Outcome!, penalty, data, ct))
            {
                loso.Add(new JsonObject
                {
                    ["site"] = fold.Site, ["auc"] = fold.Auc?.Value, ["auc_ci"] = fold.Auc is { } a ? Pair(a.CiLow, a.CiHigh) : null,
                    ["brier"] = fold.Calibration?.Brier, ["calibration_intercept"] = fold.Calibration?.Intercept, ["calibration_slope"] = fold.Calibration?.Slope,
                    ["note"] = fold.Note,
                });
                if (fold.Note is not null) notes.Add(fold.Note);
            }
        }
        else
        {
            progress?.Report("leave-one-site-out validation");
            foreach (var fold in await LeaveOneSiteOut.CoxAsync(federation, features, o.Time!, o.Event!, o.StratifyBySite, penalty, data, ct))
            {
                loso.Add(new JsonObject
                {
                    ["site"] = fold.Site, ["c_index"] = fold.CIndex?.Value, ["c_index_ci"] = fold.CIndex is { } c ? Pair(c.CiLow, c.CiHigh) : null, ["note"] = fold.Note,
                });
                if (fold.Note is not null) notes.Add(fold.Note);
            }
        }
        report["loso"] = loso;
        if (o.Validation) report["validation"] = (await ValidationDetail.ComputeAsync(federation, o, features, combat, scored, aucResult, notes, progress, ct)).ToJson();
        report["notes"] = Array(notes.Select(n => (JsonNode?)n));
        return report;
    }

    /// <summary>Why a plan cannot run under secure aggregation (its steps need each site's own answer, naming the request kind); null when it can.
    /// Checked before any request is sent, also by the coordinator before it accepts an analysis.</summary>
    public static string? SecureRefusal(FitOptions o) => SecureRefusal(o, o.Model != "cox", ParsePenalty(o.Penalty, o.Lambda, o.Alpha));

    private static string? SecureRefusal(FitOptions o, bool logistic, Penalty? penalty)
    {
        string? why = null;
        if (o.Harmonize is not null) why = SecureSum.Refusal(new ComBatDesignRequest { Features = [] });
        else if (!logistic) why = SecureSum.Refusal(new EventTimesRequest { Time = o.Time!, Event = o.Event! });
        else if (o.Validation) why = "the validation report (--validation) needs per-site tables: " + SecureSum.Refusal(new ScoreCountsRequest { Score = ModelScore.Column, Bins = [] });
        else if (penalty is not null) why = "a penalised fit: the elastic-net solver's stopping rule is finer than the fixed-point resolution of the secure sums (it did not converge in the tests)";
        return why is null ? null : $"secure aggregation cannot run this analysis: {why}";
    }

    internal static Penalty? ParsePenalty(string kind, double? lambda, double? alpha)
    {
        Penalty? penalty = kind switch
        {
            "none" => null,
            "l1" => new Penalty(lambda ?? throw new StatisticsInputException("--penalty l1 needs --lambda"), 1),
            "l2" => new Penalty(lambda ?? throw new StatisticsInputException("--penalty l2 needs --lambda"), 0),
            "elasticnet" => new Penalty(lambda ?? throw new StatisticsInputException("--penalty elasticnet needs --lambda"),
                alpha ?? throw new StatisticsInputException("--penalty elasticnet needs --alpha (0 < alpha < 1)")),
            _ => throw new StatisticsInputException($"--penalty must be none, l2, l1 or elasticnet (got '{kind}')"),
        };
        if (kind == "none" && (lambda is not null || alpha is not null)) throw new StatisticsInputException("--lambda/--alpha need --penalty l2, l1 or elasticnet");
        if (kind is "l1" or "l2" && alpha is not null) throw new StatisticsInputException($"--alpha is fixed by --penalty {kind}; use --penalty elasticnet to choose it");
        if (penalty is not null && !(penalty.Lambda >= 0 && double.IsFinite(penalty.Lambda))) throw new StatisticsInputException($"--lambda must be >= 0 (got {penalty.Lambda})");
        if (kind == "elasticnet" && !(penalty!.Alpha > 0 && penalty.Alpha < 1)) throw new StatisticsInputException($"--alpha must lie strictly between 0 and 1 (got {penalty.Alpha})");
        return penalty;
    }

    private static JsonArray Array(IEnumerable<JsonNode?> items) => new(items.ToArray());

    private static JsonArray Pair(double a, double b) => new(a, b);

    private static JsonObject Map(IReadOnlyList<string> names, Func<int, double> value) =>
        new(names.Select((n, j) => KeyValuePair.Create(n, (JsonNode?)value(j))));
}
