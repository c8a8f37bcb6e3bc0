using FedRad.Coordinator.Contracts.Model;
using Orleans.Concurrency;

namespace FedRad.Coordinator.Contracts.Grains;

/// <summary>One hospital site: registration, liveness and the tasks waiting for it. Key: site id.</summary>
public interface ISiteGrain : IGrainWithStringKey
{
    /// <param name="certificateSerial">Serial of the client certificate the site proved (mutual TLS); empty without TLS.</param>
    /// <param name="autoApprove">Approve a new site at once (embedded and development setups); otherwise it waits for an operator.</param>
    Task<SiteView> Register(string agentVersion, IReadOnlyList<string> capabilities, string certificateSerial, bool autoApprove);
    Task<SiteView> Approve(string by);
    Task<SiteView> Suspend(string reason);
    Task Heartbeat();
    [AlwaysInterleave] Task<SiteView> GetView();
    Task AssignTask(SiteTaskInfo task);
    Task RemoveTask(string taskId);
    [AlwaysInterleave] Task<IReadOnlyList<SiteTaskInfo>> GetPendingTasks();
}

/// <summary>The list of every site that ever registered. Single instance, key 0.</summary>
public interface ISiteDirectoryGrain : IGrainWithIntegerKey
{
    Task Add(string siteId);
    [AlwaysInterleave] Task<IReadOnlyList<string>> List();
}

/// <summary>A study: its definition, enrolled sites and round history; drives rounds one after another. Key: study id.</summary>
public interface IStudyGrain : IGrainWithStringKey
{
    Task<StudyView> Create(StudyDefinition definition);
    Task<StudyView> Start();
    [AlwaysInterleave] Task<StudyView> GetView();
    /// <summary>Stops a created or running study: the open round's tasks are withdrawn and no round follows.</summary>
    Task<StudyView> Cancel(string reason);
    /// <summary>
    /// A round grain's hint that it closed. One-way: the study then reads the round's view itself, so a
    /// round never waits on its study (no call cycle), and a lost hint is made good by the study's reminder.
    /// </summary>
    [OneWay] Task RoundClosed(int round);
}

/// <summary>
/// One round of one study: selected sites, deadline, quorum, and the streaming aggregate of the
/// updates received so far (memory of one model, whatever the number of sites). Key: "{study}/{round}".
/// </summary>
public interface IRoundGrain : IGrainWithStringKey
{
    Task Open(RoundPlan plan);
    Task<SubmitResult> Submit(SiteUpdate update);
    /// <summary>The site declines its task (its policy refused it): recorded, and the round goes on without it.</summary>
    Task<SubmitResult> Decline(string siteId, string taskId, string reason);
    /// <summary>A site's reply in a phase of the round's secure-aggregation session (the masked input comes through <see cref="Submit"/>).</summary>
    Task<SubmitResult> SubmitSecAgg(SecAggSubmission reply);
    /// <summary>
    /// The study was cancelled: an open round fails now with <paramref name="reason"/>, its tasks (under secure
    /// aggregation, every phase's) are withdrawn and later results are refused. A closed round is left as it is.
    /// </summary>
    Task Cancel(string reason);
    [AlwaysInterleave] Task<RoundView?> GetView();
    /// <summary>SHA-256 of the payload accepted from the site in this round, or null.</summary>
    [AlwaysInterleave] Task<string?> AcceptedPayload(string siteId);

    public static string Key(string studyId, int round) => $"{studyId}/{round}";
}

/// <summary>One request of a statistical analysis to one site, and its answer. Key: the task id.</summary>
public interface IStatisticsQueryGrain : IGrainWithStringKey
{
    /// <summary>Hands the request to the site (as a task it receives on its stream).</summary>
    Task Ask(string siteId, string requestJson, DateTimeOffset deadline);
    /// <summary>The same for a study's preparation: the site answers about the study's cohort (its features, label, covariates, inclusion filters).</summary>
    Task AskForStudy(string siteId, string requestJson, DateTimeOffset deadline, StudyDefinition study);
    /// <summary>The site's answer, from its upload. Idempotent for the same answer.</summary>
    Task<SubmitResult> Answer(string siteId, StatisticsAnswer answer);
    [AlwaysInterleave] Task<StatisticsAnswer?> GetAnswer();
    /// <summary>Gives up on the request (deadline passed): the site's task is withdrawn.</summary>
    Task Withdraw();
}

/// <summary>
/// One summable statistics request of a secure analysis, as one secure-aggregation session across the
/// analysis's sites (docs/privacy.md §7): the coordinator holds only the unmasked sum. Key: "{analysisId}/{sequence}".
/// </summary>
public interface ISecureSumGrain : IGrainWithStringKey
{
    /// <summary>Opens the session (once): every site gets the ADVERTISE task; each phase may take <paramref name="phaseSeconds"/>.</summary>
    Task Open(IReadOnlyList<string> siteIds, string requestJson, int length, int fractionBits, int phaseSeconds);
    /// <summary>A site's ADVERTISE, SHARE or UNMASK reply.</summary>
    Task<SubmitResult> SubmitSecAgg(SecAggSubmission reply);
    /// <summary>A site's masked input (the MASK upload's payload).</summary>
    Task<SubmitResult> SubmitMasked(string siteId, string taskId, byte[] payload);
    /// <summary>Closes a phase whose deadline passed; the outcome so far.</summary>
    Task<SecureSumOutcome> Poll();
}

/// <summary>An exact federated analysis run by the coordinator across sites. Key: analysis id.</summary>
public interface IAnalysisGrain : IGrainWithStringKey
{
    Task<AnalysisView> Start(AnalysisDefinition definition);
    [AlwaysInterleave] Task<AnalysisView> GetView();
}
