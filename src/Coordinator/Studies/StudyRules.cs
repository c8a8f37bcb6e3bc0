using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using FedRad.Coordinator.Aggregation;
using FedRad.Coordinator.Contracts.Model;
using FedRad.Learning.Models;
using FedRad.Protocol.V1;
using Google.Protobuf;

namespace FedRad.Coordinator.Studies;

/// <summary>A problem with one field of a study definition (field as a study file names it, e.g. "training.learning_rate").</summary>
public sealed record StudyProblem(string Field, string Message);

/// <summary>Checks a study definition before anything runs; every message names the field.</summary>
public static partial class StudyRules
{
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    public static partial Regex IdPattern();

    /// <summary>
    /// Deep models on PET/CT lesion patches that studies run (docs/deep-learning.md). The coordinator never builds
    /// them (it does not load TorchSharp): their initial weights are uploaded (UploadModel) and named by the study.
    /// </summary>
    public static readonly string[] DeepModels = ["cnn-early", "cnn-intermediate"];

    public static bool IsDeep(string model) => DeepModels.Contains(model);

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
        else if (d.InitialModelId.Length > 0) Add("initial_model_id", $"initial_model_id is for deep models only ({string.Join(", ", DeepModels)}); model '{d.Model}' starts from its own initial model");
        if (d.FeatureNames.Count == 0 && !deep) Add("feature_names", "feature_names is empty");
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
        if (d.LeaveOneSiteOut && d.SiteIds.Count == 1)
            Add("validation.leave_one_site_out", "leave-one-site-out validation needs at least two sites; site_ids lists one");
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
        if (d.DefinitionText.Length > 0 && d.DefinitionSha256 != Sha256(d.DefinitionText))
            Add("definition", "the recorded SHA-256 does not match the definition's text");
        return problems;
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

    private static void DeepProblems(StudyDefinition d, Action<string, string> add)
    {
        if (d.InitialModelId.Length == 0)
            add("initial_model_id", $"model '{d.Model}' needs initial_model_id: the coordinator does not initialise deep models; create the initial weights where TorchSharp runs and upload them with UploadModel (fedrad demo --model cnn does)");
        else if (d.InitialModelId.Length != 64 || !d.InitialModelId.All(char.IsAsciiHexDigitLower))
            add("initial_model_id", $"initial_model_id must be the model's SHA-256 (64 lower-case hex digits), got '{d.InitialModelId}'");
        if (d.FeatureNames.Count > 0) add("feature_names", $"model '{d.Model}' reads image patches, not features: leave feature_names empty");
        if (d.Standardise) add("no_standardisation", $"model '{d.Model}' normalises its patches itself: a standardisation round does not apply");
        if (d.Imaging is not { } imaging) { add("deep_model", $"model '{d.Model}' needs deep_model (patch_size, width, roi)"); return; }
        DeepModel m;
        try { m = StudyMapping.DeepModelOf(imaging); }
        catch (InvalidProtocolBufferException e) { add("deep_model", $"deep_model is not readable: {e.Message}"); return; }
        if (m.PatchSize is < 8 or > 64 || m.PatchSize % 4 != 0) add("deep_model.patch_size", $"deep_model.patch_size must be a multiple of 4 in 8..64, got {m.PatchSize}");
        if (m.Width is < 1 or > 64) add("deep_model.width", $"deep_model.width must be 1..64, got {m.Width}");
        if (string.IsNullOrWhiteSpace(m.Roi)) add("deep_model.roi", "deep_model.roi is empty: name the ROI (RTSTRUCT structure) patches are centred on");
    }

    /// <summary>SHA-256 of the text's UTF-8 bytes, lower-case hex: a study file's hash when the file is UTF-8.</summary>
    public static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
