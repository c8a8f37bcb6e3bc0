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
    /// <summary>Set when sites extract the features from their images rather than reading cohort.csv (logreg, mlp).</summary>
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
    /// <summary>Set for deep models (mlp, cnn-*): their architecture and inputs, handed to the sites in every task.</summary>
    [Id(16)] public DeepModelSettings? DeepModel { get; init; }
    /// <summary>The study's privacy section (minimum cohort, secure aggregation, differential privacy); null: none.</summary>
    [Id(18)] public StudyPrivacy? Privacy { get; init; }
    /// <summary>After the evaluation round, train the model once without each site and evaluate it on that site (docs/operators.md).</summary>
    [Id(24)] public bool LeaveOneSiteOut { get; init; }

    // Study preparation (docs/coordinator.md "Preparing a study"): inclusion at the sites, then ComBat, then selection.
    /// <summary>cohort.inclusion: a patient stays in a site's cohort when it passes every filter.</summary>
    [Id(20)] public IReadOnlyList<InclusionRule> Inclusion { get; init; } = [];
    /// <summary>ComBat across sites before training; null: none.</summary>
    [Id(21)] public HarmonisationSettings? Harmonisation { get; init; }
    /// <summary>Feature selection on the pooled data before training; null: none (every feature is used).</summary>
    [Id(22)] public FeatureSelectionSettings? FeatureSelection { get; init; }
    /// <summary>
    /// What the preparation produced; set by the study grain on the definition its rounds carry (never on the
    /// definition as created): the rounds' FeatureNames are then the selected features.
    /// </summary>
    [Id(23)] public PreparationResult? Prepared { get; init; }

    public bool NeedsPreparation => Inclusion.Count > 0 || Harmonisation is not null || FeatureSelection is not null;
}

/// <summary>What a study asks for privacy; docs/privacy.md §7 says how each part runs.</summary>
[GenerateSerializer, Immutable, Alias("FedRad.StudyPrivacy")]
public sealed record StudyPrivacy
{
    /// <summary>Smallest cohort a site may compute an aggregate from (0: the sites' own minimum only).</summary>
    [Id(0)] public int MinCohort { get; init; }
    /// <summary>Training and standardisation rounds run under secure aggregation: the coordinator learns only sums.</summary>
    [Id(1)] public bool SecureAggregation { get; init; }
    [Id(2)] public DifferentialPrivacySettings? DifferentialPrivacy { get; init; }
}

/// <summary>Site-level differential privacy of the training rounds: the study's (ε, δ), the clip norm and where the noise is added.</summary>
[GenerateSerializer, Immutable, Alias("FedRad.DifferentialPrivacySettings")]
public sealed record DifferentialPrivacySettings
{
    public const string Local = "local";
    public const string Central = "central";

    [Id(0)] public double Epsilon { get; init; }
    [Id(1)] public double Delta { get; init; } = 1e-5;
    [Id(2)] public double ClipNorm { get; init; } = 1;
    /// <summary>"local" (each site adds all the noise) or "central" (the sites add shares of one noise under secure aggregation).</summary>
    [Id(3)] public string Noise { get; init; } = Local;
    /// <summary>σ: calibrated when the study is created so that its training rounds stay within (ε, δ).</summary>
    [Id(4)] public double NoiseMultiplier { get; init; }
}

/// <summary>The protocol's DeepModel (site.proto) as the grains keep it; fields that do not apply to the kind stay at their defaults.</summary>
[GenerateSerializer, Immutable, Alias("FedRad.DeepModelSettings")]
public sealed record DeepModelSettings
{
    [Id(0)] public int PatchSize { get; init; }
    [Id(1)] public int Width { get; init; }
    [Id(2)] public string Roi { get; init; } = "";
    [Id(3)] public IReadOnlyList<int> Hidden { get; init; } = [];
    [Id(4)] public string BaselineTimepoint { get; init; } = "";
    [Id(5)] public string FollowupTimepoint { get; init; } = "";
}

/// <summary>One inclusion filter: equal to a text, one of several texts, or a number within [Min, Max].</summary>
[GenerateSerializer, Immutable, Alias("FedRad.InclusionRule")]
public sealed record InclusionRule(
    [property: Id(0)] string Column,
    [property: Id(1)] string? EqualTo,
    [property: Id(2)] IReadOnlyList<string> AnyOf,
    [property: Id(3)] double? Min,
    [property: Id(4)] double? Max);

/// <summary>ComBat with each site as a batch, preserving the covariates' effects.</summary>
[GenerateSerializer, Immutable, Alias("FedRad.HarmonisationSettings")]
public sealed record HarmonisationSettings([property: Id(0)] IReadOnlyList<string> Covariates);

[GenerateSerializer, Immutable, Alias("FedRad.FeatureSelectionSettings")]
public sealed record FeatureSelectionSettings([property: Id(0)] string Method, [property: Id(1)] int MaxFeatures);

public enum PreparationState { Running = 1, Completed = 2, Failed = 3 }

/// <summary>The outcome of a study's preparation. Aggregates only: counts, site-level means and SDs, pooled scores.</summary>
[GenerateSerializer, Immutable, Alias("FedRad.PreparationResult")]
public sealed record PreparationResult
{
    [Id(0)] public PreparationState State { get; init; } = PreparationState.Running;
    /// <summary>The features training and evaluation use, in the study's order.</summary>
    [Id(1)] public IReadOnlyList<string> SelectedFeatures { get; init; } = [];
    /// <summary>Selection score per feature (univariate_auc: pooled AUC of the feature alone).</summary>
    [Id(2)] public IReadOnlyDictionary<string, double> FeatureScores { get; init; } = new Dictionary<string, double>();
    [Id(3)] public IReadOnlyList<SitePreparation> Sites { get; init; } = [];
    /// <summary>Features ComBat leaves unadjusted (constant within some site).</summary>
    [Id(4)] public IReadOnlyList<string> Unadjusted { get; init; } = [];
    /// <summary>The fitted ComBat adjustment of every site (FedRad.Statistics ComBatAdjustment as JSON); "" without harmonisation.</summary>
    [Id(5)] public string HarmonisationJson { get; init; } = "";
    /// <summary>With harmonisation: per feature, every site's histogram before and after on a common grid
    /// (FedRad.Statistics FeatureHistogram list as JSON); "" without.</summary>
    [Id(6)] public string DistributionsJson { get; init; } = "";
}

[GenerateSerializer, Immutable, Alias("FedRad.SitePreparation")]
public sealed record SitePreparation(
    [property: Id(0)] string SiteId,
    [property: Id(1)] long Included,
    [property: Id(2)] long Excluded,
    [property: Id(3)] IReadOnlyList<FeatureShift> Harmonisation,
    // Why the site takes no part in the study ("" when it does): its cohort failed the eligibility check.
    [property: Id(4)] string Refusal = "");

/// <summary>A feature's mean and SD at one site before and after ComBat.</summary>
[GenerateSerializer, Immutable, Alias("FedRad.FeatureShift")]
public sealed record FeatureShift(
    [property: Id(0)] string Feature,
    [property: Id(1)] double MeanBefore,
    [property: Id(2)] double SdBefore,
    [property: Id(3)] double MeanAfter,
    [property: Id(4)] double SdAfter);

/// <summary>
/// Radiomics settings (YAML, identical for every site) and the ROI to extract features from.
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
public enum WorkKind { Train = 1, Evaluate = 2, Statistics = 3, Standardise = 4, Prepare = 8 }

/// <summary>A content-addressed model payload in the coordinator's blob store.</summary>
[GenerateSerializer, Immutable, Alias("FedRad.ModelRef")]
public sealed record ModelRef([property: Id(0)] string Sha256, [property: Id(1)] long SizeBytes);
