using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using FedRad.Statistics.Coordinator;
using FedRad.Statistics.Coordinator.Harmonisation;
using FedRad.Statistics.Coordinator.Validation;
using FedRad.Statistics.Protocol;

namespace FedRad.Statistics.Analyses;

/// <summary>A site's cohort in the analysis: patients, and positive outcomes or events.</summary>
public sealed record SiteCohort(string Site, int Patients, int? Positives, int? Events);

/// <summary>
/// What the validation report needs beyond the fit's own results (<see cref="FitOptions.Validation"/>):
/// the cohort per site, per-site ROC points, the calibration plot by risk group, Kaplan-Meier
/// curves by risk group, and the feature distributions per site before and after harmonisation.
/// A section that cannot be computed is null, with the reason in the fit's notes.
/// Every part comes from aggregates; docs/reports.md lists what each one reveals.
/// </summary>
public sealed record ValidationDetail
{
    public required IReadOnlyList<SiteCohort> Cohort { get; init; }

    /// <summary>Per site, its exact (sensitivity, specificity) at the pooled rank partition's thresholds.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<RocPoint>>? SiteRoc { get; init; }

    public CalibrationCurveResult? Calibration { get; init; }
    public KaplanMeierResult? KaplanMeier { get; init; }
    public IReadOnlyList<FeatureHistogram>? Distributions { get; init; }

    /// <summary>The JSON form inside the fit's result (snake_case; never NaN).</summary>
    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.Strict,
    };

    public JsonNode ToJson() => JsonSerializer.SerializeToNode(this, Json)!;

    public static ValidationDetail FromJson(JsonNode node) =>
        node.Deserialize<ValidationDetail>(Json) ?? throw new JsonException("empty validation detail");

    /// <summary>Runs the extra rounds over the sites of a finished fit.</summary>
    /// <param name="features">The model's features.</param>
    /// <param name="scored">The data spec with harmonisation and the fitted model's score (<see cref="ModelScore.Column"/>).</param>
    /// <param name="auc">The fit's AUC result (logistic), for the per-site ROC points.</param>
    public static async Task<ValidationDetail> ComputeAsync(Federation federation, FitOptions o, IReadOnlyList<string> features, ComBatResult? combat,
        DataSpec scored, AucResult? auc, List<string> notes, IProgress<string>? progress, CancellationToken ct)
    {
        progress?.Report("validation report: cohort per site");
        var eligibility = await federation.AskAllAsync(new EligibilityRequest { Columns = [], Outcome = o.Outcome, Time = o.Time, Event = o.Event }, ct);
        var cohort = eligibility.Select(e => new SiteCohort(e.Site, e.Count, e.Positives, e.Events)).ToArray();

        CalibrationCurveResult? calibration = null;
        KaplanMeierResult? km = null;
        if (o.Outcome is not null)
        {
            progress?.Report("validation report: calibration by risk decile");
            calibration = await Optional("no calibration plot", notes, () => CalibrationCurve.EvaluateAsync(federation, ModelScore.Column, o.Outcome, scored, ct));
            if (calibration is not null) notes.AddRange(calibration.Notes);
        }
        else
        {
            progress?.Report("validation report: Kaplan-Meier curves by risk group");
            km = await Optional("no Kaplan-Meier curves", notes, () => Coordinator.Validation.KaplanMeier.EstimateAsync(federation, ModelScore.Column, o.Time!, o.Event!, scored, ct));
            if (km is not null) notes.AddRange(km.Notes);
        }

        progress?.Report("validation report: feature distributions per site");
        var shown = combat?.Adjustment.Features ?? features.Except(o.Covariates).ToArray();
        var distributions = await Optional("no feature distributions", notes, () => FeatureDistributions.ComputeAsync(federation, shown, combat?.Adjustment, ct));

        return new ValidationDetail
        {
            Cohort = cohort, SiteRoc = auc?.SiteRoc, Calibration = calibration, KaplanMeier = km, Distributions = distributions,
        };
    }

    /// <summary>A report section that cannot be made leaves a note instead of stopping the analysis.</summary>
    private static async Task<T?> Optional<T>(string what, List<string> notes, Func<Task<T>> compute) where T : class
    {
        try
        {
            return await compute();
        }
        catch (Exception e) when (e is AnalysisFailedException or SiteRefusedException)
        {
            notes.Add($"{what}: {e.Message}");
            return null;
        }
    }
}
