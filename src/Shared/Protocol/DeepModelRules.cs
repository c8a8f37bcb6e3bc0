using FedRad.Protocol.V1;

namespace FedRad.Shared.Protocol;

/// <summary>
/// What a <see cref="DeepModel"/> must hold for its kind. The coordinator checks a study with it before anything runs;
/// a site checks every task with it again before it reads an image (a task could come from an older coordinator or a
/// hand-made client). Every message names the field as a study file writes it ("deep_model.patch_size").
/// </summary>
public static class DeepModelRules
{
    public const string Mlp = "mlp";
    public const string CnnEarly = "cnn-early";
    public const string CnnIntermediate = "cnn-intermediate";
    public const string CnnDelta = "cnn-delta";

    /// <summary>The deep kinds studies run (TorchSharp at the sites; the coordinator never builds them).</summary>
    public static IReadOnlyList<string> Kinds { get; } = [Mlp, CnnEarly, CnnIntermediate, CnnDelta];

    /// <summary>The hidden widths a study file gets when it names none.</summary>
    public static IReadOnlyList<int> DefaultHidden { get; } = [32, 16];

    public static bool IsDeep(string model) => Kinds.Contains(model);

    public static bool IsPatchModel(string model) => model is CnnEarly or CnnIntermediate or CnnDelta;

    /// <summary>Every problem of <paramref name="m"/> for a model of kind <paramref name="kind"/> as (field, message).</summary>
    public static IReadOnlyList<(string Field, string Message)> Problems(string kind, DeepModel m)
    {
        var problems = new List<(string, string)>();
        void Add(string field, string message) => problems.Add(("deep_model." + field, $"deep_model.{field} {message}"));
        if (!IsDeep(kind)) { problems.Add(("model", $"model '{kind}' is not a deep model (known: {string.Join(", ", Kinds)})")); return problems; }
        if (kind == Mlp)
        {
            if (m.Hidden.Count is < 1 or > 8) Add("hidden", $"must list 1 to 8 hidden layer widths for mlp, got {m.Hidden.Count}");
            foreach (var h in m.Hidden.Where(h => h is < 1 or > 1024)) Add("hidden", $"widths must be 1..1024, got {h}");
            // An MLP reads features: the patch fields mean nothing to it, and a study that sets them is confused.
            if (m.PatchSize != 0) Add("patch_size", "does not apply to mlp (it reads feature_names, not patches)");
            if (m.Width != 0) Add("width", "does not apply to mlp (give hidden)");
            if (m.Roi.Length > 0) Add("roi", "does not apply to mlp (its features name their ROI)");
            if (m.BaselineTimepoint.Length > 0 || m.FollowupTimepoint.Length > 0) Add("baseline_timepoint", "and followup_timepoint apply to cnn-delta only");
            return problems;
        }
        if (m.PatchSize is < 8 or > 64 || m.PatchSize % 4 != 0) Add("patch_size", $"must be a multiple of 4 in 8..64, got {m.PatchSize}");
        if (m.Width is < 1 or > 64) Add("width", $"must be 1..64, got {m.Width}");
        if (string.IsNullOrWhiteSpace(m.Roi)) Add("roi", "is empty: name the ROI (RTSTRUCT structure) patches are centred on");
        if (m.Hidden.Count > 0) Add("hidden", $"applies to mlp only, not {kind}");
        if (kind == CnnDelta)
        {
            if (string.IsNullOrWhiteSpace(m.BaselineTimepoint)) Add("baseline_timepoint", "is empty: name the manifest timepoint of the first scan (column timepoint)");
            if (string.IsNullOrWhiteSpace(m.FollowupTimepoint)) Add("followup_timepoint", "is empty: name the manifest timepoint of the second scan (column timepoint)");
            else if (m.FollowupTimepoint == m.BaselineTimepoint) Add("followup_timepoint", $"is the baseline's timepoint '{m.BaselineTimepoint}': a delta needs two different timepoints");
        }
        else if (m.BaselineTimepoint.Length > 0 || m.FollowupTimepoint.Length > 0)
            Add("baseline_timepoint", $"and followup_timepoint apply to cnn-delta only, not {kind}");
        return problems;
    }
}
