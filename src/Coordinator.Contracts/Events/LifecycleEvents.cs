namespace FedRad.Coordinator.Contracts.Events;

// Lifecycle events published on the message bus (MassTransit). They carry identifiers,
// counts and aggregate metrics only: never patient data. Metrics that may be undefined are
// null rather than NaN, which JSON cannot carry.

public sealed record SiteRegistered(string SiteId, string AgentVersion, DateTimeOffset At);

public sealed record SiteApproved(string SiteId, string By, DateTimeOffset At);

public sealed record SiteSuspended(string SiteId, string Reason, DateTimeOffset At);

public sealed record SiteUnhealthy(string SiteId, DateTimeOffset LastHeartbeat, DateTimeOffset At);

public sealed record SiteHealthy(string SiteId, DateTimeOffset At);

public sealed record RoundStarted(string StudyId, int Round, string Kind, IReadOnlyList<string> Sites, DateTimeOffset Deadline, DateTimeOffset At);

public sealed record UpdateReceived(string StudyId, int Round, string SiteId, long SampleCount, bool Duplicate, DateTimeOffset At);

public sealed record UpdateRejected(string StudyId, int Round, string SiteId, string Reason, DateTimeOffset At);

public sealed record RoundCompleted(string StudyId, int Round, string Kind, IReadOnlyList<string> Participants, double? Loss, string Reason, DateTimeOffset At);

public sealed record RoundFailed(string StudyId, int Round, string Kind, IReadOnlyList<string> Participants, string Reason, DateTimeOffset At);

public sealed record StudyCompleted(string StudyId, string State, double? PooledAuc, string Reason, DateTimeOffset At);

public sealed record AnalysisCompleted(string AnalysisId, string State, IReadOnlyList<string> Sites, int Requests, string Error, DateTimeOffset At);
