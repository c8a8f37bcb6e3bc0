using FedRad.Coordinator.Aggregation;
using FedRad.Coordinator.Contracts.Events;
using FedRad.Coordinator.Contracts.Grains;
using FedRad.Coordinator.Contracts.Model;
using FedRad.Coordinator.Grains.State;
using FedRad.Coordinator.Storage;
using FedRad.Learning.Models;
using FedRad.Shared.Tensors;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace FedRad.Coordinator.Grains;

/// <summary>
/// One round: hands tasks to the selected sites, folds their results as they arrive, and closes
/// when every selected site has answered, or at the deadline with the quorum (else fails).
/// </summary>
public sealed class RoundGrain(
    [PersistentState("round", StorageNames.Default)] IPersistentState<RoundGrainState> state,
    IBlobStore blobs,
    IBus bus,
    TimeProvider clock,
    ILogger<RoundGrain> log) : Grain, IRoundGrain
{
    private RoundGrainState S => state.State;

    // The running aggregate lives in memory: one model's worth, whatever the number of sites.
    private ModelWeights? _global;
    private IUpdateAggregator? _training;
    private EvaluationAggregator? _evaluation;
    private StandardisationAggregator? _standardisation;
    private IGrainTimer? _deadlineTimer;

    public async Task Open(RoundPlan plan)
    {
        if (S.Plan is not null) return; // already open: opening is idempotent
        S.Plan = plan;
        S.State = RoundState.Open;
        S.StartedAt = clock.GetUtcNow();
        await state.WriteStateAsync();
        await PrepareAggregation();
        ArmDeadline();

        foreach (var site in plan.SelectedSites)
            await GrainFactory.GetGrain<ISiteGrain>(site).AssignTask(new SiteTaskInfo
            {
                TaskId = TaskId(site),
                StudyId = plan.StudyId,
                Round = plan.Round,
                Kind = plan.Kind,
                GlobalModel = plan.GlobalModel,
                Study = plan.Study,
                Deadline = plan.Deadline,
            });
        log.LogInformation("Round {Study}/{Round} ({Kind}) opened for {Sites}, deadline {Deadline:O}", plan.StudyId, plan.Round, plan.Kind, string.Join(", ", plan.SelectedSites), plan.Deadline);
        await bus.Publish(new RoundStarted(plan.StudyId, plan.Round, plan.Kind.ToString(), plan.SelectedSites, plan.Deadline, S.StartedAt));
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
                await bus.Publish(new UpdateReceived(plan.StudyId, plan.Round, update.SiteId, update.SampleCount, Duplicate: true, clock.GetUtcNow()));
                return new SubmitResult(SubmitOutcome.Duplicate, $"result of site '{update.SiteId}' for round {plan.Round} was already received; it is not counted again");
            }
            return await Reject(update, SubmitOutcome.Conflict, $"site '{update.SiteId}' already contributed a different result to round {plan.Round}");
        }
        if (S.State != RoundState.Open || clock.GetUtcNow() > plan.Deadline)
            return await Reject(update, SubmitOutcome.RoundClosed, $"round {plan.Round} of study '{plan.StudyId}' is closed (deadline {plan.Deadline:O}); late results are not accepted");
        if (update.TaskId != TaskId(update.SiteId))
            return await Reject(update, SubmitOutcome.Invalid, $"task id '{update.TaskId}' does not belong to round {plan.Round} of study '{plan.StudyId}'");
        if (update.SampleCount <= 0)
            return await Reject(update, SubmitOutcome.Invalid, $"sample count must be positive, got {update.SampleCount}");

        var bytes = await blobs.Get(update.Payload.Sha256);
        if (bytes is null) return await Reject(update, SubmitOutcome.Invalid, "payload not found in the blob store");
        ModelWeights payload;
        try { payload = TensorCodec.Deserialize(bytes); }
        catch (TensorFormatException e) { return await Reject(update, SubmitOutcome.Invalid, e.Message); }

        await PrepareAggregation();
        double loss = double.NaN;
        if (plan.Kind == WorkKind.Train)
        {
            if (TensorCodec.Validate(payload, _global!.Spec) is { } problem) return await Reject(update, SubmitOutcome.Invalid, problem);
            if (FrozenTensorChanged(payload) is { } frozen) return await Reject(update, SubmitOutcome.Invalid, frozen);
            if (!update.Metrics.TryGetValue("loss", out loss) || !double.IsFinite(loss))
                return await Reject(update, SubmitOutcome.Invalid, "metric 'loss' is missing or not finite");
            var verdict = _training!.Add(payload, update.SampleCount, update.SiteId);
            if (!verdict.Accepted) return await Reject(update, SubmitOutcome.Invalid, $"rejected by {plan.Study.Strategy}: {verdict.Reason}");
        }
        else if (plan.Kind == WorkKind.Standardise)
        {
            if (_standardisation!.Validate(payload) is { } problem) return await Reject(update, SubmitOutcome.Invalid, problem);
            _standardisation.Add(payload, update.SampleCount);
        }
        else
        {
            if (EvaluationAggregator.Validate(payload, update.SampleCount, update.Metrics) is { } problem) return await Reject(update, SubmitOutcome.Invalid, problem);
            loss = update.Metrics["loss"];
            _evaluation!.Add(update.SiteId, update.SampleCount, update.Metrics, payload);
        }

        S.Accepted[update.SiteId] = new AcceptedUpdate(update.Payload.Sha256, update.SampleCount, loss);
        await state.WriteStateAsync();
        await GrainFactory.GetGrain<ISiteGrain>(update.SiteId).RemoveTask(update.TaskId);
        log.LogInformation("Round {Study}/{Round}: accepted result of {Site} (n={N}), {Count}/{Selected}", plan.StudyId, plan.Round, update.SiteId, update.SampleCount, S.Accepted.Count, plan.SelectedSites.Count);
        await bus.Publish(new UpdateReceived(plan.StudyId, plan.Round, update.SiteId, update.SampleCount, Duplicate: false, clock.GetUtcNow()));

        if (S.Accepted.Count == plan.SelectedSites.Count) await Close("all sites answered");
        return new SubmitResult(SubmitOutcome.Accepted, $"result of site '{update.SiteId}' accepted for round {plan.Round}");
    }

    public Task<RoundView?> GetView() => Task.FromResult(S.Plan is null ? null : View());

    public Task<string?> AcceptedPayload(string siteId) =>
        Task.FromResult(S.Accepted.TryGetValue(siteId, out var a) ? a.PayloadSha256 : null);

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // After a reactivation the deadline must still fire.
        if (S.Plan is not null && S.State == RoundState.Open) ArmDeadline();
        await base.OnActivateAsync(cancellationToken);
    }

    private async Task PrepareAggregation()
    {
        if (_global is not null) return;
        var plan = S.Plan!;
        var bytes = await blobs.Get(plan.GlobalModel.Sha256) ?? throw new InvalidOperationException($"global model {plan.GlobalModel.Sha256} is missing from the blob store");
        _global = TensorCodec.Deserialize(bytes);
        switch (plan.Kind)
        {
            case WorkKind.Train: _training = Strategies.Get(plan.Study.Strategy).BeginRound(_global); break;
            case WorkKind.Standardise: _standardisation = new StandardisationAggregator(_global); break;
            default: _evaluation = new EvaluationAggregator(); break;
        }
        if (S.Accepted.Count > 0)
            throw new InvalidOperationException($"round {plan.StudyId}/{plan.Round} was reactivated with {S.Accepted.Count} accepted updates whose aggregate is not persisted");
    }

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

    private void ArmDeadline()
    {
        var due = S.Plan!.Deadline - clock.GetUtcNow();
        if (due < TimeSpan.Zero) due = TimeSpan.Zero;
        _deadlineTimer?.Dispose();
        _deadlineTimer = this.RegisterGrainTimer(OnDeadline, new GrainTimerCreationOptions(due, Timeout.InfiniteTimeSpan) { KeepAlive = true });
    }

    private async Task OnDeadline(CancellationToken _)
    {
        if (S.State != RoundState.Open) return;
        var plan = S.Plan!;
        var answered = S.Accepted.Count;
        if (answered >= plan.MinSites && answered > 0)
            await Close($"deadline reached with quorum: {answered} of {plan.SelectedSites.Count} sites answered (minimum {plan.MinSites})");
        else
            await Fail($"deadline reached: {answered} of {plan.SelectedSites.Count} sites answered, below the minimum of {plan.MinSites}");
    }

    private async Task Close(string reason)
    {
        var plan = S.Plan!;
        switch (plan.Kind)
        {
            case WorkKind.Train: S.Result = await blobs.Put(TensorCodec.Serialize(KeepFrozen(_training!.Finish()))); break;
            case WorkKind.Standardise: S.Result = await blobs.Put(TensorCodec.Serialize(_standardisation!.Finish())); break;
            default: S.Evaluation = _evaluation!.Result(); break;
        }
        S.State = RoundState.Completed;
        S.CloseReason = reason;
        S.ClosedAt = clock.GetUtcNow();
        await state.WriteStateAsync();
        _deadlineTimer?.Dispose();
        await WithdrawOutstandingTasks();
        var view = View();
        log.LogInformation("Round {Study}/{Round} completed: {Reason}; loss {Loss:F4}", plan.StudyId, plan.Round, reason, view.Loss);
        await bus.Publish(new RoundCompleted(plan.StudyId, plan.Round, plan.Kind.ToString(), view.Participants, double.IsFinite(view.Loss) ? view.Loss : null, reason, S.ClosedAt.Value));
        await GrainFactory.GetGrain<IStudyGrain>(plan.StudyId).OnRoundClosed(view);
    }

    private async Task Fail(string reason)
    {
        var plan = S.Plan!;
        S.State = RoundState.Failed;
        S.CloseReason = reason;
        S.ClosedAt = clock.GetUtcNow();
        await state.WriteStateAsync();
        _deadlineTimer?.Dispose();
        await WithdrawOutstandingTasks();
        log.LogWarning("Round {Study}/{Round} failed: {Reason}", plan.StudyId, plan.Round, reason);
        await bus.Publish(new RoundFailed(plan.StudyId, plan.Round, plan.Kind.ToString(), S.Accepted.Keys.Order(StringComparer.Ordinal).ToList(), reason, S.ClosedAt.Value));
        await GrainFactory.GetGrain<IStudyGrain>(plan.StudyId).OnRoundClosed(View());
    }

    private async Task WithdrawOutstandingTasks()
    {
        foreach (var site in S.Plan!.SelectedSites.Where(s => !S.Accepted.ContainsKey(s)))
            await GrainFactory.GetGrain<ISiteGrain>(site).RemoveTask(TaskId(site));
    }

    private async Task<SubmitResult> Reject(SiteUpdate update, SubmitOutcome outcome, string message)
    {
        S.Rejected++;
        if (S.Plan is not null) await state.WriteStateAsync();
        log.LogWarning("Round {Key}: rejected result of {Site}: {Reason}", this.GetPrimaryKeyString(), update.SiteId, message);
        var (study, round) = (S.Plan?.StudyId ?? "", S.Plan?.Round ?? 0);
        await bus.Publish(new UpdateRejected(study, round, update.SiteId, message, clock.GetUtcNow()));
        return new SubmitResult(outcome, message);
    }

    private string TaskId(string site) => $"{S.Plan!.StudyId}/{S.Plan.Round}/{site}";

    private RoundView View()
    {
        var plan = S.Plan!;
        var n = S.Accepted.Values.Sum(a => a.SampleCount);
        return new RoundView
        {
            Round = plan.Round,
            Kind = plan.Kind,
            State = S.State,
            SelectedSites = plan.SelectedSites,
            Participants = S.Accepted.Keys.Order(StringComparer.Ordinal).ToList(),
            Loss = n == 0 ? double.NaN : S.Accepted.Values.Sum(a => a.SampleCount * a.Loss) / n,
            CloseReason = S.CloseReason,
            RejectedUpdates = S.Rejected,
            StartedAt = S.StartedAt,
            ClosedAt = S.ClosedAt,
            Result = S.Result,
            Evaluation = S.Evaluation,
        };
    }
}
