using FedRad.Coordinator.Aggregation;
using FedRad.Coordinator.Contracts.Events;
using FedRad.Coordinator.Contracts.Grains;
using FedRad.Coordinator.Contracts.Model;
using FedRad.Coordinator.Events;
using FedRad.Coordinator.Grains.State;
using FedRad.Coordinator.Observability;
using FedRad.Coordinator.Services;
using FedRad.Coordinator.Storage;
using FedRad.Learning.Models;
using FedRad.Shared.Tensors;
using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace FedRad.Coordinator.Grains;

/// <summary>
/// One round: hands tasks to the selected sites, folds their results as they arrive, and closes
/// when every selected site has answered, or at the deadline with the quorum (else fails).
///
/// Durability: the running aggregate lives in memory (one model's worth); what is persisted is the
/// list of accepted updates in the order they were folded, each a content-addressed blob. A round
/// reactivated on another silo, or after a restart, refolds them in that order and goes on: no
/// accepted update is lost and none is counted twice. The deadline is a reminder as well as a
/// timer, so it fires even when the silo that held the round is gone.
/// </summary>
public sealed partial class RoundGrain(
    [PersistentState("round", StorageNames.Default)] IPersistentState<RoundGrainState> state,
    IBlobStore blobs,
    EventOutbox outbox,
    SiteAuthentication authentication,
    TimeProvider clock,
    ILogger<RoundGrain> log) : Grain, IRoundGrain, IRemindable
{
    private const string DeadlineReminder = "deadline";
    private RoundGrainState S => state.State;

    private ModelWeights? _global;
    private IUpdateAggregator? _training;
    private EvaluationAggregator? _evaluation;
    private StandardisationAggregator? _standardisation;
    private IGrainTimer? _deadlineTimer;
    private IGrainTimer? _keeper;
    private static readonly TimeSpan KeeperPeriod = TimeSpan.FromSeconds(5);

    public async Task Open(RoundPlan plan)
    {
        if (S.Plan is not null) return; // opening is idempotent
        S.Plan = plan;
        S.State = RoundState.Open;
        S.StartedAt = clock.GetUtcNow();
        var secure = IsSecure(plan) ? await OpenSecureSession(plan) : null;
        S.Outbox.Add(EventOutbox.Entry(new RoundStarted(plan.StudyId, plan.Round, plan.Kind.ToString(), plan.SelectedSites, plan.Deadline, S.StartedAt)));
        await state.WriteStateAsync();
        if (secure is not null)
        {
            await Fail(secure);
            return;
        }
        await ArmDeadline();
        StartKeeper();
        try { await AssignOutstandingTasks(); }
        catch (Exception e) when (e is not OperationCanceledException) { log.LogWarning("Round {Key}: handing out tasks failed, the keeper retries: {Error}", this.GetPrimaryKeyString(), e.Message); }
        log.LogInformation("Round {Study}/{Round} ({Kind}) opened for {Sites}, deadline {Deadline:O}", plan.StudyId, plan.Round, plan.Kind, string.Join(", ", plan.SelectedSites), plan.Deadline);
        await outbox.Flush(state);
    }

    public async Task<SubmitResult> Submit(SiteUpdate update)
    {
        var plan = S.Plan;
        if (plan is null) return await Reject(update, SubmitOutcome.RoundClosed, "this round was never opened");
        if (!plan.SelectedSites.Contains(update.SiteId))
            return await Reject(update, SubmitOutcome.NotSelected, $"site '{update.SiteId}' was not selected for round {plan.Round} of study '{plan.StudyId}'");
        if (S.Accepted.TryGetValue(update.SiteId, out var previous))
        {
            if (previous.PayloadSha256 == update.Payload.Sha256)
            {
                S.Outbox.Add(EventOutbox.Entry(new UpdateReceived(plan.StudyId, plan.Round, update.SiteId, update.SampleCount, Duplicate: true, clock.GetUtcNow())));
                await state.WriteStateAsync();
                await outbox.Flush(state);
                return new SubmitResult(SubmitOutcome.Duplicate, $"result of site '{update.SiteId}' for round {plan.Round} was already received; it is not counted again");
            }
            return await Reject(update, SubmitOutcome.Conflict, $"site '{update.SiteId}' already contributed a different result to round {plan.Round}");
        }
        if (S.State != RoundState.Open || clock.GetUtcNow() > Deadline())
            return await Reject(update, SubmitOutcome.RoundClosed, $"round {plan.Round} of study '{plan.StudyId}' is closed (deadline {Deadline():O}); late results are not accepted");
        if (update.TaskId != TaskId(update.SiteId))
            return await Reject(update, SubmitOutcome.Invalid, $"task id '{update.TaskId}' does not belong to round {plan.Round} of study '{plan.StudyId}'");
        if (IsSecure(plan)) return await SubmitMasked(plan, update);
        if (update.SampleCount <= 0)
            return await Reject(update, SubmitOutcome.Invalid, $"sample count must be positive, got {update.SampleCount}");

        var bytes = await blobs.Get(update.Payload.Sha256);
        if (bytes is null) return await Reject(update, SubmitOutcome.Invalid, "payload not found in the blob store");
        ModelWeights payload;
        try { payload = TensorCodec.Deserialize(bytes); }
        catch (TensorFormatException e) { return await Reject(update, SubmitOutcome.Invalid, e.Message); }

        await PrepareAggregation();
        if (Check(plan, update, payload) is { } problem) return await Reject(update, SubmitOutcome.Invalid, problem);
        if (Fold(plan, update.SiteId, update.SampleCount, update.Metrics, payload) is { } refused)
            return await Reject(update, SubmitOutcome.Invalid, refused);

        S.Accepted[update.SiteId] = new AcceptedUpdate(update.Payload.Sha256, update.SampleCount, update.Metrics.GetValueOrDefault("loss", double.NaN), update.Metrics);
        S.AcceptedOrder.Add(update.SiteId);
        S.Outbox.Add(EventOutbox.Entry(new UpdateReceived(plan.StudyId, plan.Round, update.SiteId, update.SampleCount, Duplicate: false, clock.GetUtcNow())));
        await state.WriteStateAsync();
        await GrainFactory.GetGrain<ISiteGrain>(update.SiteId).RemoveTask(update.TaskId);
        log.LogInformation("Round {Study}/{Round}: accepted result of {Site} (n={N}), {Count}/{Selected}", plan.StudyId, plan.Round, update.SiteId, update.SampleCount, S.Accepted.Count, plan.SelectedSites.Count);
        await outbox.Flush(state);

        if (S.Accepted.Count == plan.SelectedSites.Count) await Close("all sites answered");
        else if (S.Accepted.Count + S.Declined.Count == plan.SelectedSites.Count)
        {
            if (S.Accepted.Count >= plan.MinSites) await Close($"all sites answered or declined ({S.Declined.Count} declined)");
            else await Fail($"{S.Declined.Count} of {plan.SelectedSites.Count} sites declined; {S.Accepted.Count} answered, below the minimum of {plan.MinSites}{Declines()}");
        }
        return new SubmitResult(SubmitOutcome.Accepted, $"result of site '{update.SiteId}' accepted for round {plan.Round}");
    }

    public async Task<SubmitResult> Decline(string siteId, string taskId, string reason)
    {
        var plan = S.Plan;
        if (plan is null || S.State != RoundState.Open)
            return new SubmitResult(SubmitOutcome.RoundClosed, $"round {this.GetPrimaryKeyString()} is not open");
        if (!plan.SelectedSites.Contains(siteId) || (taskId != TaskId(siteId) && !(IsSecure(plan) && taskId == PhaseTaskId(plan, siteId, Stage(Session().Phase)))))
            return new SubmitResult(SubmitOutcome.NotSelected, $"site '{siteId}' has no task '{taskId}' in round {plan.Round}");
        if (S.Accepted.ContainsKey(siteId))
            return new SubmitResult(SubmitOutcome.Conflict, $"site '{siteId}' already contributed to round {plan.Round}");
        if (!S.Declined.TryAdd(siteId, reason))
            return new SubmitResult(SubmitOutcome.Duplicate, $"site '{siteId}' had already declined round {plan.Round}");
        S.StrategyLog.Add($"site '{siteId}' declined: {reason}");
        S.Outbox.Add(EventOutbox.Entry(new UpdateRejected(plan.StudyId, plan.Round, siteId, $"declined by the site: {reason}", clock.GetUtcNow())));
        await state.WriteStateAsync();
        await GrainFactory.GetGrain<ISiteGrain>(siteId).RemoveTask(taskId);
        log.LogWarning("Round {Study}/{Round}: site {Site} declined: {Reason}", plan.StudyId, plan.Round, siteId, reason);
        await outbox.Flush(state);
        if (IsSecure(plan))
            await AdvanceWhenNobodyIsOwed($"the other sites declined ({S.Declined.Count} declined)");
        // Nobody else will answer: close now rather than at the deadline.
        else if (S.Accepted.Count + S.Declined.Count == plan.SelectedSites.Count)
        {
            if (S.Accepted.Count >= plan.MinSites && S.Accepted.Count > 0) await Close($"all sites answered or declined ({S.Declined.Count} declined)");
            else await Fail($"{S.Declined.Count} of {plan.SelectedSites.Count} sites declined; {S.Accepted.Count} answered, below the minimum of {plan.MinSites}{Declines()}");
        }
        return new SubmitResult(SubmitOutcome.Accepted, "the site's refusal is recorded");
    }

    public async Task Cancel(string reason)
    {
        if (S.Plan is null || S.State != RoundState.Open) return;
        await Fail(reason);
    }

    public Task<RoundView?> GetView() => Task.FromResult(S.Plan is null ? null : View());

    public Task<string?> AcceptedPayload(string siteId) =>
        Task.FromResult(S.Accepted.TryGetValue(siteId, out var a) ? a.PayloadSha256 : null);

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        // Activation re-arms the precise timer; this only makes sure a round whose silo died wakes up.
        if (S.Plan is null || S.State != RoundState.Open)
        {
            await UnregisterDeadlineReminder();
            return;
        }
        if (clock.GetUtcNow() >= Deadline()) await OnDeadline(CancellationToken.None);
    }

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        await base.OnActivateAsync(cancellationToken);
        if (S.Plan is null) return;
        await outbox.Flush(state);
        if (S.State == RoundState.Open)
        {
            ArmTimer();
            StartKeeper();
            // After a silo died, a site's grain may still be unreachable: the activation must not fail on it
            // (the round would then hand out nothing until the next call); the keeper retries.
            try { await AssignOutstandingTasks(); }
            catch (Exception e) when (e is not OperationCanceledException) { log.LogWarning("Round {Key}: handing out tasks on activation failed, the keeper retries: {Error}", this.GetPrimaryKeyString(), e.Message); }
        }
    }

    /// <summary>The problem with an update before folding it (layout, frozen tensors, metrics), or null.</summary>
    private string? Check(RoundPlan plan, SiteUpdate update, ModelWeights payload)
    {
        switch (plan.Kind)
        {
            case WorkKind.Train:
                if (TensorCodec.Validate(payload, _global!.Spec) is { } layout) return layout;
                if (FrozenTensorChanged(payload) is { } frozen) return frozen;
                // Under differential privacy the sites send no loss: it is computed from their data without noise.
                if (IsDp(plan)) return update.Metrics.Count == 0 ? null : "under differential privacy a training result carries no metrics";
                if (!update.Metrics.TryGetValue("loss", out var loss) || !double.IsFinite(loss)) return "metric 'loss' is missing or not finite";
                return null;
            case WorkKind.Standardise:
                return _standardisation!.Validate(payload);
            default:
                return EvaluationAggregator.Validate(payload, update.SampleCount, update.Metrics);
        }
    }

    /// <summary>Folds an update into the running aggregate; returns the strategy's reason when it refuses it.</summary>
    private string? Fold(RoundPlan plan, string siteId, long n, IReadOnlyDictionary<string, double> metrics, ModelWeights payload)
    {
        switch (plan.Kind)
        {
            case WorkKind.Train:
                var verdict = _training!.Add(payload, n, siteId);
                return verdict.Accepted ? null : $"rejected by {plan.Study.Strategy}: {verdict.Reason}";
            case WorkKind.Standardise:
                _standardisation!.Add(payload, n);
                return null;
            default:
                _evaluation!.Add(siteId, n, metrics, payload);
                return null;
        }
    }

    /// <summary>Builds the aggregator and refolds every update accepted before this activation, in order.</summary>
    private async Task PrepareAggregation()
    {
        if (_global is not null) return;
        var plan = S.Plan!;
        _global = await LoadBlob(plan.GlobalModel, "global model");
        switch (plan.Kind)
        {
            case WorkKind.Train:
                var serverState = plan.ServerState is { } ss ? await LoadBlob(ss, "strategy server state") : null;
                _training = StrategyFor(plan.Study).BeginRound(_global, serverState);
                break;
            case WorkKind.Standardise: _standardisation = new StandardisationAggregator(_global); break;
            default: _evaluation = new EvaluationAggregator(); break;
        }
        foreach (var site in S.AcceptedOrder)
        {
            var a = S.Accepted[site];
            var payload = await LoadBlob(new ModelRef(a.PayloadSha256, 0), $"update of site '{site}'");
            if (Fold(plan, site, a.SampleCount, a.Metrics, payload) is { } problem)
                throw new InvalidOperationException($"round {plan.StudyId}/{plan.Round}: refolding the accepted update of '{site}' failed: {problem}");
        }
        if (S.AcceptedOrder.Count > 0)
            log.LogInformation("Round {Study}/{Round} resumed: refolded {Count} accepted updates", plan.StudyId, plan.Round, S.AcceptedOrder.Count);
    }

    public static IAggregationStrategy StrategyFor(StudyDefinition study) =>
        Strategies.Create(study.Strategy, StrategyOptions.FromParameters(study.StrategyParameters));

    private async Task<ModelWeights> LoadBlob(ModelRef blob, string what) =>
        TensorCodec.Deserialize(await blobs.Get(blob.Sha256) ?? throw new InvalidOperationException($"{what} {blob.Sha256} is missing from the blob store"));

    /// <summary>Training must leave the standardisation tensors as the round handed them out.</summary>
    private string? FrozenTensorChanged(ModelWeights update)
    {
        foreach (var name in LogisticRegression.FrozenTensors)
        {
            if (!_global!.Tensors.Any(t => t.Name == name)) continue;
            if (!update[name].Values.SequenceEqual(_global[name].Values))
                return $"tensor '{name}' was changed; it is fixed by the standardisation round";
        }
        return null;
    }

    /// <summary>Averaging identical values can still move them by a rounding error: hand the frozen tensors back exactly.</summary>
    private ModelWeights KeepFrozen(ModelWeights aggregate) =>
        new(aggregate.Tensors.Select(t => LogisticRegression.FrozenTensors.Contains(t.Name) && _global!.Tensors.Any(g => g.Name == t.Name) ? _global[t.Name] : t));

    /// <summary>When the round (or, under secure aggregation, its current phase) closes.</summary>
    private DateTimeOffset Deadline() => S.PhaseDeadline ?? S.Plan!.Deadline;

    private async Task ArmDeadline()
    {
        ArmTimer();
        var due = Deadline() - clock.GetUtcNow();
        await this.RegisterOrUpdateReminder(DeadlineReminder, due < TimeSpan.Zero ? TimeSpan.Zero : due, TimeSpan.FromMinutes(1));
    }

    private void ArmTimer()
    {
        var due = Deadline() - clock.GetUtcNow();
        if (due < TimeSpan.Zero) due = TimeSpan.Zero;
        _deadlineTimer?.Dispose();
        _deadlineTimer = this.RegisterGrainTimer(OnDeadline, new GrainTimerCreationOptions(due, Timeout.InfiniteTimeSpan) { KeepAlive = true });
    }

    private async Task UnregisterDeadlineReminder()
    {
        if (await this.GetReminder(DeadlineReminder) is { } reminder) await this.UnregisterReminder(reminder);
    }

    private async Task OnDeadline(CancellationToken _)
    {
        if (S.State != RoundState.Open) return;
        var plan = S.Plan!;
        if (IsSecure(plan))
        {
            // A tick before the current phase's deadline (armed for a phase that closed early, or early) waits for it.
            if (clock.GetUtcNow() >= Deadline()) await AdvancePhase("phase deadline");
            else ArmTimer();
            return;
        }
        var answered = S.Accepted.Count;
        if (answered >= plan.MinSites && answered > 0)
            await Close($"deadline reached with quorum: {answered} of {plan.SelectedSites.Count} sites answered (minimum {plan.MinSites})");
        else
            await Fail($"deadline reached: {answered} of {plan.SelectedSites.Count} sites answered, below the minimum of {plan.MinSites}{Declines()}");
    }

    private async Task Close(string reason)
    {
        var plan = S.Plan!;
        await PrepareAggregation();
        try
        {
            switch (plan.Kind)
            {
                case WorkKind.Train:
                    S.Result = await blobs.Put(TensorCodec.Serialize(KeepFrozen(_training!.Finish())));
                    S.StrategyLog.AddRange(_training.Log);
                    if (_training.NextServerState is { } next) S.NextServerState = await blobs.Put(TensorCodec.Serialize(next));
                    break;
                case WorkKind.Standardise:
                    S.Result = await blobs.Put(TensorCodec.Serialize(_standardisation!.Finish()));
                    break;
                default:
                    S.Evaluation = _evaluation!.Result();
                    break;
            }
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            // The strategy cannot aggregate what it accepted (e.g. Krum below 2f + 3 updates).
            await Fail($"aggregation failed: {e.Message}");
            return;
        }
        await Complete(reason);
    }

    private async Task Complete(string reason)
    {
        var plan = S.Plan!;
        S.State = RoundState.Completed;
        S.CloseReason = reason;
        S.ClosedAt = clock.GetUtcNow();
        var view = View();
        Measure(plan, "completed", view.Participants.Count);
        S.Outbox.Add(EventOutbox.Entry(new RoundCompleted(plan.StudyId, plan.Round, plan.Kind.ToString(), view.Participants, double.IsFinite(view.Loss) ? view.Loss : null, reason, S.ClosedAt.Value)));
        await state.WriteStateAsync();
        _deadlineTimer?.Dispose();
        _keeper?.Dispose();
        log.LogInformation("Round {Study}/{Round} completed: {Reason}; loss {Loss:F4}", plan.StudyId, plan.Round, reason, view.Loss);
        await outbox.Flush(state);
        await WithdrawOutstandingTasks();
        await NotifyStudy();
    }

    private async Task Fail(string reason)
    {
        var plan = S.Plan!;
        S.State = RoundState.Failed;
        S.CloseReason = reason;
        S.ClosedAt = clock.GetUtcNow();
        Measure(plan, "failed", S.Accepted.Count);
        S.Outbox.Add(EventOutbox.Entry(new RoundFailed(plan.StudyId, plan.Round, plan.Kind.ToString(), S.AcceptedOrder.Order(StringComparer.Ordinal).ToList(), reason, S.ClosedAt.Value)));
        await state.WriteStateAsync();
        _deadlineTimer?.Dispose();
        _keeper?.Dispose();
        log.LogWarning("Round {Study}/{Round} failed: {Reason}", plan.StudyId, plan.Round, reason);
        await outbox.Flush(state);
        await WithdrawOutstandingTasks();
        await NotifyStudy();
    }

    private void Measure(RoundPlan plan, string outcome, int participants)
    {
        var seconds = (S.ClosedAt!.Value - S.StartedAt).TotalSeconds;
        var tags = new TagList { { "kind", plan.Kind.ToString() }, { "outcome", outcome } };
        CoordinatorTelemetry.RoundDuration.Record(seconds, tags);
        CoordinatorTelemetry.RoundParticipants.Record(participants, tags);
        using var span = CoordinatorTelemetry.Traces.StartActivity("fedrad.round", System.Diagnostics.ActivityKind.Internal, default(System.Diagnostics.ActivityContext), startTime: S.StartedAt);
        span?.SetTag("fedrad.study", plan.StudyId).SetTag("fedrad.round", plan.Round).SetTag("fedrad.kind", plan.Kind.ToString())
            .SetTag("fedrad.outcome", outcome).SetTag("fedrad.participants", participants).SetTag("fedrad.close_reason", S.CloseReason);
        span?.SetEndTime(S.ClosedAt.Value.UtcDateTime);
    }

    /// <summary>Drops the wake-up reminder and tells the study (one-way: the study reads this round's view itself).</summary>
    private async Task NotifyStudy()
    {
        await UnregisterDeadlineReminder();
        await GrainFactory.GetGrain<IStudyGrain>(S.Plan!.StudyId).RoundClosed(S.Plan.Round);
    }

    /// <summary>
    /// While the round is open, hands its tasks out again every few seconds (a no-op for a site that
    /// has it): a site grain lost with a dead silo before it saved the task gets it back this way.
    /// </summary>
    private void StartKeeper()
    {
        _keeper ??= this.RegisterGrainTimer(async _ =>
        {
            if (S.State != RoundState.Open) { _keeper?.Dispose(); return; }
            try { await AssignOutstandingTasks(); }
            catch (Exception e) when (e is not OperationCanceledException) { log.LogWarning("Round {Key}: handing out tasks failed, will retry: {Error}", this.GetPrimaryKeyString(), e.Message); }
        }, new GrainTimerCreationOptions(KeeperPeriod, KeeperPeriod) { KeepAlive = true });
    }

    /// <summary>
    /// Hands every outstanding task to its site's grain. One unreachable site (its grain on a silo that just died)
    /// does not keep the others from theirs; the failures are thrown together afterwards, for the caller to log.
    /// </summary>
    private async Task AssignOutstandingTasks()
    {
        var plan = S.Plan!;
        SiteTaskInfo TaskFor(string taskId, DateTimeOffset deadline) => new()
        {
            TaskId = taskId,
            StudyId = plan.StudyId,
            Round = plan.Round,
            Kind = plan.Kind,
            GlobalModel = plan.GlobalModel,
            Study = plan.Study,
            Deadline = deadline,
        };
        List<(string Site, SiteTaskInfo Task)> outstanding;
        if (IsSecure(plan))
        {
            // The sites the current phase still waits for get its task, with what the coordinator sends them in it.
            var stage = Stage(Session().Phase);
            outstanding = Session().Pending.Where(s => !S.Declined.ContainsKey(s) && S.PhaseMessages.ContainsKey(s))
                .Select(site => (site, TaskFor(PhaseTaskId(plan, site, stage), Deadline()) with { SecAggStage = stage, SecAggMessage = S.PhaseMessages[site] }))
                .ToList();
        }
        else
            outstanding = plan.SelectedSites.Where(s => !S.Accepted.ContainsKey(s) && !S.Declined.ContainsKey(s))
                .Select(site => (site, TaskFor(TaskId(site), plan.Deadline))).ToList();
        var failed = new List<string>();
        foreach (var (site, task) in outstanding)
        {
            try { await GrainFactory.GetGrain<ISiteGrain>(site).AssignTask(task); }
            catch (Exception e) when (e is not OperationCanceledException) { failed.Add($"{site}: {e.Message}"); }
        }
        if (failed.Count > 0) throw new InvalidOperationException($"could not hand out {failed.Count} task(s): {string.Join("; ", failed)}");
    }

    private async Task WithdrawOutstandingTasks()
    {
        var plan = S.Plan!;
        foreach (var site in plan.SelectedSites.Where(s => !S.Accepted.ContainsKey(s) || IsSecure(plan)))
        {
            await GrainFactory.GetGrain<ISiteGrain>(site).RemoveTask(TaskId(site));
            if (IsSecure(plan))
                foreach (var stage in new[] { SecAggTaskStage.Advertise, SecAggTaskStage.Share, SecAggTaskStage.Unmask })
                    await GrainFactory.GetGrain<ISiteGrain>(site).RemoveTask(PhaseTaskId(plan, site, stage));
        }
    }

    private async Task<SubmitResult> Reject(SiteUpdate update, SubmitOutcome outcome, string message)
    {
        S.Rejected++;
        CoordinatorTelemetry.Rejections.Add(1, new TagList { { "outcome", outcome.ToString() } });
        log.LogWarning("Round {Key}: rejected result of {Site}: {Reason}", this.GetPrimaryKeyString(), update.SiteId, message);
        if (S.Plan is not null)
        {
            S.Outbox.Add(EventOutbox.Entry(new UpdateRejected(S.Plan.StudyId, S.Plan.Round, update.SiteId, message, clock.GetUtcNow())));
            await state.WriteStateAsync();
            await outbox.Flush(state);
        }
        return new SubmitResult(outcome, message);
    }

    private string TaskId(string site) => $"{S.Plan!.StudyId}/{S.Plan.Round}/{site}";

    private RoundView View()
    {
        var plan = S.Plan!;
        var n = S.Accepted.Values.Where(a => double.IsFinite(a.Loss)).Sum(a => a.SampleCount);
        return new RoundView
        {
            Round = plan.Round,
            Kind = plan.Kind,
            State = S.State,
            SelectedSites = plan.SelectedSites,
            Participants = S.Accepted.Keys.Order(StringComparer.Ordinal).ToList(),
            Loss = IsSecure(plan) ? S.SecureLoss : n == 0 ? double.NaN : S.Accepted.Values.Where(a => double.IsFinite(a.Loss)).Sum(a => a.SampleCount * a.Loss) / n,
            CloseReason = S.CloseReason,
            RejectedUpdates = S.Rejected,
            StartedAt = S.StartedAt,
            ClosedAt = S.ClosedAt,
            Result = S.Result,
            Evaluation = S.Evaluation,
            NextServerState = S.NextServerState,
            StrategyLog = S.StrategyLog,
            DpEpsilon = DpEpsilon(plan, S.State),
            SecureAggregation = IsSecure(plan),
            SecAggDropped = S.SecAggDropped,
        };
    }
}
