using System.Globalization;
using FedRad.Coordinator.Contracts.Model;
using FedRad.Shared.Protocol;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace FedRad.Coordinator.Studies;

/// <summary>A problem in a study definition file, where it is and which field.</summary>
public sealed record StudyFileProblem(int Line, int Column, string Field, string Message)
{
    public override string ToString() => Line > 0 ? $"line {Line}, field {Field}: {Message}" : $"field {Field}: {Message}";
}

/// <summary>A study definition file that cannot be used; every problem is listed with its line and field. Nothing was created.</summary>
public sealed class StudyFileException(string file, IReadOnlyList<StudyFileProblem> problems)
    : ArgumentException($"{file}: invalid study definition ({problems.Count} problem{(problems.Count == 1 ? "" : "s")}):\n" + string.Join("\n", problems.Select(p => $"  {file}: {p}")))
{
    public string File { get; } = file;
    public IReadOnlyList<StudyFileProblem> Problems { get; } = problems;
}

/// <summary>
/// A study definition file (YAML; JSON is YAML too): the fields of <c>fedrad.v1.StudySpec</c>, which
/// the engine runs (the study preparation: cohort inclusion filters, harmonisation, feature selection;
/// and the privacy section), plus sections that are validated and recorded with the study but not
/// executed yet (the validation plan).
/// The text is kept verbatim with the SHA-256 of its bytes. docs/operators.md lists every field.
/// </summary>
public static class StudyFile
{
    /// <summary>Files the definition refers to (imaging.settings_file), as written in it; the caller reads them relative to the study file.</summary>
    public static IReadOnlyList<string> ReferencedFiles(string text)
    {
        try
        {
            var root = Load(text);
            if (root is YamlMappingNode m && Child(m, "imaging") is YamlMappingNode imaging && Child(imaging, "settings_file") is YamlScalarNode { Value: { Length: > 0 } path })
                return [path];
        }
        catch (Exception e) when (e is YamlException or ArgumentException) { /* Parse reports it with its line */ }
        return [];
    }

    /// <summary>
    /// Reads and validates a definition. <paramref name="attachments"/> holds the files it refers to
    /// by the path written in it. Throws <see cref="StudyFileException"/> naming every problem.
    /// </summary>
    public static StudyDefinition Parse(string text, string fileName, IReadOnlyDictionary<string, string> attachments)
    {
        var reader = new Reader();
        YamlNode? root;
        try { root = Load(text); }
        catch (YamlException e) { throw new StudyFileException(fileName, [new StudyFileProblem((int)e.Start.Line, (int)e.Start.Column, "(syntax)", Inner(e))]); }
        catch (ArgumentException e) { throw new StudyFileException(fileName, [new StudyFileProblem(0, 0, "(syntax)", e.Message)]); }
        if (root is not YamlMappingNode doc)
            throw new StudyFileException(fileName, [new StudyFileProblem(root is null ? 1 : (int)root.Start.Line, 1, "(document)", "the file must be a mapping of fields (study_id: ..., model: ..., ...)")]);

        var definition = reader.Read(doc, attachments, text);
        // The engine's own rules, placed at the line of the field they concern.
        foreach (var p in StudyRules.Problems(definition))
        {
            var (line, column) = reader.Where(p.Field);
            reader.Problems.Add(new StudyFileProblem(line, column, p.Field, p.Message));
        }
        if (reader.Problems.Count > 0) throw new StudyFileException(fileName, reader.Problems.OrderBy(p => p.Line).ThenBy(p => p.Column).ToList());
        return definition;
    }

    /// <summary>A radiomics settings preset shipped with FedRad (configs/NAME.yaml), or null.</summary>
    public static string? Preset(string name)
    {
        using var stream = typeof(StudyFile).Assembly.GetManifestResourceStream($"presets/{name}.yaml");
        if (stream is null) return null;
        return new StreamReader(stream).ReadToEnd();
    }

    public static IReadOnlyList<string> PresetNames() => typeof(StudyFile).Assembly.GetManifestResourceNames()
        .Where(n => n.StartsWith("presets/", StringComparison.Ordinal)).Select(n => n["presets/".Length..^".yaml".Length]).Order(StringComparer.Ordinal).ToList();

    private static YamlNode? Load(string text)
    {
        var stream = new YamlStream();
        var parser = new Parser(new StringReader(text));
        try { stream.Load(parser); }
        catch (InvalidOperationException)
        {
            // YamlDotNet gives up this way at the end of a file that leaves a [ ], { } or quote open.
            var at = parser.Current?.Start ?? Mark.Empty;
            throw new YamlException(at, at, "the file ends inside an unclosed [ ], { } or quote that starts before here");
        }
        if (stream.Documents.Count > 1) throw new ArgumentException("the file holds several YAML documents; a study is one");
        return stream.Documents.Count == 0 ? null : stream.Documents[0].RootNode;
    }

    private static string Inner(YamlException e) => e.InnerException is { } inner ? $"{e.Message} ({inner.Message})" : e.Message;

    private static YamlNode? Child(YamlMappingNode m, string key) => m.Children.TryGetValue(new YamlScalarNode(key), out var v) ? v : null;

    /// <summary>Walks the document, building the definition and collecting problems with their marks.</summary>
    private sealed class Reader
    {
        public List<StudyFileProblem> Problems { get; } = [];
        private readonly Dictionary<string, (int Line, int Column)> _marks = [];

        public (int, int) Where(string field)
        {
            // "training.learning_rate" absent from the file: point at "training", else at the document.
            for (var f = field; f.Length > 0; f = f.Contains('.') ? f[..f.LastIndexOf('.')] : "")
                if (_marks.TryGetValue(f, out var m)) return m;
            return (0, 0);
        }

        private void Problem(YamlNode node, string field, string message) =>
            Problems.Add(new StudyFileProblem((int)node.Start.Line, (int)node.Start.Column, field, message));

        public StudyDefinition Read(YamlMappingNode doc, IReadOnlyDictionary<string, string> attachments, string text)
        {
            var top = Fields(doc, "", ["study_id", "description", "model", "feature_names", "label_column", "rounds", "site_ids", "min_sites",
                "round_timeout_seconds", "training", "strategy", "strategy_parameters", "imaging", "no_standardisation",
                "deep_model", "initial_model_id", "cohort", "harmonisation", "feature_selection", "privacy", "validation", "leave_one_site_out"]);
            var training = Section(top, "training", ["local_epochs", "learning_rate", "l2", "batch_size", "seed"]);
            var defaults = new TrainingSettings();
            var studyId = String(top, "study_id", "");
            String(top, "description", "");
            var definition = new StudyDefinition
            {
                StudyId = studyId,
                Model = String(top, "model", "logreg"),
                FeatureNames = Strings(top, "feature_names"),
                LabelColumn = String(top, "label_column", "label"),
                Rounds = Int(top, "rounds", 10),
                SiteIds = Strings(top, "site_ids"),
                MinSites = Int(top, "min_sites", 1),
                RoundTimeoutSeconds = Int(top, "round_timeout_seconds", 60),
                Strategy = String(top, "strategy", "fedavg"),
                StrategyParameters = Numbers(top, "strategy_parameters"),
                // A patch model normalises its own patches: no standardisation round (an mlp has one, as logreg).
                Standardise = !Bool(top, "no_standardisation", false) && !DeepModelRules.IsPatchModel(String(top, "model", "logreg")),
                Imaging = Imaging(top, attachments),
                DeepModel = DeepModel(top, String(top, "model", "logreg")),
                InitialModelId = String(top, "initial_model_id", ""),
                Training = new TrainingSettings
                {
                    LocalEpochs = Int(training, "training.local_epochs", defaults.LocalEpochs),
                    LearningRate = Double(training, "training.learning_rate", defaults.LearningRate),
                    L2 = Double(training, "training.l2", defaults.L2),
                    BatchSize = Int(training, "training.batch_size", defaults.BatchSize),
                    Seed = (ulong)Int(training, "training.seed", (int)defaults.Seed, min: 0),
                },
                DefinitionText = text,
                DefinitionSha256 = StudyRules.Sha256(text),
                Inclusion = Cohort(top),
                Harmonisation = Harmonisation(top),
                FeatureSelection = FeatureSelection(top),
            };
            definition = definition with { Privacy = Privacy(top) };
            return definition with { LeaveOneSiteOut = Validation(top) | LeaveOneSiteOut(top) };
        }

        // ---- executed sections ----

        private ImagingSource? Imaging(Dictionary<string, YamlNode> top, IReadOnlyDictionary<string, string> attachments)
        {
            if (!top.ContainsKey("imaging")) return null;
            var f = Section(top, "imaging", ["settings_yaml", "settings_file", "preset", "roi", "roi_source", "delta_baseline", "delta_follow_up", "pet_threshold_method", "pet_threshold_value"]);
            var sources = new[] { "imaging.settings_yaml", "imaging.settings_file", "imaging.preset" }.Where(f.ContainsKey).ToList();
            string settings = "";
            if (sources.Count != 1)
                Problem(top["imaging"], "imaging", sources.Count == 0
                    ? "give the radiomics settings: one of settings_file (a path relative to the study file), preset (known: " + string.Join(", ", PresetNames()) + ") or settings_yaml"
                    : $"give only one of {string.Join(", ", sources.Select(s => s["imaging.".Length..]))}");
            else if (sources[0] == "imaging.settings_yaml") settings = String(f, "imaging.settings_yaml", "");
            else if (sources[0] == "imaging.settings_file")
            {
                var path = String(f, "imaging.settings_file", "");
                if (!attachments.TryGetValue(path, out var content)) Problem(f["imaging.settings_file"], "imaging.settings_file", $"settings file '{path}' was not found (it is read relative to the study file)");
                else settings = content;
            }
            else
            {
                var name = String(f, "imaging.preset", "");
                if (Preset(name) is { } preset) settings = preset;
                else Problem(f["imaging.preset"], "imaging.preset", $"unknown preset '{name}' (known: {string.Join(", ", PresetNames())})");
            }
            if (settings.Length > 0)
            {
                try { FedRad.Radiomics.Settings.SettingsLoader.FromYaml(settings, "the radiomics settings"); }
                catch (FedRad.Radiomics.Settings.SettingsException e) { Problem(top["imaging"], sources[0], e.Message); }
            }
            var roi = String(f, "imaging.roi", "");
            // Fields named as in ImagingFeatures, so that a spec written as JSON (no roi_source) reads back as a study file.
            var thresholdMethod = String(f, "imaging.pet_threshold_method", "");
            var source = String(f, "imaging.roi_source", thresholdMethod.Length > 0 ? "pet_threshold" : roi.Length > 0 ? "rtstruct" : "manifest");
            var thresholdValue = 0.0;
            foreach (var key in new[] { "imaging.pet_threshold_method", "imaging.pet_threshold_value" })
                if (f.ContainsKey(key) && source != "pet_threshold" && !(key.EndsWith("method") ? thresholdMethod.Length == 0 : Double(f, key, 0) == 0))
                    Problem(f[key], key, $"{key["imaging.".Length..]} is for roi_source: pet_threshold, not {source}");
            switch (source)
            {
                case "rtstruct" or "seg":
                    if (roi.Length == 0) Problem(f.GetValueOrDefault("imaging.roi_source", top["imaging"]), "imaging.roi", $"roi_source {source} needs roi: the {(source == "seg" ? "segment label" : "RTSTRUCT ROI name")}");
                    break;
                case "manifest" or "nifti":
                    if (roi.Length > 0) Problem(f["imaging.roi"], "imaging.roi", $"roi_source {source} takes each patient's mask from the manifest: leave roi out");
                    break;
                case "pet_threshold":
                    // Delineated inside each PET row's manifest mask (roi: its RTSTRUCT name or SEG label, if it needs one).
                    if (thresholdMethod == FedRad.Imaging.Rois.ThresholdDelineation.Fixed)
                        thresholdValue = Double(f, "imaging.pet_threshold_value", FedRad.Imaging.Rois.Delineation.DefaultFixedThreshold);
                    else if (thresholdMethod == FedRad.Imaging.Rois.ThresholdDelineation.Relative)
                        thresholdValue = Double(f, "imaging.pet_threshold_value", FedRad.Imaging.Rois.Delineation.DefaultRelativeFraction);
                    else
                        Problem(f.GetValueOrDefault("imaging.pet_threshold_method", f["imaging.roi_source"]), "imaging.pet_threshold_method",
                            $"roi_source pet_threshold needs pet_threshold_method: fixed (SUV >= pet_threshold_value, default {FedRad.Imaging.Rois.Delineation.DefaultFixedThreshold}, in the region) "
                            + $"or relative (SUV >= pet_threshold_value x SUVmax in the region, default {FedRad.Imaging.Rois.Delineation.DefaultRelativeFraction}){(thresholdMethod.Length > 0 ? $", got '{thresholdMethod}'" : "")}");
                    break;
                default:
                    Problem(f["imaging.roi_source"], "imaging.roi_source", $"unknown roi_source '{source}' (known: rtstruct, seg, nifti, manifest, pet_threshold)");
                    break;
            }
            // Delta radiomics: the two manifest timepoints; StudyRules checks them with the feature names.
            return new ImagingSource(settings, roi, String(f, "imaging.delta_baseline", ""), String(f, "imaging.delta_follow_up", ""), thresholdMethod, thresholdValue);
        }

        /// <summary>A deep model's architecture and inputs (docs/deep-learning.md); mlp gets the default hidden widths when it names none.</summary>
        private DeepModelSettings? DeepModel(Dictionary<string, YamlNode> top, string model)
        {
            if (!top.ContainsKey("deep_model")) return null;
            var f = Section(top, "deep_model", ["patch_size", "width", "roi", "hidden", "baseline_timepoint", "followup_timepoint"]);
            var mlp = model == DeepModelRules.Mlp;
            var hidden = Ints(f, "deep_model.hidden");
            return new DeepModelSettings
            {
                PatchSize = Int(f, "deep_model.patch_size", mlp ? 0 : 16),
                Width = Int(f, "deep_model.width", mlp ? 0 : 8),
                Roi = String(f, "deep_model.roi", ""),
                Hidden = hidden.Count == 0 && mlp ? DeepModelRules.DefaultHidden : hidden,
                BaselineTimepoint = String(f, "deep_model.baseline_timepoint", ""),
                FollowupTimepoint = String(f, "deep_model.followup_timepoint", ""),
            };
        }

        /// <summary>The privacy section (executed: docs/privacy.md §7); the engine's rules on it are in <see cref="StudyRules"/>.</summary>
        private StudyPrivacy? Privacy(Dictionary<string, YamlNode> top)
        {
            if (!top.ContainsKey("privacy")) return null;
            var f = Section(top, "privacy", ["min_cohort", "secure_aggregation", "differential_privacy"]);
            var minCohort = f.ContainsKey("privacy.min_cohort") ? Int(f, "privacy.min_cohort", 5, min: 1) : 0;
            var secure = Bool(f, "privacy.secure_aggregation", false);
            DifferentialPrivacySettings? dpSettings = null;
            if (f.ContainsKey("privacy.differential_privacy"))
            {
                var dp = Section(f, "privacy.differential_privacy", ["epsilon", "delta", "clip_norm", "noise"]);
                // Values are checked by StudyRules (the same rules for a spec), at these fields' lines.
                var epsilon = Double(dp, "privacy.differential_privacy.epsilon", double.NaN);
                var delta = Double(dp, "privacy.differential_privacy.delta", 1e-5);
                var clip = Double(dp, "privacy.differential_privacy.clip_norm", 1);
                var noise = String(dp, "privacy.differential_privacy.noise", DifferentialPrivacySettings.Local);
                dpSettings = new DifferentialPrivacySettings { Epsilon = epsilon, Delta = delta, ClipNorm = clip, Noise = noise };
            }
            return new StudyPrivacy { MinCohort = minCohort, SecureAggregation = secure, DifferentialPrivacy = dpSettings };
        }

        // ---- study preparation (executed before training: docs/coordinator.md "Preparing a study") ----

        private static readonly string[] FilterOperators = ["equals", "in", "min", "max"];

        private List<InclusionRule> Cohort(Dictionary<string, YamlNode> top)
        {
            var rules = new List<InclusionRule>();
            if (!top.ContainsKey("cohort")) return rules;
            var f = Section(top, "cohort", ["inclusion"]);
            if (!f.TryGetValue("cohort.inclusion", out var node)) return rules;
            if (node is not YamlSequenceNode filters) { Problem(node, "cohort.inclusion", "must be a list of filters (- column: NAME, then equals, in, min or max)"); return rules; }
            for (var i = 0; i < filters.Children.Count; i++)
            {
                var field = $"cohort.inclusion[{i}]";
                if (filters.Children[i] is not YamlMappingNode filter) { Problem(filters.Children[i], field, "must be a mapping: column: NAME, then equals, in, min or max"); continue; }
                var ff = Fields(filter, field, ["column", .. FilterOperators]);
                if (String(ff, field + ".column", "").Length == 0) Problem(filter, field + ".column", "column is required (a manifest.csv or outcomes.csv column)");
                var ops = FilterOperators.Where(o => ff.ContainsKey($"{field}.{o}")).ToList();
                // A spec written as JSON (the recorded text of a study created from a spec) lists in: [] beside min/max.
                if (ops.Count > 1 && ff.GetValueOrDefault(field + ".in") is YamlSequenceNode { Children.Count: 0 }) ops.Remove("in");
                if (ops.Count == 0) Problem(filter, field, "give a condition: equals, in, min or max");
                if (ops.Contains("equals") && ops.Count > 1 || ops.Contains("in") && ops.Count > 1)
                    Problem(filter, field, "equals and in stand alone; min and max may be combined");
                var anyOf = ops.Contains("in") ? Strings(ff, field + ".in") : [];
                if (ops.Contains("in") && anyOf.Count == 0) Problem(ff[field + ".in"], field + ".in", "in needs at least one value");
                var equals = ops.Contains("equals") ? String(ff, field + ".equals", "") : null;
                var min = ops.Contains("min") ? Double(ff, field + ".min", double.NaN) : double.NegativeInfinity;
                var max = ops.Contains("max") ? Double(ff, field + ".max", double.NaN) : double.PositiveInfinity;
                if (min > max) Problem(filter, field, $"min {min} is above max {max}");
                // A filter with a problem above is left out: its problem is already reported with its line.
                if (String(ff, field + ".column", "").Length > 0 && ops.Count > 0)
                    rules.Add(new InclusionRule(String(ff, field + ".column", ""), equals, anyOf,
                        double.IsNegativeInfinity(min) ? null : min, double.IsPositiveInfinity(max) ? null : max));
            }
            return rules;
        }

        private HarmonisationSettings? Harmonisation(Dictionary<string, YamlNode> top)
        {
            if (!top.ContainsKey("harmonisation")) return null;
            var f = Section(top, "harmonisation", ["method", "batch_by", "covariates"]);
            var method = String(f, "harmonisation.method", "none");
            if (method is not ("none" or "combat")) Problem(f.GetValueOrDefault("harmonisation.method", top["harmonisation"]), "harmonisation.method", $"unknown method '{method}' (known: none, combat)");
            var batchBy = String(f, "harmonisation.batch_by", "site");
            if (batchBy != "site") Problem(f["harmonisation.batch_by"], "harmonisation.batch_by", $"studies harmonise with each site as a batch: batch_by must be site, got '{batchBy}'");
            var covariates = Strings(f, "harmonisation.covariates");
            return method == "combat" ? new HarmonisationSettings(covariates) : null;
        }

        private FeatureSelectionSettings? FeatureSelection(Dictionary<string, YamlNode> top)
        {
            if (!top.ContainsKey("feature_selection")) return null;
            var f = Section(top, "feature_selection", ["method", "max_features"]);
            var method = String(f, "feature_selection.method", "none");
            string[] known = ["none", "univariate_auc"];
            var where = f.GetValueOrDefault("feature_selection.method", top["feature_selection"]);
            if (method is "lasso" or "elasticnet")
                Problem(where, "feature_selection.method", $"{method} is not run by studies yet (the exact federated LASSO is available as an analysis: fedrad analysis run); use univariate_auc or none");
            else if (!known.Contains(method)) Problem(where, "feature_selection.method", $"unknown method '{method}' (known: {string.Join(", ", known)})");
            if (method == "none") return null;
            if (!f.ContainsKey("feature_selection.max_features")) { Problem(top["feature_selection"], "feature_selection.max_features", $"{method} needs max_features: how many features the model keeps"); return null; }
            return new FeatureSelectionSettings(method, Int(f, "feature_selection.max_features", 1, min: 1));
        }

        // ---- the validation plan ----

        /// <summary>The StudySpec's top-level field (a spec written as JSON): the same as validation.leave_one_site_out.</summary>
        private bool LeaveOneSiteOut(Dictionary<string, YamlNode> top)
        {
            if (!top.TryGetValue("leave_one_site_out", out var node)) return false;
            if (top.TryGetValue("validation", out var validation) && validation is YamlMappingNode v && v.Children.ContainsKey(new YamlScalarNode("leave_one_site_out")))
                Problem(node, "leave_one_site_out", "give validation.leave_one_site_out or the spec's leave_one_site_out, not both");
            return Bool(top, "leave_one_site_out", false);
        }

        /// <summary>The validation plan; returns whether leave-one-site-out validation is asked for (executed after the evaluation round).</summary>
        private bool Validation(Dictionary<string, YamlNode> top)
        {
            if (!top.ContainsKey("validation")) return false;
            var f = Section(top, "validation", ["pooled", "per_site", "leave_one_site_out"]);
            foreach (var key in new[] { "validation.pooled", "validation.per_site" })
                if (f.ContainsKey(key) && !Bool(f, key, true))
                    Problem(f[key], key, "the evaluation round always reports pooled and per-site discrimination; it cannot be turned off");
            return Bool(f, "validation.leave_one_site_out", false);
        }

        // ---- typed access: each records the field's position and reports a wrong type with it ----

        /// <summary>The mapping's fields by full path; unknown keys are problems.</summary>
        private Dictionary<string, YamlNode> Fields(YamlMappingNode m, string prefix, IReadOnlyList<string> known)
        {
            var fields = new Dictionary<string, YamlNode>();
            foreach (var (k, v) in m.Children)
            {
                var key = (k as YamlScalarNode)?.Value ?? "";
                var path = prefix.Length == 0 ? key : $"{prefix}.{key}";
                if (!known.Contains(key)) { Problem(k, path, $"unknown field '{key}'{(prefix.Length == 0 ? "" : $" in {prefix}")} (known: {string.Join(", ", known)})"); continue; }
                fields[path] = v;
                _marks[path] = ((int)k.Start.Line, (int)k.Start.Column);
            }
            return fields;
        }

        private Dictionary<string, YamlNode> Section(Dictionary<string, YamlNode> parent, string path, IReadOnlyList<string> known)
        {
            if (!parent.TryGetValue(path, out var node)) return [];
            if (node is YamlMappingNode m) return Fields(m, path, known);
            Problem(node, path, $"must be a mapping of {string.Join(", ", known)}");
            return [];
        }

        private string? Scalar(Dictionary<string, YamlNode> f, string path, string expected)
        {
            if (!f.TryGetValue(path, out var node)) return null;
            if (node is YamlScalarNode s && s.Value is not null) return s.Value;
            Problem(node, path, $"must be {expected}");
            return null;
        }

        private string String(Dictionary<string, YamlNode> f, string path, string fallback) => Scalar(f, path, "a text value") ?? fallback;

        private int Int(Dictionary<string, YamlNode> f, string path, int fallback, int min = int.MinValue)
        {
            if (Scalar(f, path, "a whole number") is not { } s) return fallback;
            if (!int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v)) { Problem(f[path], path, $"must be a whole number, got '{s}'"); return fallback; }
            if (v < min) Problem(f[path], path, $"must be at least {min}, got {v}");
            return v;
        }

        private double Double(Dictionary<string, YamlNode> f, string path, double fallback)
        {
            if (Scalar(f, path, "a number") is not { } s) return fallback;
            if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || !double.IsFinite(v)) { Problem(f[path], path, $"must be a number, got '{s}'"); return fallback; }
            return v;
        }

        private bool Bool(Dictionary<string, YamlNode> f, string path, bool fallback)
        {
            if (Scalar(f, path, "true or false") is not { } s) return fallback;
            if (s is "true" or "false") return s == "true";
            Problem(f[path], path, $"must be true or false, got '{s}'");
            return fallback;
        }

        private List<string> Strings(Dictionary<string, YamlNode> f, string path)
        {
            if (!f.TryGetValue(path, out var node)) return [];
            if (node is not YamlSequenceNode seq) { Problem(node, path, "must be a list, e.g. [a, b]"); return []; }
            var values = new List<string>();
            foreach (var item in seq.Children)
            {
                if (item is YamlScalarNode { Value: { } v }) values.Add(v);
                else Problem(item, path, "every entry must be a text value");
            }
            return values;
        }

        private List<int> Ints(Dictionary<string, YamlNode> f, string path)
        {
            if (!f.TryGetValue(path, out var node)) return [];
            if (node is not YamlSequenceNode seq) { Problem(node, path, "must be a list of whole numbers, e.g. [32, 16]"); return []; }
            var values = new List<int>();
            foreach (var item in seq.Children)
            {
                if (item is YamlScalarNode { Value: { } v } && int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i)) values.Add(i);
                else Problem(item, path, "every entry must be a whole number");
            }
            return values;
        }

        private Dictionary<string, double> Numbers(Dictionary<string, YamlNode> f, string path)
        {
            var values = new Dictionary<string, double>();
            if (!f.TryGetValue(path, out var node)) return values;
            if (node is not YamlMappingNode m) { Problem(node, path, "must be a mapping of names to numbers"); return values; }
            foreach (var (k, v) in m.Children)
            {
                var name = (k as YamlScalarNode)?.Value ?? "";
                if (v is YamlScalarNode { Value: { } s } && double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d)) values[name] = d;
                else Problem(v, $"{path}.{name}", "must be a number");
            }
            return values;
        }
    }
}
