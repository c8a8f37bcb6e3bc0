using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using FedRad.Coordinator.Aggregation;
using FedRad.Coordinator.Contracts.Model;
using FedRad.Learning.Models;
using FedRad.Protocol.V1;
using FedRad.Shared.Protocol;

namespace FedRad.Coordinator.Studies;

/// <summary>A problem with one field of a study definition (field as a study file names it, e.g. "training.learning_rate").</summary>
public sealed record StudyProblem(string Field, string Message);

/// <summary>Checks a study definition before anything runs; every message names the field.</summary>
public static partial class StudyRules
{
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    public static partial Regex IdPattern();

    /// <summary>
    /// Deep models that studies run (docs/deep-learning.md): an MLP on features and CNNs on lesion patches. The
    /// coordinator never builds them (it does not load TorchSharp): their initial weights are uploaded (UploadModel)
    /// and named by the study.
    /// </summary>
    public static IReadOnlyList<string> DeepModels => DeepModelRules.Kinds;

    public static bool IsDeep(string model) => DeepModelRules.IsDeep(model);

    public static void Validate(StudyDefinition d)
    {
        var problems = Problems(d);
        if (problems.Count > 0) throw new ArgumentException("invalid study definition: " + string.Join("; ", problems.Select(p => p.Message)));
    }

    /// <summary>Every problem of the definition, each with the field it belongs to.</summary>
    public static IReadOnlyList<StudyProblem> Problems(StudyDefinition d)
    {
        var problems = new List<StudyProblem>();
        void Add(string field, string message) => problems.Add(new StudyProblem(field, message));
        if (!IdPattern().IsMatch(d.StudyId)) Add("study_id", $"study_id '{d.StudyId}' must be 1-64 characters of letters, digits, '.', '_' or '-'");
        var deep = IsDeep(d.Model);
        if (!deep && !ModelCatalog.Names.Contains(d.Model)) Add("model", $"model '{d.Model}' is unknown (known: {string.Join(", ", ModelCatalog.Names.Concat(DeepModels))})");
        if (deep) DeepProblems(d, Add);
        else
        {
            if (d.InitialModelId.Length > 0) Add("initial_model_id", $"initial_model_id is for deep models only ({string.Join(", ", DeepModels)}); model '{d.Model}' starts from its own initial model");
            if (d.DeepModel is not null) Add("deep_model", $"deep_model is for deep models only ({string.Join(", ", DeepModels)}), not '{d.Model}'");
        }
        if (d.FeatureNames.Count == 0 && !DeepModelRules.IsPatchModel(d.Model)) Add("feature_names", "feature_names is empty");
        var dup = d.FeatureNames.GroupBy(f => f).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null) Add("feature_names", $"feature_names lists '{dup.Key}' twice");
        if (d.FeatureNames.Any(string.IsNullOrWhiteSpace)) Add("feature_names", "feature_names has an empty name");
        if (string.IsNullOrWhiteSpace(d.LabelColumn)) Add("label_column", "label_column is empty");
        if (d.Rounds is < 1 or > 10_000) Add("rounds", $"rounds must be 1..10000, got {d.Rounds}");
        if (d.MinSites < 1) Add("min_sites", $"min_sites must be at least 1, got {d.MinSites}");
        if (d.SiteIds.Count > 0 && d.MinSites > d.SiteIds.Count) Add("min_sites", $"min_sites {d.MinSites} exceeds the {d.SiteIds.Count} listed sites");
        foreach (var s in d.SiteIds.Where(s => !IdPattern().IsMatch(s))) Add("site_ids", $"site_ids contains an invalid site id '{s}'");
        var twice = d.SiteIds.GroupBy(s => s).FirstOrDefault(g => g.Count() > 1);
        if (twice is not null) Add("site_ids", $"site_ids lists '{twice.Key}' twice");
        if (d.RoundTimeoutSeconds is < 1 or > 7 * 24 * 3600) Add("round_timeout_seconds", $"round_timeout_seconds must be 1..604800, got {d.RoundTimeoutSeconds}");
        try
        {
            var strategy = Strategies.Create(d.Strategy, StrategyOptions.FromParameters(d.StrategyParameters));
            if (d.SiteIds.Count > 0 && d.SiteIds.Count < strategy.MinimumUpdates)
                Add("strategy", $"strategy '{d.Strategy}' needs at least {strategy.MinimumUpdates} sites per round, the study lists {d.SiteIds.Count}");
        }
        catch (ArgumentException e) { Add(e.Message.Contains("parameter", StringComparison.Ordinal) ? "strategy_parameters" : "strategy", e.Message); }
        PreparationProblems(d, deep, Add);
        if (d.LeaveOneSiteOut && d.SiteIds.Count == 1)
            Add("validation.leave_one_site_out", "leave-one-site-out validation needs at least two sites; site_ids lists one");
        // Each fold trains every other site again: differential privacy calibrated for the study's own rounds would not cover that.
        if (d.LeaveOneSiteOut && d.Privacy?.DifferentialPrivacy is not null)
            Add("validation.leave_one_site_out", "leave-one-site-out validation trains each site again in every fold that keeps it, beyond the rounds privacy.differential_privacy is calibrated for; "
                + "leave it out of a differentially private study (or run it as an exact analysis: fedrad analysis run)");
        if (d.LeaveOneSiteOut && d.Privacy?.SecureAggregation == true && d.SiteIds.Count is > 0 and < 3)
            Add("validation.leave_one_site_out", $"leave-one-site-out validation with privacy.secure_aggregation needs at least 3 sites (a fold trains on the others under secure aggregation, which needs 2); site_ids lists {d.SiteIds.Count}");
        var t = d.Training;
        if (t.LocalEpochs is < 1 or > 1000) Add("training.local_epochs", $"training.local_epochs must be 1..1000, got {t.LocalEpochs}");
        if (!(t.LearningRate > 0 && t.LearningRate <= 10)) Add("training.learning_rate", $"training.learning_rate must be in (0, 10], got {t.LearningRate}");
        if (!(t.L2 >= 0 && double.IsFinite(t.L2))) Add("training.l2", $"training.l2 must be a finite value >= 0, got {t.L2}");
        if (t.BatchSize < 0) Add("training.batch_size", $"training.batch_size must be >= 0 (0 = full batch), got {t.BatchSize}");
        if (!deep && d.Imaging is { } imaging)
        {
            DeltaProblems(d, imaging, Add);
            if (imaging.PetThresholdMethod.Length > 0 && new FedRad.Imaging.Rois.ThresholdDelineation(imaging.PetThresholdMethod, imaging.PetThresholdValue).Problem() is { } threshold)
                Add("imaging.pet_threshold_value", $"imaging.pet_threshold_value: {threshold}");
        }
        if (d.Privacy is { } privacy) PrivacyProblems(d, privacy, Add);
        if (d.DefinitionText.Length > 0 && d.DefinitionSha256 != Sha256(d.DefinitionText))
            Add("definition", "the recorded SHA-256 does not match the definition's text");
        return problems;
    }

    private static void PreparationProblems(StudyDefinition d, bool deep, Action<string, string> add)
    {
        if (deep && d.NeedsPreparation)
            add(d.Inclusion.Count > 0 ? "cohort.inclusion" : d.Harmonisation is not null ? "harmonisation" : "feature_selection",
                $"cohort inclusion filters, harmonisation and feature selection run with {string.Join(", ", ModelCatalog.Names)} only; deep models ('{d.Model}') do not apply them yet");
        for (var i = 0; i < d.Inclusion.Count; i++)
        {
            var f = d.Inclusion[i];
            if (string.IsNullOrWhiteSpace(f.Column)) add($"cohort.inclusion[{i}].column", "column is required (a manifest.csv or outcomes.csv column)");
            if (f.EqualTo is null && f.AnyOf.Count == 0 && f.Min is null && f.Max is null) add($"cohort.inclusion[{i}]", "give a condition: equals, in, min or max");
        }
        if (d.Harmonisation is { } h)
        {
            if (d.SiteIds.Count == 1) add("harmonisation", "harmonisation across sites needs at least two sites; site_ids lists one");
            foreach (var c in h.Covariates.Where(c => d.FeatureNames.Contains(c) || c == d.LabelColumn))
                add("harmonisation.covariates", $"covariate '{c}' is {(c == d.LabelColumn ? "the label" : "a feature")}; a covariate is a column whose effect ComBat preserves");
        }
        if (d.FeatureSelection is { } s)
        {
            if (s.Method != "univariate_auc") add("feature_selection.method", $"feature selection method '{s.Method}' is not run by studies (known: univariate_auc, none)");
            if (s.MaxFeatures < 1 || (d.FeatureNames.Count > 0 && s.MaxFeatures > d.FeatureNames.Count))
                add("feature_selection.max_features", $"feature_selection.max_features must be 1..{d.FeatureNames.Count} (the number of feature_names), got {s.MaxFeatures}");
        }
    }

    /// <summary>The columns a delta radiomics study's site table has (docs/radiomics.md, "Delta radiomics studies").</summary>
    public static readonly string[] DeltaPrefixes = ["delta_diff_", "delta_rel_", "baseline_", "follow_up_"];

    private static void DeltaProblems(StudyDefinition d, ImagingSource imaging, Action<string, string> add)
    {
        string baseline = imaging.DeltaBaseline, followUp = imaging.DeltaFollowUp;
        if (baseline.Length == 0 && followUp.Length == 0)
        {
            if (d.FeatureNames.FirstOrDefault(f => DeltaPrefixes.Any(p => f.StartsWith(p, StringComparison.Ordinal))) is { } named)
                add("feature_names", $"feature '{named}' is a delta radiomics column: the study needs imaging.delta_baseline and imaging.delta_follow_up (the two manifest timepoints)");
            return;
        }
        if (baseline.Length == 0 || followUp.Length == 0)
            add(baseline.Length == 0 ? "imaging.delta_baseline" : "imaging.delta_follow_up", "delta radiomics needs both imaging.delta_baseline and imaging.delta_follow_up: the manifest timepoint labels of the two scans");
        else if (baseline == followUp)
            add("imaging.delta_follow_up", $"delta radiomics compares two different timepoints; delta_baseline and delta_follow_up are both '{baseline}'");
        foreach (var (field, label) in new[] { ("imaging.delta_baseline", baseline), ("imaging.delta_follow_up", followUp) })
            if (label.Length > 0 && (label.Contains(',') || label.Trim() != label))
                add(field, $"timepoint '{label}' cannot be a manifest value (no commas, no leading or trailing spaces)");
        foreach (var f in d.FeatureNames.Where(f => !DeltaPrefixes.Any(p => f.StartsWith(p, StringComparison.Ordinal))))
            add("feature_names", $"feature '{f}' is not a column of a delta radiomics study's table; name each feature with one of {string.Join(", ", DeltaPrefixes.Select(p => p + "*"))} (e.g. delta_diff_nm_lesion_stat_mean)");
    }

    /// <summary>Strategies whose rule needs only the sum of the updates: the only ones secure aggregation and DP-FedAvg can run.</summary>
    public static readonly string[] SumStrategies = ["fedavg", "fedprox"];

    private static void PrivacyProblems(StudyDefinition d, Contracts.Model.StudyPrivacy p, Action<string, string> add)
    {
        if (p.MinCohort < 0) add("privacy.min_cohort", $"privacy.min_cohort must be at least 1, got {p.MinCohort}");
        var dp = p.DifferentialPrivacy;
        if ((p.SecureAggregation || dp is not null) && IsDeep(d.Model))
            add(p.SecureAggregation ? "privacy.secure_aggregation" : "privacy.differential_privacy",
                $"secure aggregation and differential privacy are not wired for deep models ('{d.Model}') yet; they run with {string.Join(", ", ModelCatalog.Names)}");
        if (p.SecureAggregation)
        {
            if (!SumStrategies.Contains(d.Strategy, StringComparer.OrdinalIgnoreCase))
                add("strategy", $"strategy '{d.Strategy}' cannot run with privacy.secure_aggregation: the coordinator sees only the sum of the updates, "
                    + (d.Strategy.ToLowerInvariant() is "median" or "trimmed-mean" or "krum" ? "and this rule needs every site's own update" : "and this strategy is not wired to aggregate from the sum yet")
                    + $"; use {string.Join(" or ", SumStrategies)}");
            if (d.StrategyParameters.TryGetValue("norm_outlier_factor", out var factor) && factor != 0)
                add("strategy_parameters.norm_outlier_factor", $"strategy_parameters.norm_outlier_factor = {factor} needs each site's update norm, which privacy.secure_aggregation hides; leave it out or set it to 0");
            if (d.SiteIds.Count == 1) add("site_ids", "privacy.secure_aggregation needs at least 2 sites (3 or more to tolerate a site dropping out)");
        }
        if (dp is null) return;
        if (!SumStrategies.Contains(d.Strategy, StringComparer.OrdinalIgnoreCase))
            add("strategy", $"strategy '{d.Strategy}' cannot run with privacy.differential_privacy: DP-FedAvg averages the clipped, noised updates; use {string.Join(" or ", SumStrategies)}");
        if (!(dp.Epsilon > 0) || !double.IsFinite(dp.Epsilon))
            add("privacy.differential_privacy.epsilon", double.IsNaN(dp.Epsilon) ? "privacy.differential_privacy.epsilon is missing: the ε the study may spend" : $"privacy.differential_privacy.epsilon must be > 0, got {dp.Epsilon}");
        if (!(dp.Delta > 0 && dp.Delta < 1)) add("privacy.differential_privacy.delta", $"privacy.differential_privacy.delta must be in (0, 1), got {dp.Delta}");
        if (!(dp.ClipNorm > 0) || !double.IsFinite(dp.ClipNorm)) add("privacy.differential_privacy.clip_norm", $"privacy.differential_privacy.clip_norm must be > 0, got {dp.ClipNorm}");
        if (dp.Noise == DifferentialPrivacySettings.Central && !p.SecureAggregation)
            add("privacy.differential_privacy.noise", "noise: central needs privacy.secure_aggregation: true (without it the coordinator would see every site's update with only its share of the noise)");
        else if (dp.Noise is not (DifferentialPrivacySettings.Local or DifferentialPrivacySettings.Central))
            add("privacy.differential_privacy.noise", $"privacy.differential_privacy.noise must be local or central, got '{dp.Noise}'");
        if (dp.NoiseMultiplier < 0 || !double.IsFinite(dp.NoiseMultiplier))
            add("privacy.differential_privacy.noise_multiplier", $"noise_multiplier must be positive, got {dp.NoiseMultiplier}");
    }

    /// <summary>
    /// The definition with its DP noise multiplier calibrated (when not given): the smallest σ for which the study's
    /// training rounds stay within its (ε, δ). Unchanged without DP or when the DP settings are invalid (Validate says why).
    /// </summary>
    public static StudyDefinition WithCalibratedNoise(StudyDefinition d)
    {
        if (d.Privacy?.DifferentialPrivacy is not { NoiseMultiplier: 0 } dp || !(dp.Epsilon > 0) || !double.IsFinite(dp.Epsilon) || !(dp.Delta > 0 && dp.Delta < 1) || d.Rounds < 1)
            return d;
        double sigma;
        try { sigma = FedRad.Privacy.DifferentialPrivacy.NoiseCalibration.NoiseMultiplier(dp.Epsilon, dp.Delta, d.Rounds); }
        catch (ArgumentException e) { throw new ArgumentException($"privacy.differential_privacy.epsilon: {e.Message}"); }
        return d with { Privacy = d.Privacy with { DifferentialPrivacy = dp with { NoiseMultiplier = sigma } } };
    }

    private static void DeepProblems(StudyDefinition d, Action<string, string> add)
    {
        if (d.InitialModelId.Length == 0)
            add("initial_model_id", $"model '{d.Model}' needs initial_model_id: the coordinator does not initialise deep models; create the initial weights where TorchSharp runs and upload them with UploadModel (fedrad demo --model cnn does)");
        else if (d.InitialModelId.Length != 64 || !d.InitialModelId.All(char.IsAsciiHexDigitLower))
            add("initial_model_id", $"initial_model_id must be the model's SHA-256 (64 lower-case hex digits), got '{d.InitialModelId}'");
        if (d.DeepModel is not { } deep) { add("deep_model", $"model '{d.Model}' needs deep_model ({(d.Model == DeepModelRules.Mlp ? "hidden" : "patch_size, width, roi")})"); return; }
        foreach (var (field, message) in DeepModelRules.Problems(d.Model, StudyMapping.ToProto(deep))) add(field, message);
        if (!DeepModelRules.IsPatchModel(d.Model)) return;   // mlp: features as for logreg (imaging or cohort.csv), standardisation by default
        if (d.FeatureNames.Count > 0) add("feature_names", $"model '{d.Model}' reads image patches, not features: leave feature_names empty");
        if (d.Standardise) add("no_standardisation", $"model '{d.Model}' normalises its patches itself: a standardisation round does not apply");
        if (d.Imaging is not null) add("imaging", $"model '{d.Model}' reads image patches (deep_model), not radiomics features: leave imaging out");
    }

    /// <summary>SHA-256 of the text's UTF-8 bytes, lower-case hex: a study file's hash when the file is UTF-8.</summary>
    public static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
