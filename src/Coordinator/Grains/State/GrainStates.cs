using FedRad.Coordinator.Contracts.Model;

namespace FedRad.Coordinator.Grains.State;

// Persisted grain state, kept apart from grain behaviour. Storage name: "fedrad".

[GenerateSerializer, Alias("FedRad.SiteState")]
public sealed class SiteState
{
    [Id(0)] public bool Registered { get; set; }
    [Id(1)] public string AgentVersion { get; set; } = "";
    [Id(2)] public List<string> Capabilities { get; set; } = [];
    [Id(3)] public DateTimeOffset RegisteredAt { get; set; }
    [Id(4)] public Dictionary<string, SiteTaskInfo> PendingTasks { get; set; } = [];
}

[GenerateSerializer, Alias("FedRad.SiteDirectoryState")]
public sealed class SiteDirectoryState
{
    [Id(0)] public SortedSet<string> SiteIds { get; set; } = new(StringComparer.Ordinal);
}

[GenerateSerializer, Alias("FedRad.StudyGrainState")]
public sealed class StudyGrainState
{
    [Id(0)] public StudyDefinition? Definition { get; set; }
    [Id(1)] public StudyState State { get; set; }
    [Id(2)] public int CurrentRound { get; set; }
    [Id(3)] public List<RoundView> ClosedRounds { get; set; } = [];
    [Id(4)] public List<string> EnrolledSites { get; set; } = [];
    [Id(5)] public ModelRef? CurrentModel { get; set; }
    [Id(6)] public EvaluationResult? Evaluation { get; set; }
    [Id(7)] public string FailureReason { get; set; } = "";
}

[GenerateSerializer, Alias("FedRad.RoundGrainState")]
public sealed class RoundGrainState
{
    [Id(0)] public RoundPlan? Plan { get; set; }
    [Id(1)] public RoundState State { get; set; }
    /// <summary>Accepted updates by site: the idempotency record.</summary>
    [Id(2)] public Dictionary<string, AcceptedUpdate> Accepted { get; set; } = [];
    [Id(3)] public int Rejected { get; set; }
    [Id(4)] public DateTimeOffset StartedAt { get; set; }
    [Id(5)] public DateTimeOffset? ClosedAt { get; set; }
    [Id(6)] public string CloseReason { get; set; } = "";
    [Id(7)] public ModelRef? Result { get; set; }
    [Id(8)] public EvaluationResult? Evaluation { get; set; }
}

[GenerateSerializer, Alias("FedRad.AcceptedUpdate")]
public sealed record AcceptedUpdate(
    [property: Id(0)] string PayloadSha256,
    [property: Id(1)] long SampleCount,
    [property: Id(2)] double Loss);
