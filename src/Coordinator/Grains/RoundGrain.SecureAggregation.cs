using FedRad.Coordinator.Aggregation;
using FedRad.Coordinator.Contracts.Events;
using FedRad.Coordinator.Contracts.Grains;
using FedRad.Coordinator.Contracts.Model;
using FedRad.Coordinator.Events;
using FedRad.Coordinator.Grains.State;
using FedRad.Privacy.DifferentialPrivacy;
using FedRad.Privacy.SecureAggregation;
using FedRad.Shared.Tensors;
using Microsoft.Extensions.Logging;

namespace FedRad.Coordinator.Grains;

/// <summary>
/// A round under secure aggregation (docs/privacy.md §7): the four phases of one SecAggCoordinator
/// session, each a task per site with its own deadline (the study's round timeout), closed when
/// every site the phase waits for answered, declined, or at that deadline. The masked inputs arrive
/// as uploads (<see cref="Submit"/>) and are folded into the session's running sum at once; the
/// coordinator never holds a site's vector, only the unmasked sum of the survivors.
/// </summary>
public sealed partial class RoundGrain
{
    private SecAggCoordinator? _secAgg;

    /// <summary>Training and standardisation rounds of a study with privacy.secure_aggregation (evaluation sends histograms in the clear).</summary>
    private static bool IsSecure(RoundPlan plan) => plan.Study.Privacy?.SecureAggregation == true && plan.Kind is WorkKind.Train or WorkKind.Standardise;

    private static bool IsDp(RoundPlan plan) => plan.Kind == WorkKind.Train && plan.Study.Privacy?.DifferentialPrivacy is not null;

    private static string SessionId(RoundPlan plan) => $"{plan.StudyId}/{plan.Round}";

    /// <summary>Fixed-point resolution: 2^-24 for model weights; 2^-20 for the standardisation sums, whose squares are larger.</summary>
    private static int FractionBits(RoundPlan plan) => plan.Kind == WorkKind.Standardise ? 20 : 24;

    private static string PhaseTaskId(RoundPlan plan, string site, SecAggTaskStage stage) =>
        stage == SecAggTaskStage.Mask ? $"{plan.StudyId}/{plan.Round}/{site}" : $"{plan.StudyId}/{plan.Round}/{site}/secagg-{stage.ToString().ToLowerInvariant()}";

    private SecAggCoordinator Session() => _secAgg ??= SecAggCoordinator.FromJson(S.SecAgg, authentication.SignerValidator);

    private static SecAggTaskStage Stage(SecAggPhase phase) => SecAggFlow.Stage(phase);

    /// <summary>Starts the session: every selected site is asked to advertise keys. Null when it cannot start (the reason).</summary>
    private async Task<string?> OpenSecureSession(RoundPlan plan)
    {
        var global = await LoadBlob(plan.GlobalModel, "global model");
        var layout = plan.Kind == WorkKind.Train ? global : StandardisationAggregator.Layout(global);
        var n = plan.SelectedSites.Count;
        // More than half must survive (see SecAggConfig), and at least the study's quorum.
        var threshold = Math.Min(n, Math.Max(SecAggConfig.MajorityThreshold(n), plan.MinSites));
        var config = new SecAggConfig(SessionId(plan), plan.SelectedSites, threshold, AggregationVector.Length(layout), FractionBits(plan));
        try { _secAgg = new SecAggCoordinator(config, authentication.SignerValidator); }
        catch (SecAggException e) { return $"secure aggregation cannot start: {e.Message}"; }
        S.SecAgg = _secAgg.ToJson();
        S.PhaseDeadline = clock.GetUtcNow().AddSeconds(plan.Study.RoundTimeoutSeconds);
        var message = SecAggJson.Serialize(config);
        S.PhaseMessages = plan.SelectedSites.ToDictionary(s => s, _ => message);
        S.StrategyLog.Add($"secure aggregation: {n} sites, threshold {threshold}, {config.VectorLength} elements at 2^-{config.FractionBits}");
        return null;
    }

    public async Task<SubmitResult> SubmitSecAgg(SecAggSubmission reply)
    {
        var plan = S.Plan;
        if (plan is null || S.State != RoundState.Open)
            return new SubmitResult(SubmitOutcome.RoundClosed, $"round {this.GetPrimaryKeyString()} is not open");
        if (!IsSecure(plan)) return new SubmitResult(SubmitOutcome.Invalid, $"round {plan.Round} of study '{plan.StudyId}' does not run secure aggregation");
        if (!plan.SelectedSites.Contains(reply.SiteId))
            return new SubmitResult(SubmitOutcome.NotSelected, $"site '{reply.SiteId}' was not selected for round {plan.Round} of study '{plan.StudyId}'");
        if (reply.Stage is not (SecAggTaskStage.Advertise or SecAggTaskStage.Share or SecAggTaskStage.Unmask))
            return new SubmitResult(SubmitOutcome.Invalid, $"stage {reply.Stage} is not answered with SubmitSecAgg (the masked input is an upload)");
        if (reply.TaskId != PhaseTaskId(plan, reply.SiteId, reply.Stage))
            return new SubmitResult(SubmitOutcome.Invalid, $"task id '{reply.TaskId}' is not the {reply.Stage} task of site '{reply.SiteId}' in round {plan.Round}");
        if (clock.GetUtcNow() > Deadline())
            return new SubmitResult(SubmitOutcome.RoundClosed, $"the {Stage(Session().Phase)} phase of round {plan.Round} closed at {Deadline():O}");
        var session = Session();
        try { SecAggFlow.Receive(session, reply.Stage, reply.Message, reply.SiteId); }
        catch (SecAggException e)
        {
            log.LogWarning("Round {Key}: refused the {Stage} reply of {Site}: {Reason}", this.GetPrimaryKeyString(), reply.Stage, reply.SiteId, e.Message);
            S.Rejected++;
            await state.WriteStateAsync();
            return new SubmitResult(Outcome(e.Failure), e.Message);
        }
        S.SecAgg = session.ToJson();
        await state.WriteStateAsync();
        await GrainFactory.GetGrain<ISiteGrain>(reply.SiteId).RemoveTask(reply.TaskId);
        await AdvanceWhenNobodyIsOwed("all sites answered");
        return new SubmitResult(SubmitOutcome.Accepted, $"{reply.Stage} reply of site '{reply.SiteId}' accepted for round {plan.Round}");
    }

    /// <summary>A masked input, uploaded as one uint64 tensor: folded into the session's sum at once.</summary>
    private async Task<SubmitResult> SubmitMasked(RoundPlan plan, SiteUpdate update)
    {
        var session = Session();
        if (session.Phase != SecAggPhase.CollectingInputs)
            return await Reject(update, SubmitOutcome.RoundClosed, $"round {plan.Round} is in the {Stage(session.Phase)} phase of secure aggregation; masked inputs belong to the mask phase");
        var bytes = await blobs.Get(update.Payload.Sha256);
        if (bytes is null) return await Reject(update, SubmitOutcome.Invalid, "payload not found in the blob store");
        try { session.Receive(new MaskedInput(SessionId(plan), update.SiteId, AggregationVector.DeserializeMasked(bytes))); }
        catch (TensorFormatException e) { return await Reject(update, SubmitOutcome.Invalid, e.Message); }
        catch (SecAggException e) { return await Reject(update, Outcome(e.Failure), e.Message); }

        S.SecAgg = session.ToJson();
        S.Accepted[update.SiteId] = new AcceptedUpdate(update.Payload.Sha256, 0, double.NaN, new Dictionary<string, double>());
        S.AcceptedOrder.Add(update.SiteId);
        S.Outbox.Add(EventOutbox.Entry(new UpdateReceived(plan.StudyId, plan.Round, update.SiteId, 0, Duplicate: false, clock.GetUtcNow())));
        await state.WriteStateAsync();
        await GrainFactory.GetGrain<ISiteGrain>(update.SiteId).RemoveTask(update.TaskId);
        log.LogInformation("Round {Study}/{Round}: masked input of {Site} folded into the secure sum", plan.StudyId, plan.Round, update.SiteId);
        await outbox.Flush(state);
        await AdvanceWhenNobodyIsOwed("all sites answered");
        return new SubmitResult(SubmitOutcome.Accepted, $"masked input of site '{update.SiteId}' accepted for round {plan.Round}");
    }

    /// <summary>Closes the phase early when every site it still waits for has declined or none is left.</summary>
    private async Task AdvanceWhenNobodyIsOwed(string reason)
    {
        if (S.State == RoundState.Open && Session().Pending.All(S.Declined.ContainsKey)) await AdvancePhase(reason);
    }

    /// <summary>
    /// Closes the current phase and opens the next (tasks for the sites that answered this one), or, after
    /// unmasking, aggregates the sum and completes the round. Below the threshold the round fails.
    /// </summary>
    private async Task AdvancePhase(string reason)
    {
        var plan = S.Plan!;
        var session = Session();
        var closing = Stage(session.Phase);
        SecAggResult? result = null;
        Dictionary<string, string> next;
        try { (next, result) = SecAggFlow.Close(session); }
        catch (SecAggException e)
        {
            await Fail($"secure aggregation, {closing} phase ({reason}): {e.Message}{Declines()}");
            return;
        }
        // Sites this phase waited for that the next one does not (none after unmasking: its result names them).
        var late = result is null ? plan.SelectedSites.Where(s => S.PhaseMessages.ContainsKey(s) && !next.ContainsKey(s)).ToList() : [];
        S.StrategyLog.Add($"secure aggregation: {closing} phase closed ({reason}) with {next.Count + (result?.Contributors.Count ?? 0)} sites"
            + (late.Count > 0 ? $"; without {string.Join(", ", late)}" : ""));
        foreach (var site in plan.SelectedSites) await GrainFactory.GetGrain<ISiteGrain>(site).RemoveTask(PhaseTaskId(plan, site, closing));
        S.SecAgg = session.ToJson();
        S.PhaseMessages = next;
        if (result is not null)
        {
            await CloseSecure(plan, result, reason);
            return;
        }
        S.PhaseDeadline = clock.GetUtcNow().AddSeconds(plan.Study.RoundTimeoutSeconds);
        await state.WriteStateAsync();
        await ArmDeadline();
        await AssignOutstandingTasks();
    }

    /// <summary>Turns the survivors' unmasked sum into the round's result (see AggregationVector for the layout).</summary>
    private async Task CloseSecure(RoundPlan plan, SecAggResult result, string reason)
    {
        var global = await LoadBlob(plan.GlobalModel, "global model");
        _global = global;
        var sum = result.Sum;
        var weight = sum[^1];
        if (plan.Kind == WorkKind.Standardise)
        {
            var aggregator = new StandardisationAggregator(global);
            aggregator.Add(AggregationVector.Values(StandardisationAggregator.Layout(global), sum, 1), (long)Math.Round(weight));
            S.Result = await blobs.Put(TensorCodec.Serialize(aggregator.Finish()));
        }
        else if (IsDp(plan))
        {
            // DP-FedAvg: every contributor sent its clipped, noised update with weight 1; the new model is the global plus their mean.
            var mean = AggregationVector.Values(global, sum, weight);
            var next = new ModelWeights(global.Tensors.Select(t => t with { Values = t.Values.Select((g, i) => g + mean[t.Name].Values[i]).ToArray() }));
            S.Result = await blobs.Put(TensorCodec.Serialize(KeepFrozen(next)));
        }
        else
        {
            S.Result = await blobs.Put(TensorCodec.Serialize(KeepFrozen(AggregationVector.Values(global, sum, weight))));
            S.SecureLoss = sum[^2] / weight;
        }
        S.SecAggDropped = [.. result.Dropped];
        var dropped = result.Dropped.Count > 0 ? $"; dropped after sharing keys, masks removed with Shamir shares: {string.Join(", ", result.Dropped)}" : "";
        await Complete($"secure aggregation of {result.Contributors.Count} of {plan.SelectedSites.Count} sites ({reason}){dropped}");
    }

    private string Declines() => S.Declined.Count == 0 ? "" : "; declined: " + string.Join("; ", S.Declined.Select(d => $"{d.Key}: {d.Value}"));

    /// <summary>ε the study has spent after this (training) round: rounds 1..r, each one Gaussian mechanism with the study's σ.</summary>
    private static double DpEpsilon(RoundPlan plan, RoundState state) =>
        plan.Kind == WorkKind.Train && state == RoundState.Completed && plan.Study.Privacy?.DifferentialPrivacy is { NoiseMultiplier: > 0 } dp
            ? NoiseCalibration.Epsilon(dp.NoiseMultiplier, dp.Delta, plan.Round)
            : 0;

    private static SubmitOutcome Outcome(SecAggFailure failure) => SecAggFlow.Outcome(failure);
}
