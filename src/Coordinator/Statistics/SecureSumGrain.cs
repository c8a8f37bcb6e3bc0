using FedRad.Coordinator.Contracts.Grains;
using FedRad.Coordinator.Contracts.Model;
using FedRad.Coordinator.Grains;
using FedRad.Coordinator.Services;
using FedRad.Privacy.SecureAggregation;
using FedRad.Shared.Tensors;
using Microsoft.Extensions.Logging;

namespace FedRad.Coordinator.Statistics;

[GenerateSerializer, Alias("FedRad.SecureSumState")]
public sealed class SecureSumState
{
    [Id(0)] public List<string> Sites { get; set; } = [];
    [Id(1)] public string RequestJson { get; set; } = "";
    [Id(2)] public int PhaseSeconds { get; set; }
    [Id(3)] public string SecAgg { get; set; } = "";
    /// <summary>The open phase's message per site still owed an answer.</summary>
    [Id(4)] public Dictionary<string, string> PhaseMessages { get; set; } = [];
    [Id(5)] public DateTimeOffset PhaseDeadline { get; set; }
    [Id(6)] public SecureSumOutcome? Outcome { get; set; }
}

/// <summary>
/// A summable statistics request (SecureSum) as one secure-aggregation session across an analysis's
/// sites: each phase is a STATISTICS task per site carrying the request and the phase's message
/// (SecAggFlow, as in a study's secure round); the masked inputs are folded into the session's sum as
/// they arrive, so this grain never holds a site's aggregate, only the survivors' unmasked sum.
/// A phase closes when every site it waits for answered, or at its deadline (checked by <see cref="Poll"/>).
/// </summary>
public sealed class SecureSumGrain(
    [PersistentState("securesum", StorageNames.Default)] IPersistentState<SecureSumState> state,
    SiteAuthentication authentication,
    TimeProvider clock,
    ILogger<SecureSumGrain> log) : Grain, ISecureSumGrain
{
    private SecureSumState S => state.State;
    private SecAggCoordinator? _session;

    private string SessionId => this.GetPrimaryKeyString();

    private SecAggCoordinator Session() => _session ??= SecAggCoordinator.FromJson(S.SecAgg, authentication.SignerValidator);

    /// <summary>Task ids: "{session}/{site}" for MASK (the upload names it), "{session}/{site}/secagg-{stage}" for the others.</summary>
    public static string TaskId(string session, string site, SecAggTaskStage stage) =>
        stage == SecAggTaskStage.Mask ? $"{session}/{site}" : $"{session}/{site}/secagg-{stage.ToString().ToLowerInvariant()}";

    /// <summary>The session a task id belongs to (its first two segments: analysis and sequence).</summary>
    public static string SessionOf(string taskId) => string.Join('/', taskId.Split('/').Take(2));

    public async Task Open(IReadOnlyList<string> siteIds, string requestJson, int length, int fractionBits, int phaseSeconds)
    {
        if (S.SecAgg.Length > 0) return; // opened already
        var n = siteIds.Count;
        var config = new SecAggConfig(SessionId, siteIds, Math.Min(n, SecAggConfig.MajorityThreshold(n)), length, fractionBits);
        try { _session = new SecAggCoordinator(config, authentication.SignerValidator); }
        catch (SecAggException e)
        {
            S.Outcome = new SecureSumOutcome(null, $"secure aggregation cannot start: {e.Message}", []);
            await state.WriteStateAsync();
            return;
        }
        S.Sites = [.. siteIds];
        S.RequestJson = requestJson;
        S.PhaseSeconds = phaseSeconds;
        S.SecAgg = _session.ToJson();
        var message = SecAggJson.Serialize(config);
        S.PhaseMessages = siteIds.ToDictionary(s => s, _ => message);
        S.PhaseDeadline = clock.GetUtcNow().AddSeconds(phaseSeconds);
        await state.WriteStateAsync();
        log.LogInformation("Secure sum {Session}: {Sites} sites, threshold {Threshold}, {Length} elements at 2^-{Bits}", SessionId, n, config.Threshold, length, fractionBits);
        await AssignTasks();
    }

    public async Task<SubmitResult> SubmitSecAgg(SecAggSubmission reply)
    {
        if (Closed() is { } closed) return closed;
        if (!S.Sites.Contains(reply.SiteId)) return new SubmitResult(SubmitOutcome.NotSelected, $"site '{reply.SiteId}' is not part of secure sum '{SessionId}'");
        var session = Session();
        if (reply.TaskId != TaskId(SessionId, reply.SiteId, reply.Stage) || reply.Stage != SecAggFlow.Stage(session.Phase))
            return new SubmitResult(SubmitOutcome.Invalid, $"task '{reply.TaskId}' ({reply.Stage}) is not the open {SecAggFlow.Stage(session.Phase)} task of site '{reply.SiteId}' in secure sum '{SessionId}'");
        try { SecAggFlow.Receive(session, reply.Stage, reply.Message, reply.SiteId); }
        catch (SecAggException e)
        {
            log.LogWarning("Secure sum {Session}: refused the {Stage} reply of {Site}: {Reason}", SessionId, reply.Stage, reply.SiteId, e.Message);
            return new SubmitResult(SecAggFlow.Outcome(e.Failure), e.Message);
        }
        return await Answered(reply.SiteId, reply.TaskId, $"{reply.Stage} reply of site '{reply.SiteId}' accepted");
    }

    public async Task<SubmitResult> SubmitMasked(string siteId, string taskId, byte[] payload)
    {
        if (Closed() is { } closed) return closed;
        if (!S.Sites.Contains(siteId)) return new SubmitResult(SubmitOutcome.NotSelected, $"site '{siteId}' is not part of secure sum '{SessionId}'");
        var session = Session();
        if (session.Phase != SecAggPhase.CollectingInputs || taskId != TaskId(SessionId, siteId, SecAggTaskStage.Mask))
            return new SubmitResult(SubmitOutcome.RoundClosed, $"secure sum '{SessionId}' is in the {SecAggFlow.Stage(session.Phase)} phase; task '{taskId}' is not its open MASK task of site '{siteId}'");
        try { session.Receive(new MaskedInput(SessionId, siteId, AggregationVector.DeserializeMasked(payload))); }
        catch (TensorFormatException e) { return new SubmitResult(SubmitOutcome.Invalid, e.Message); }
        catch (SecAggException e) { return new SubmitResult(SecAggFlow.Outcome(e.Failure), e.Message); }
        return await Answered(siteId, taskId, $"masked input of site '{siteId}' folded into secure sum '{SessionId}'");
    }

    public async Task<SecureSumOutcome> Poll()
    {
        if (S.Outcome is null && S.SecAgg.Length > 0 && clock.GetUtcNow() > S.PhaseDeadline) await Advance("deadline");
        return S.Outcome ?? new SecureSumOutcome(null, null, []);
    }

    private SubmitResult? Closed() =>
        S.SecAgg.Length == 0 ? new SubmitResult(SubmitOutcome.RoundClosed, $"secure sum '{SessionId}' is not open")
        : S.Outcome is not null ? new SubmitResult(SubmitOutcome.RoundClosed, $"secure sum '{SessionId}' is closed")
        : clock.GetUtcNow() > S.PhaseDeadline ? new SubmitResult(SubmitOutcome.RoundClosed, $"the {SecAggFlow.Stage(Session().Phase)} phase of secure sum '{SessionId}' closed at {S.PhaseDeadline:O}")
        : null;

    private async Task<SubmitResult> Answered(string siteId, string taskId, string message)
    {
        S.SecAgg = Session().ToJson();
        await state.WriteStateAsync();
        await GrainFactory.GetGrain<ISiteGrain>(siteId).RemoveTask(taskId);
        if (Session().Pending.Count == 0) await Advance("all sites answered");
        return new SubmitResult(SubmitOutcome.Accepted, message);
    }

    /// <summary>Closes the phase and opens the next (tasks for the sites that answered), or ends with the sum or the reason it failed.</summary>
    private async Task Advance(string reason)
    {
        var session = Session();
        var closing = SecAggFlow.Stage(session.Phase);
        foreach (var site in S.Sites) await GrainFactory.GetGrain<ISiteGrain>(site).RemoveTask(TaskId(SessionId, site, closing));
        try
        {
            var (next, result) = SecAggFlow.Close(session);
            S.SecAgg = session.ToJson();
            S.PhaseMessages = next;
            if (result is not null)
            {
                S.Outcome = new SecureSumOutcome(result.Sum.ToArray(), null, [.. result.Contributors]);
                log.LogInformation("Secure sum {Session}: sum of {Contributors} ({Reason}){Dropped}", SessionId, string.Join(", ", result.Contributors), reason,
                    result.Dropped.Count > 0 ? $"; dropped after sharing keys: {string.Join(", ", result.Dropped)}" : "");
            }
            else S.PhaseDeadline = clock.GetUtcNow().AddSeconds(S.PhaseSeconds);
        }
        catch (SecAggException e)
        {
            S.Outcome = new SecureSumOutcome(null, $"secure aggregation, {closing} phase ({reason}): {e.Message}", []);
            S.PhaseMessages = [];
        }
        await state.WriteStateAsync();
        await AssignTasks();
    }

    private async Task AssignTasks()
    {
        var stage = SecAggFlow.Stage(Session().Phase);
        foreach (var (site, message) in S.PhaseMessages)
            await GrainFactory.GetGrain<ISiteGrain>(site).AssignTask(new SiteTaskInfo
            {
                TaskId = TaskId(SessionId, site, stage),
                StudyId = "",
                Round = 0,
                Kind = WorkKind.Statistics,
                Deadline = S.PhaseDeadline,
                StatisticsRequest = S.RequestJson,
                SecAggStage = stage,
                SecAggMessage = message,
            });
    }
}
