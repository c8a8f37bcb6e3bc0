namespace FedRad.Coordinator.Contracts.Model;

/// <summary>A round as the study grain opens it.</summary>
[GenerateSerializer, Immutable, Alias("FedRad.RoundPlan")]
public sealed record RoundPlan
{
    [Id(0)] public required string StudyId { get; init; }
    [Id(1)] public required int Round { get; init; }
    [Id(2)] public required WorkKind Kind { get; init; }
    [Id(3)] public required IReadOnlyList<string> SelectedSites { get; init; }
    [Id(4)] public required int MinSites { get; init; }
    [Id(5)] public required DateTimeOffset Deadline { get; init; }
    [Id(6)] public required ModelRef GlobalModel { get; init; }
    [Id(7)] public required StudyDefinition Study { get; init; }
    /// <summary>What the previous round's strategy left for this one (server optimiser state), if anything.</summary>
    [Id(8)] public ModelRef? ServerState { get; init; }
}

/// <summary>A site's result for a round, after its payload has been received, hashed and stored.</summary>
[GenerateSerializer, Immutable, Alias("FedRad.SiteUpdate")]
public sealed record SiteUpdate
{
    [Id(0)] public required string SiteId { get; init; }
    [Id(1)] public required string TaskId { get; init; }
    [Id(2)] public required long SampleCount { get; init; }
    [Id(3)] public required IReadOnlyDictionary<string, double> Metrics { get; init; }
    /// <summary>The stored payload (weights or evaluation aggregates).</summary>
    [Id(4)] public required ModelRef Payload { get; init; }
}

public enum SubmitOutcome
{
    Accepted = 1,
    /// <summary>The same payload was already accepted from this site; nothing was counted again.</summary>
    Duplicate = 2,
    /// <summary>The round does not know the site or did not select it.</summary>
    NotSelected = 3,
    /// <summary>The round is closed (deadline passed or already complete).</summary>
    RoundClosed = 4,
    /// <summary>The site already contributed a different result to this round.</summary>
    Conflict = 5,
    /// <summary>The payload does not fit the round (shape, NaN/Inf, sample count).</summary>
    Invalid = 6,
}

[GenerateSerializer, Immutable, Alias("FedRad.SubmitResult")]
public sealed record SubmitResult([property: Id(0)] SubmitOutcome Outcome, [property: Id(1)] string Message);

/// <summary>Per-site metrics of an evaluation round. Aggregates only: no per-patient value.</summary>
[GenerateSerializer, Immutable, Alias("FedRad.SiteEvaluation")]
public sealed record SiteEvaluation(
    [property: Id(0)] string SiteId,
    [property: Id(1)] long N,
    [property: Id(2)] double Auc,
    [property: Id(3)] double Loss);

[GenerateSerializer, Immutable, Alias("FedRad.EvaluationResult")]
public sealed record EvaluationResult(
    [property: Id(0)] IReadOnlyList<SiteEvaluation> Sites,
    [property: Id(1)] long PooledN,
    [property: Id(2)] double PooledAuc,
    [property: Id(3)] double PooledLoss);

public enum RoundState { Open = 1, Completed = 2, Failed = 3 }

/// <summary>A round as operators see it.</summary>
[GenerateSerializer, Immutable, Alias("FedRad.RoundView")]
public sealed record RoundView
{
    [Id(0)] public required int Round { get; init; }
    [Id(1)] public required WorkKind Kind { get; init; }
    [Id(2)] public required RoundState State { get; init; }
    [Id(3)] public required IReadOnlyList<string> SelectedSites { get; init; }
    [Id(4)] public required IReadOnlyList<string> Participants { get; init; }
    [Id(5)] public double Loss { get; init; } = double.NaN;
    [Id(6)] public string CloseReason { get; init; } = "";
    [Id(7)] public int RejectedUpdates { get; init; }
    [Id(8)] public DateTimeOffset StartedAt { get; init; }
    [Id(9)] public DateTimeOffset? ClosedAt { get; init; }
    /// <summary>The aggregated model of a completed training round.</summary>
    [Id(10)] public ModelRef? Result { get; init; }
    [Id(11)] public EvaluationResult? Evaluation { get; init; }
    [Id(12)] public ModelRef? NextServerState { get; init; }
    [Id(13)] public IReadOnlyList<string> StrategyLog { get; init; } = [];
    /// <summary>Differential privacy: ε spent by the study's training rounds up to this one (0 without DP).</summary>
    [Id(17)] public double DpEpsilon { get; init; }
    [Id(18)] public bool SecureAggregation { get; init; }
    /// <summary>Sites that dropped after sharing their keys (their masks were removed with Shamir shares).</summary>
    [Id(19)] public IReadOnlyList<string> SecAggDropped { get; init; } = [];
}

/// <summary>A site's reply in one phase of a round's secure-aggregation session (keys, shares, unmasking shares) as JSON.</summary>
[GenerateSerializer, Immutable, Alias("FedRad.SecAggSubmission")]
public sealed record SecAggSubmission(
    [property: Id(0)] string SiteId,
    [property: Id(1)] string TaskId,
    [property: Id(2)] SecAggTaskStage Stage,
    [property: Id(3)] string Message);
