namespace FedRad.Coordinator.Contracts.Model;

/// <summary>What a consortium coordinator asks for: the model, its inputs, the sites and the round rules.</summary>
[GenerateSerializer, Immutable, Alias("FedRad.StudyDefinition")]
public sealed record StudyDefinition
{
    [Id(0)] public required string StudyId { get; init; }
    [Id(1)] public string Model { get; init; } = "logreg";
    [Id(2)] public required IReadOnlyList<string> FeatureNames { get; init; }
    [Id(3)] public string LabelColumn { get; init; } = "label";
    [Id(4)] public int Rounds { get; init; } = 10;
    /// <summary>Empty: every site registered when the study starts.</summary>
    [Id(5)] public IReadOnlyList<string> SiteIds { get; init; } = [];
    [Id(6)] public int MinSites { get; init; } = 1;
    [Id(7)] public int RoundTimeoutSeconds { get; init; } = 60;
    [Id(8)] public TrainingSettings Training { get; init; } = new();
    [Id(9)] public string Strategy { get; init; } = "fedavg";
    /// <summary>Set when sites extract the features from their images rather than reading cohort.csv.</summary>
    [Id(10)] public ImagingSource? Imaging { get; init; }
    /// <summary>Open the study with a standardisation round (pooled mean and SD of every feature).</summary>
    [Id(11)] public bool Standardise { get; init; } = true;
    /// <summary>Tuning of the strategy (fraction_fit, proximal_mu, server_learning_rate, ...).</summary>
    [Id(12)] public IReadOnlyDictionary<string, double> StrategyParameters { get; init; } = new Dictionary<string, double>();
    /// <summary>The definition as the operator wrote it (study file text, or the spec as JSON) and the SHA-256 of its UTF-8 bytes.</summary>
    [Id(13)] public string DefinitionText { get; init; } = "";
    [Id(14)] public string DefinitionSha256 { get; init; } = "";
    /// <summary>SHA-256 of a blob uploaded with UploadModel that the first round starts from ("" = the model family's own initial model).</summary>
    [Id(15)] public string InitialModelId { get; init; } = "";
    /// <summary>After the evaluation round, train the model once without each site and evaluate it on that site (docs/operators.md).</summary>
    [Id(24)] public bool LeaveOneSiteOut { get; init; }
}

/// <summary>
/// Radiomics settings (YAML, identical for every site) and the ROI to extract features from. For a deep model the
/// settings are its patch description (the protocol's DeepModel as JSON) and the ROI the one patches are centred on.
/// <see cref="DeltaBaseline"/> and <see cref="DeltaFollowUp"/> (both or neither): delta radiomics between these two
/// manifest timepoints, one row per patient (baseline_*, follow_up_*, delta_diff_*, delta_rel_* columns).
/// <see cref="PetThresholdMethod"/> ("fixed" or "relative", with <see cref="PetThresholdValue"/>): PET rows' ROI is
/// delineated automatically inside the manifest mask's region.
/// </summary>
[GenerateSerializer, Immutable, Alias("FedRad.ImagingSource")]
public sealed record ImagingSource([property: Id(0)] string SettingsYaml, [property: Id(1)] string Roi,
    [property: Id(2)] string DeltaBaseline = "", [property: Id(3)] string DeltaFollowUp = "",
    [property: Id(4)] string PetThresholdMethod = "", [property: Id(5)] double PetThresholdValue = 0);

[GenerateSerializer, Immutable, Alias("FedRad.TrainingSettings")]
public sealed record TrainingSettings
{
    [Id(0)] public int LocalEpochs { get; init; } = 5;
    [Id(1)] public double LearningRate { get; init; } = 0.1;
    [Id(2)] public double L2 { get; init; } = 0.01;
    [Id(3)] public int BatchSize { get; init; } = 32;
    [Id(4)] public ulong Seed { get; init; } = 1;
}

/// <summary>What a site is asked to do with the global model.</summary>
public enum WorkKind { Train = 1, Evaluate = 2, Statistics = 3, Standardise = 4 }

/// <summary>A content-addressed model payload in the coordinator's blob store.</summary>
[GenerateSerializer, Immutable, Alias("FedRad.ModelRef")]
public sealed record ModelRef([property: Id(0)] string Sha256, [property: Id(1)] long SizeBytes);
