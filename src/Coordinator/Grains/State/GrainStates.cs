using FedRad.Coordinator.Contracts.Model;
using FedRad.Coordinator.Events;

namespace FedRad.Coordinator.Grains.State;

// Persisted grain state, kept apart from grain behaviour. Storage name: "fedrad".

[GenerateSerializer, Alias("FedRad.SiteState")]
public sealed class SiteState : IHasOutbox
{
    [Id(0)] public bool Registered { get; set; }
    [Id(1)] public string AgentVersion { get; set; } = "";
    [Id(2)] public List<string> Capabilities { get; set; } = [];
    [Id(3)] public DateTimeOffset RegisteredAt { get; set; }
    [Id(4)] public Dictionary<string, SiteTaskInfo> PendingTasks { get; set; } = [];
    [Id(5)] public List<OutboxEntry> Outbox { get; set; } = [];
    [Id(6)] public SiteApproval Approval { get; set; }
    [Id(7)] public string CertificateSerial { get; set; } = "";
    [Id(8)] public string SuspensionReason { get; set; } = "";
}

[GenerateSerializer, Alias("FedRad.SiteDirectoryState")]
public sealed class SiteDirectoryState
{
    [Id(0)] public SortedSet<string> SiteIds { get; set; } = new(StringComparer.Ordinal);
}

[GenerateSerializer, Alias("FedRad.StudyGrainState")]
public sealed class StudyGrainState : IHasOutbox
{
    [Id(0)] public StudyDefinition? Definition { get; set; }
    [Id(1)] public StudyState State { get; set; }
    [Id(2)] public int CurrentRound { get; set; }
    [Id(3)] public List<RoundView> ClosedRounds { get; set; } = [];
    [Id(4)] public List<string> EnrolledSites { get; set; } = [];
    [Id(5)] public ModelRef? CurrentModel { get; set; }
    [Id(6)] public EvaluationResult? Evaluation { get; set; }
    [Id(7)] public string FailureReason { get; set; } = "";
    /// <summary>What the strategy carries from one round to the next (server optimiser moments), as a blob.</summary>
    [Id(8)] public ModelRef? ServerState { get; set; }
    [Id(9)] public List<OutboxEntry> Outbox { get; set; } = [];
    /// <summary>The plan of the current round, saved before the round is opened so that it can be opened again after a crash.</summary>
    [Id(10)] public RoundPlan? CurrentPlan { get; set; }
    /// <summary>Leave-one-site-out folds, one per enrolled site, set up when the evaluation round has closed.</summary>
    [Id(20)] public List<LosoFold> Loso { get; set; } = [];
    /// <summary>The last leave-one-site-out round already taken into account (Advance runs more than once per round).</summary>
    [Id(21)] public int LosoLastClosedRound { get; set; }
    /// <summary>The preparation before training (inclusion counts, ComBat fit, selected features); null when the study has none.</summary>
    [Id(30)] public PreparationResult? Preparation { get; set; }
}

[GenerateSerializer, Alias("FedRad.RoundGrainState")]
public sealed class RoundGrainState : IHasOutbox
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
    /// <summary>Sites in the order their updates were folded: a reactivated round refolds them in this order.</summary>
    [Id(9)] public List<string> AcceptedOrder { get; set; } = [];
    [Id(10)] public ModelRef? NextServerState { get; set; }
    /// <summary>The strategy's decisions (rejections, exclusions), one line each.</summary>
    [Id(11)] public List<string> StrategyLog { get; set; } = [];
    [Id(12)] public List<OutboxEntry> Outbox { get; set; } = [];
    /// <summary>Sites that declined their task, with their reason.</summary>
    [Id(13)] public Dictionary<string, string> Declined { get; set; } = [];
    /// <summary>Secure aggregation: the session's coordinator state (SecAggCoordinator JSON); "" for a plain round.</summary>
    [Id(18)] public string SecAgg { get; set; } = "";
    /// <summary>Secure aggregation: when the current phase closes, and what each site is sent in it (JSON).</summary>
    [Id(19)] public DateTimeOffset? PhaseDeadline { get; set; }
    [Id(20)] public Dictionary<string, string> PhaseMessages { get; set; } = [];
    /// <summary>Secure aggregation: sites that dropped after sharing keys, and the round's sample-weighted loss from the unmasked sum.</summary>
    [Id(21)] public List<string> SecAggDropped { get; set; } = [];
    [Id(22)] public double SecureLoss { get; set; } = double.NaN;
}

[GenerateSerializer, Alias("FedRad.AcceptedUpdate")]
public sealed record AcceptedUpdate(
    [property: Id(0)] string PayloadSha256,
    [property: Id(1)] long SampleCount,
    [property: Id(2)] double Loss,
    [property: Id(3)] IReadOnlyDictionary<string, double> Metrics);
