namespace FedRad.Coordinator.Contracts.Model;

/// <summary>A task waiting for a site, re-sent on every (re)connection until the site answers or the round closes.</summary>
[GenerateSerializer, Immutable, Alias("FedRad.SiteTask")]
public sealed record SiteTaskInfo
{
    [Id(0)] public required string TaskId { get; init; }
    [Id(1)] public required string StudyId { get; init; }
    [Id(2)] public required int Round { get; init; }
    [Id(3)] public required WorkKind Kind { get; init; }
    /// <summary>Train and Evaluate: the model to start from and the study it belongs to.</summary>
    [Id(4)] public ModelRef? GlobalModel { get; init; }
    [Id(5)] public StudyDefinition? Study { get; init; }
    [Id(6)] public required DateTimeOffset Deadline { get; init; }
    /// <summary>Statistics: the request (JSON) the site answers with an aggregate.</summary>
    [Id(7)] public string? StatisticsRequest { get; init; }
    /// <summary>Secure aggregation: the session phase this task is, and the coordinator's message for it (JSON).</summary>
    [Id(15)] public SecAggTaskStage SecAggStage { get; init; }
    [Id(16)] public string SecAggMessage { get; init; } = "";
}

/// <summary>The phase of a secure-aggregation session a task belongs to (None: an ordinary task).</summary>
public enum SecAggTaskStage { None = 0, Advertise = 1, Share = 2, Mask = 3, Unmask = 4 }

[GenerateSerializer, Immutable, Alias("FedRad.SiteView")]
public sealed record SiteView
{
    [Id(0)] public required string SiteId { get; init; }
    [Id(1)] public required bool Registered { get; init; }
    [Id(2)] public string AgentVersion { get; init; } = "";
    [Id(3)] public IReadOnlyList<string> Capabilities { get; init; } = [];
    [Id(4)] public DateTimeOffset RegisteredAt { get; init; }
    [Id(5)] public DateTimeOffset LastHeartbeat { get; init; }
    [Id(6)] public bool Healthy { get; init; }
    [Id(7)] public SiteApproval Approval { get; init; }
    [Id(8)] public string CertificateSerial { get; init; } = "";
    [Id(9)] public string SuspensionReason { get; init; } = "";
}

/// <summary>Where a site stands in the consortium: only approved sites receive tasks and may answer them.</summary>
public enum SiteApproval { Pending = 0, Approved = 1, Suspended = 2 }
