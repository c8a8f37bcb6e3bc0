namespace FedRad.Coordinator.Contracts.Model;

public enum StudyState { Created = 1, Running = 2, Completed = 3, Failed = 4, Cancelled = 5 }

[GenerateSerializer, Immutable, Alias("FedRad.StudyView")]
public sealed record StudyView
{
    [Id(0)] public required StudyDefinition Definition { get; init; }
    [Id(1)] public required StudyState State { get; init; }
    [Id(2)] public int CurrentRound { get; init; }
    [Id(3)] public IReadOnlyList<RoundView> Rounds { get; init; } = [];
    [Id(4)] public EvaluationResult? Evaluation { get; init; }
    [Id(5)] public string FailureReason { get; init; } = "";
    [Id(6)] public ModelRef? FinalModel { get; init; }
    [Id(7)] public IReadOnlyList<string> EnrolledSites { get; init; } = [];
    /// <summary>Leave-one-site-out folds, one per enrolled site, once the evaluation round has closed.</summary>
    [Id(20)] public IReadOnlyList<LosoFold> LeaveOneSiteOut { get; init; } = [];
    /// <summary>The study's preparation before training (null when the definition has none).</summary>
    [Id(30)] public PreparationResult? Preparation { get; init; }
}
