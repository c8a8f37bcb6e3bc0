using System.Security.Cryptography;
using System.Text;
using FedRad.Statistics.Coordinator.Harmonisation;
using FedRad.Statistics.Coordinator.Validation;

namespace FedRad.Reports;

/// <summary>
/// Everything a validation report shows, as plain data: what the sites' aggregates gave (never a
/// patient row). <see cref="FitReport.FromFit"/> builds it from a federated fit's result (sim fit,
/// or an analysis run through the coordinator); other producers (the demo) may fill it directly,
/// leaving out what they do not have (null or empty: the report says it is not available).
/// <see cref="ValidationReportWriter"/> writes it as report.html plus CSV tables.
/// </summary>
public sealed record ValidationResults
{
    /// <summary>The study or analysis name shown in the title.</summary>
    public required string Name { get; init; }

    public required StudyDefinition Study { get; init; }
    public required SoftwareVersion Software { get; init; }
    public required DateTimeOffset GeneratedAt { get; init; }
    public required ModelSummary Model { get; init; }

    /// <summary>Every site named in the study, included or not.</summary>
    public required IReadOnlyList<SiteCohortRow> Cohort { get; init; }

    /// <summary>AUC (binary outcome) or Harrell's C (survival), pooled and per site.</summary>
    public required DiscriminationResults Discrimination { get; init; }

    /// <summary>Logistic models: Brier, calibration intercept and slope, and the plot by risk group.</summary>
    public CalibrationResults? Calibration { get; init; }

    /// <summary>Survival models: Kaplan-Meier curves by risk group.</summary>
    public KaplanMeierResult? KaplanMeier { get; init; }

    /// <summary>
    /// How the pooled discrimination was computed: null from every patient's score, as a centralised analysis would
    /// (exact federated analyses); else from the sites' per-class histograms of predicted probabilities with this many
    /// equal bins on [0, 1] (FedAvg studies), patients of both classes in one bin counting as a tie.
    /// </summary>
    public required int? PooledScoreBins { get; init; }

    /// <summary>External validation on each site of the model fitted without it.</summary>
    public IReadOnlyList<LosoFold> LeaveOneSiteOut { get; init; } = [];

    /// <summary>Why there are no <see cref="LeaveOneSiteOut"/> folds (the report says so where it would show them).</summary>
    public string? LeaveOneSiteOutNotRun { get; init; }

    /// <summary>Model terms (intercept first for logistic models).</summary>
    public IReadOnlyList<CoefficientRow> Coefficients { get; init; } = [];

    public HarmonisationSummary? Harmonisation { get; init; }

    /// <summary>Per feature and site, histograms before (and after) harmonisation.</summary>
    public IReadOnlyList<FeatureHistogram> FeatureDistributions { get; init; } = [];

    /// <summary>What the engine noted: sites left out, sections not computed, folds not validated.</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>The TRIPOD items this report covers, partly covers or leaves to the authors.</summary>
    public IReadOnlyList<TripodItem> Tripod => TripodChecklist.For(this);
}

/// <summary>The study definition as given (plan JSON, study.json), kept verbatim for reproducibility.</summary>
/// <param name="Format">e.g. "FedRad analysis plan (JSON)".</param>
public sealed record StudyDefinition(string Format, string Text)
{
    /// <summary>SHA-256 of the UTF-8 text, lower-case hex.</summary>
    public string Sha256 => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Text)));
}

/// <param name="Version">FedRad's informational version (with the source revision when built from git).</param>
public sealed record SoftwareVersion(string Product, string Version, string Runtime, string OperatingSystem)
{
    public static SoftwareVersion Current()
    {
        var assembly = typeof(SoftwareVersion).Assembly;
        var version = assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion
            ?? assembly.GetName().Version?.ToString() ?? "unknown";
        return new SoftwareVersion("FedRad", version, System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription,
            System.Runtime.InteropServices.RuntimeInformation.OSDescription);
    }
}

/// <param name="Kind">"logistic", "cox" or "cox-stratified".</param>
/// <param name="Outcome">The outcome as the plan names it, e.g. "y (0/1)" or "time, event".</param>
/// <param name="Cases">Positive outcomes (logistic) or events (Cox), pooled.</param>
/// <param name="Penalty">e.g. "none" or "l1, lambda 0.02".</param>
public sealed record ModelSummary(string Kind, string Outcome, IReadOnlyList<string> Features, int Patients, int Cases, string Penalty)
{
    public bool IsSurvival => Kind.StartsWith("cox", StringComparison.Ordinal);
}

/// <summary>A site of the study. <paramref name="Patients"/> and <paramref name="Cases"/> are null
/// for a site left out before it counted (its reason in <paramref name="Note"/>).</summary>
public sealed record SiteCohortRow(string Site, bool Included, int? Patients, int? Cases, string? Note);

/// <summary>An estimate with its 95% CI (null when not available).</summary>
public sealed record Metric(double Value, double? CiLow, double? CiHigh);

/// <param name="Measure">"AUC" or "C-index".</param>
/// <param name="CiMethod">How the CIs were made, e.g. "DeLong".</param>
/// <param name="PerSite">Apparent performance on each site of the model fitted on all sites; null Metric with a note when a site has none.</param>
/// <param name="PooledRoc">Pooled ROC points (AUC only).</param>
/// <param name="SiteRoc">Per-site ROC points (AUC only).</param>
public sealed record DiscriminationResults(string Measure, string CiMethod, Metric Pooled, IReadOnlyList<SiteMetric> PerSite,
    IReadOnlyList<RocPoint> PooledRoc, IReadOnlyDictionary<string, IReadOnlyList<RocPoint>> SiteRoc);

public sealed record SiteMetric(string Site, Metric? Value, string? Note);

/// <param name="Curve">Observed vs predicted by pooled risk group; null when it could not be made.</param>
/// <param name="Grouping">How the groups were made, when not pooled risk groups of equal size (a FedAvg study's binned scores).</param>
public sealed record CalibrationResults(double? Brier, double? Intercept, double? Slope, CalibrationCurveResult? Curve, string? Grouping = null);

/// <param name="Metric">AUC or C-index on the site left out.</param>
public sealed record LosoFold(string Site, Metric? Metric, double? Brier, double? CalibrationIntercept, double? CalibrationSlope, string? Note);

public sealed record CoefficientRow(string Term, double Estimate, double? StdError, double? CiLow, double? CiHigh, double? P);

/// <param name="BatchBy">"site" or the batch column.</param>
public sealed record HarmonisationSummary(string Method, string BatchBy, IReadOnlyList<string> Covariates, IReadOnlyList<string> Adjusted, IReadOnlyList<string> Unadjusted);

/// <param name="Status">"reported", "partly reported", "not covered" or "not applicable".</param>
/// <param name="Where">Report section, or what the authors must add.</param>
public sealed record TripodItem(string Item, string Topic, string Status, string Where);

/// <summary>The report cannot be made from what was given (an unfinished or failed study, a
/// result without the validation section): nothing is written.</summary>
public sealed class ReportInputException(string message) : Exception(message);
