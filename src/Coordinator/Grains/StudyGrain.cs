using FedRad.Coordinator.Aggregation;
using FedRad.Coordinator.Contracts.Events;
using FedRad.Coordinator.Contracts.Grains;
using FedRad.Coordinator.Contracts.Model;
using FedRad.Coordinator.Grains.State;
using FedRad.Coordinator.Storage;
using FedRad.Coordinator.Statistics;
using FedRad.Coordinator.Studies;
using FedRad.Statistics.Coordinator;
using FedRad.Statistics.Data;
using FedRad.Statistics.Protocol;
using System.Text.Json;
using FedRad.Learning.Metrics;
using FedRad.Learning.Models;
using FedRad.Shared.Tensors;
using FedRad.Coordinator.Events;
using Microsoft.Extensions.Logging;

namespace FedRad.Coordinator.Grains;

/// <summary>Owns a study's definition and history and opens its rounds one after another.</summary>
public sealed class StudyGrain(
    [PersistentState("study", StorageNames.Default)] IPersistentState<StudyGrainState> state,
    IBlobStore blobs,
    EventOutbox outbox,
    TimeProvider clock,
    ILogger<StudyGrain> log) : Grain, IStudyGrain, IRemindable
{
    // While a study runs, this reminder moves it on (see Advance) even when the silo that held its
    // current round died between saving the plan and opening the round, or before the round's hint came.
    private const string DriveReminder = "drive";

    private StudyGrainState S => state.State;

    public async Task<StudyView> Create(StudyDefinition definition)
    {
        if (S.Definition is not null) throw new InvalidOperationException($"study '{this.GetPrimaryKeyString()}' already exists");
        if (definition.StudyId != this.GetPrimaryKeyString()) throw new ArgumentException("study_id does not match the grain key");
        StudyRules.Validate(definition);
        // Differential privacy: the study's ε becomes the noise multiplier every round and every site's guard uses.
        definition = StudyRules.WithCalibratedNoise(definition);
        // Listed first: a listed id whose creation failed is skipped when read; an unlisted study would be lost to the dashboard.
        await GrainFactory.GetGrain<IStudyDirectoryGrain>(0).Add(definition.StudyId);
        S.Definition = definition;
        S.State = StudyState.Created;
        await state.WriteStateAsync();
        log.LogInformation("Study {Study} created: {Model}, {Rounds} rounds, {Features} features", definition.StudyId, definition.Model, definition.Rounds, definition.FeatureNames.Count);
        return View();
    }

    public async Task<StudyView> Start()
    {
        var def = S.Definition ?? throw new KeyNotFoundException($"study '{this.GetPrimaryKeyString()}' does not exist");
        if (S.State != StudyState.Created) throw new InvalidOperationException($"study '{def.StudyId}' is {S.State.ToString().ToLowerInvariant()}; only a created study can be started");

        var sites = def.SiteIds.Count > 0 ? def.SiteIds : await ApprovedSites();
        foreach (var site in sites)
        {
            var view = await GrainFactory.GetGrain<ISiteGrain>(site).GetView();
            if (!view.Registered) throw new InvalidOperationException($"site '{site}' is not registered");
            if (view.Approval != SiteApproval.Approved)
                throw new InvalidOperationException($"site '{site}' is {view.Approval.ToString().ToLowerInvariant()}: an operator must approve it first (fedrad sites approve {site})");
        }
        if (sites.Count < def.MinSites)
            throw new InvalidOperationException($"study needs at least {def.MinSites} sites but {sites.Count} are registered");
        if (def.LeaveOneSiteOut && def.Privacy?.SecureAggregation == true && sites.Count < 3)
            throw new InvalidOperationException($"leave-one-site-out validation with secure aggregation needs at least 3 sites (a fold trains on the others, and secure aggregation needs 2); {sites.Count} enrolled");
        if (def.LeaveOneSiteOut && sites.Count - 1 < Math.Max(1, RoundGrain.StrategyFor(def).MinimumUpdates))
            throw new InvalidOperationException($"leave-one-site-out validation trains without each site: strategy '{def.Strategy}' needs {Math.Max(1, RoundGrain.StrategyFor(def).MinimumUpdates)} sites per round, "
                + $"so the study needs at least {Math.Max(1, RoundGrain.StrategyFor(def).MinimumUpdates) + 1} sites; {sites.Count} enrolled");

        // Checked before anything changes: a study whose initial model is missing stays created. A prepared study's
        // model is made once its features are selected.
        var initial = def.NeedsPreparation ? null : await InitialModel(def);
        S.CurrentModel = initial;
        S.EnrolledSites = sites.ToList();
        S.State = StudyState.Running;
        if (def.NeedsPreparation) S.Preparation = new PreparationResult();
        await state.WriteStateAsync();
        await this.RegisterOrUpdateReminder(DriveReminder, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
        log.LogInformation("Study {Study} started with sites {Sites}", def.StudyId, string.Join(", ", sites));
        if (def.NeedsPreparation) EnsurePreparing();
        else await OpenFirstRound();
        return View();
    }

    private Task OpenFirstRound() => S.Definition!.Standardise ? OpenRound(0, WorkKind.Standardise) : OpenRound(1, WorkKind.Train);

    /// <summary>The definition the rounds run: after a preparation, its selected features and harmonisation.</summary>
    private StudyDefinition RoundDefinition() => S.Preparation is { State: PreparationState.Completed } p
        ? S.Definition! with { FeatureNames = p.SelectedFeatures, Prepared = p }
        : S.Definition!;

    // The preparation runs in the background of this activation (like an analysis); Advance restarts it after a
    // crash, and its requests reach the same query grains again, so answers already received are reused.
    private Task? _preparing;

    private void EnsurePreparing()
    {
        if (_preparing is { IsCompleted: false }) return;
        DelayDeactivation(TimeSpan.FromHours(12));
        _preparing = Prepare();
    }

    private async Task Prepare()
    {
        try { await PrepareOnce(); }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Not the data's fault (e.g. a grain call timed out): the study's reminder starts the preparation again.
            log.LogError(e, "Study {Study}: the preparation stopped ({Message}); it is retried", S.Definition!.StudyId, e.Message);
        }
        finally { _preparing = null; }
    }

    private async Task PrepareOnce()
    {
        var def = S.Definition!;
        var timeout = TimeSpan.FromSeconds(def.RoundTimeoutSeconds);
        var channels = S.EnrolledSites.Select(site => new RemoteSiteChannel(GrainFactory, $"{def.StudyId}/prepare", site, timeout, def)).ToList();
        PreparationResult result;
        try
        {
            log.LogInformation("Study {Study}: preparing (inclusion {Filters} filters, harmonisation {Harmonisation}, selection {Selection})",
                def.StudyId, def.Inclusion.Count, def.Harmonisation is null ? "none" : "combat", def.FeatureSelection?.Method ?? "none");
            result = await Preparation.RunAsync(new Federation(channels), def, def.MinSites);
        }
        catch (Exception e) when (e is AnalysisFailedException or SiteRefusedException or StatisticsInputException or JsonException)
        {
            if (S.State != StudyState.Running) return;
            S.Preparation = S.Preparation! with { State = PreparationState.Failed };
            await Finish(StudyState.Failed, $"the preparation failed: {e.Message}");
            return;
        }
        if (S.State != StudyState.Running || S.Preparation is not { State: PreparationState.Running }) return; // cancelled meanwhile
        S.Preparation = result;
        // Sites whose cohort is not eligible take no further part.
        S.EnrolledSites = result.Sites.Where(x => x.Refusal.Length == 0).Select(x => x.SiteId).ToList();
        S.CurrentModel = await InitialModel(RoundDefinition());
        await state.WriteStateAsync();
        log.LogInformation("Study {Study}: prepared; features {Features}", def.StudyId, string.Join(", ", result.SelectedFeatures));
        await OpenFirstRound();
    }

    /// <summary>The uploaded initial model the study names (deep models), or the model family's own initial model.</summary>
    private async Task<ModelRef> InitialModel(StudyDefinition def)
    {
        if (def.InitialModelId.Length == 0)
            return await blobs.Put(TensorCodec.Serialize(ModelCatalog.Initial(def.Model, def.FeatureNames.Count)));
        byte[]? initial;
        try { initial = await blobs.Get(def.InitialModelId); }
        catch (InvalidDataException e) { throw new InvalidOperationException($"study '{def.StudyId}': initial model {def.InitialModelId} is corrupt in the coordinator's store ({e.Message}); upload it again"); }
        if (initial is null)
            throw new InvalidOperationException($"study '{def.StudyId}': initial model {def.InitialModelId} is not in the coordinator's store; upload it first (UploadModel)");
        if (def.Standardise && StandardisationProblem(TensorCodec.Deserialize(initial), def.FeatureNames.Count) is { } problem)
            throw new InvalidOperationException($"study '{def.StudyId}': initial model {def.InitialModelId} cannot take the standardisation round: {problem}");
        return new ModelRef(def.InitialModelId, initial.LongLength);
    }

    /// <summary>
    /// An uploaded model (mlp) opened by a standardisation round must carry the tensors the round fills in, one value per
    /// feature (float64): the sites standardise with them and hand them back unchanged.
    /// </summary>
    private static string? StandardisationProblem(ModelWeights initial, int features)
    {
        foreach (var name in LogisticRegression.FrozenTensors)
        {
            var t = initial.Tensors.FirstOrDefault(t => t.Name == name);
            if (t is null) return $"it has no tensor '{name}' (add {LogisticRegression.MeanTensor} = 0 and {LogisticRegression.ScaleTensor} = 1 of [{features}] float64, or set no_standardisation)";
            if (t.Shape is not [var n] || n != features) return $"tensor '{name}' has shape {t.ShapeText}, the study has {features} features";
        }
        return null;
    }

    public Task<StudyView> GetView() => Task.FromResult(View());

    public async Task<StudyView> Cancel(string reason)
    {
        var def = S.Definition ?? throw new KeyNotFoundException($"study '{this.GetPrimaryKeyString()}' does not exist");
        if (S.State is not (StudyState.Created or StudyState.Running))
            throw new InvalidOperationException($"study '{def.StudyId}' is {S.State.ToString().ToLowerInvariant()}; only a created or running study can be cancelled");
        var open = S.State == StudyState.Running ? S.CurrentPlan : null;
        await Finish(StudyState.Cancelled, reason);
        // The open round closes now: its sites stop working for it, and under secure aggregation no
        // further phase opens and no survivor's mask is reconstructed.
        if (open is not null)
            await CancelRound(open);
        return View();
    }

    /// <summary>Closes the study's open round and records it (a fold's round in its fold) as the study's last.</summary>
    private async Task CancelRound(RoundPlan open)
    {
        var grain = GrainFactory.GetGrain<IRoundGrain>(IRoundGrain.Key(open.StudyId, open.Round));
        await grain.Cancel($"the study was cancelled: {S.FailureReason}");
        if (await grain.GetView() is not { } round) return;
        if (round.Round < LosoBase(S.Definition!))
        {
            if (S.ClosedRounds.All(r => r.Round != round.Round)) S.ClosedRounds.Add(round);
        }
        else if (S.Loso.FindIndex(f => f.State == LosoFoldState.Running) is var i and >= 0)
            S.Loso[i] = S.Loso[i] with { State = LosoFoldState.Failed, Note = $"round {round.Round} ({round.Kind.ToString().ToLowerInvariant()}): {round.CloseReason}" };
        await state.WriteStateAsync();
    }

    /// <summary>Without an explicit site list, a study enrols every approved site.</summary>
    private async Task<IReadOnlyList<string>> ApprovedSites()
    {
        var approved = new List<string>();
        foreach (var id in await GrainFactory.GetGrain<ISiteDirectoryGrain>(0).List())
            if ((await GrainFactory.GetGrain<ISiteGrain>(id).GetView()).Approval == SiteApproval.Approved) approved.Add(id);
        return approved;
    }

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        await base.OnActivateAsync(cancellationToken);
        await outbox.Flush(state);
        if (S.State == StudyState.Running)
            this.RegisterGrainTimer(_ => Advance(), new GrainTimerCreationOptions(TimeSpan.Zero, Timeout.InfiniteTimeSpan));
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (S.State == StudyState.Running) await Advance();
        else if (await this.GetReminder(DriveReminder) is { } r) await this.UnregisterReminder(r);
    }



    public Task RoundClosed(int round) => Advance();

    /// <summary>
    /// Moves the study on from its current round: opens it if a crash cut the opening short, and when
    /// it has closed, records it and opens the next one. Safe to call any number of times.
    /// </summary>
    private async Task Advance()
    {
        if (S.State != StudyState.Running) return;
        if (S.Preparation is { State: PreparationState.Running })
        {
            EnsurePreparing();
            return;
        }
        if (S.CurrentPlan is not { } plan) return;
        var roundGrain = GrainFactory.GetGrain<IRoundGrain>(IRoundGrain.Key(plan.StudyId, plan.Round));
        var round = await roundGrain.GetView();
        if (round is null)
        {
            await roundGrain.Open(plan);
            return;
        }
        if (round.State == RoundState.Open) return;
        if (round.Round >= LosoBase(S.Definition!))
        {
            if (round.Round > S.LosoLastClosedRound) await AdvanceFold(round);
            return;
        }
        if (S.ClosedRounds.Any(r => r.Round == round.Round)) return;

        var def = S.Definition!;
        S.ClosedRounds.Add(round);
        if (round.State == RoundState.Failed)
        {
            await Finish(StudyState.Failed, $"round {round.Round} failed: {round.CloseReason}");
            return;
        }
        if (round.Kind == WorkKind.Evaluate)
        {
            S.Evaluation = round.Evaluation;
            if (def.LeaveOneSiteOut) await StartLeaveOneSiteOut();
            else await Finish(StudyState.Completed, "all rounds completed");
            return;
        }
        S.CurrentModel = round.Result;
        if (round.Kind == WorkKind.Train) S.ServerState = round.NextServerState;
        await state.WriteStateAsync();
        if (round.Kind == WorkKind.Standardise) await OpenRound(1, WorkKind.Train);
        else if (round.Round < def.Rounds) await OpenRound(round.Round + 1, WorkKind.Train);
        else await OpenRound(round.Round + 1, WorkKind.Evaluate);
    }

    // Only training samples sites; standardisation and evaluation ask every enrolled site.
    private Task OpenRound(int round, WorkKind kind) =>
        OpenRound(round, kind, kind == WorkKind.Train ? RoundGrain.StrategyFor(S.Definition!).SelectSites(S.EnrolledSites, round) : S.EnrolledSites,
            S.CurrentModel!, S.ServerState, RoundDefinition());

    private async Task OpenRound(int round, WorkKind kind, IReadOnlyList<string> selected, ModelRef model, ModelRef? serverState, StudyDefinition study)
    {
        var def = study;
        var strategy = RoundGrain.StrategyFor(def);
        S.CurrentRound = round;
        S.CurrentPlan = new RoundPlan
        {
            StudyId = def.StudyId,
            Round = round,
            Kind = kind,
            SelectedSites = selected,
            MinSites = Math.Min(Math.Max(def.MinSites, kind == WorkKind.Train ? strategy.MinimumUpdates : 1), selected.Count),
            Deadline = clock.GetUtcNow().AddSeconds(def.RoundTimeoutSeconds),
            GlobalModel = model,
            Study = study,
            ServerState = kind == WorkKind.Train ? serverState : null,
        };
        await state.WriteStateAsync();
        await GrainFactory.GetGrain<IRoundGrain>(IRoundGrain.Key(def.StudyId, round)).Open(S.CurrentPlan);
    }

    // ---- leave-one-site-out validation: after the pooled study's evaluation round, one fold per enrolled site ----

    // Round numbers: the pooled study has 0 (standardisation), 1..R (training) and R + 1 (evaluation); fold f has
    // base + 0 (standardisation over its training sites), base + 1..R and base + R + 1 (evaluation on the site left out),
    // base = (R + 2) × (f + 1).
    private static int LosoBase(StudyDefinition def) => def.Rounds + 2;

    private static int FoldBase(LosoFold fold, StudyDefinition def) => fold.LastRound - def.Rounds - 1;

    private async Task StartLeaveOneSiteOut()
    {
        var def = S.Definition!;
        S.Loso = S.EnrolledSites.Select((site, f) =>
        {
            var first = LosoBase(def) * (f + 1);
            return new LosoFold
            {
                SiteId = site,
                TrainingSites = S.EnrolledSites.Where(s => s != site).ToList(),
                FirstRound = def.Standardise ? first : first + 1,
                LastRound = first + def.Rounds + 1,
            };
        }).ToList();
        log.LogInformation("Study {Study}: pooled evaluation done; leave-one-site-out validation, {Folds} folds", def.StudyId, S.Loso.Count);
        await StartNextFold();
    }

    private async Task StartNextFold()
    {
        var next = S.Loso.FindIndex(f => f.State == LosoFoldState.Pending);
        if (next < 0)
        {
            await Finish(StudyState.Completed, "all rounds and leave-one-site-out folds completed");
            return;
        }
        // Folds train on the prepared definition (selected features, each site's ComBat parameters), fitted on all sites.
        var def = RoundDefinition();
        var fold = S.Loso[next] = S.Loso[next] with { State = LosoFoldState.Running, Model = await InitialModel(def), ServerState = null };
        log.LogInformation("Study {Study}: leave-one-site-out fold without {Site} (rounds {First}-{Last})", def.StudyId, fold.SiteId, fold.FirstRound, fold.LastRound);
        if (def.Standardise) await OpenFoldRound(fold, 0, WorkKind.Standardise);
        else await OpenFoldRound(fold, 1, WorkKind.Train);
    }

    /// <summary>Round <paramref name="local"/> of the fold (0 standardisation, 1..R training, R + 1 evaluation), as the pooled study's.</summary>
    private Task OpenFoldRound(LosoFold fold, int local, WorkKind kind)
    {
        var def = RoundDefinition();
        var at = FoldBase(fold, def);
        IReadOnlyList<string> sites = kind switch
        {
            WorkKind.Evaluate => [fold.SiteId],
            WorkKind.Train => RoundGrain.StrategyFor(def).SelectSites(fold.TrainingSites, local),
            _ => fold.TrainingSites,
        };
        // Sites seed local training with the study's seed plus the task's round: shifted by the fold's base, the
        // fold's training round t gets the seed of the pooled study's round t (unsigned arithmetic wraps).
        var study = def with { Training = def.Training with { Seed = unchecked(def.Training.Seed - (ulong)at) } };
        return OpenRound(at + local, kind, sites, fold.Model!, fold.ServerState, study);
    }

    private async Task AdvanceFold(RoundView round)
    {
        var def = S.Definition!;
        var i = S.Loso.FindIndex(f => f.State == LosoFoldState.Running);
        if (i < 0) return;
        var fold = S.Loso[i];
        S.LosoLastClosedRound = round.Round;
        var local = round.Round - FoldBase(fold, def);
        if (round.State == RoundState.Failed)
        {
            S.Loso[i] = fold with { State = LosoFoldState.Failed, Note = $"round {round.Round} ({round.Kind.ToString().ToLowerInvariant()}) failed: {round.CloseReason}" };
            log.LogWarning("Study {Study}: leave-one-site-out fold without {Site} failed: {Reason}", def.StudyId, fold.SiteId, S.Loso[i].Note);
            await StartNextFold();
            return;
        }
        if (round.Kind == WorkKind.Evaluate)
        {
            S.Loso[i] = await Evaluated(fold, round);
            log.LogInformation("Study {Study}: leave-one-site-out fold without {Site}: AUC {Auc:F3} on n={N}", def.StudyId, fold.SiteId, S.Loso[i].Auc, S.Loso[i].N);
            await StartNextFold();
            return;
        }
        fold = S.Loso[i] = fold with { Model = round.Result, ServerState = round.Kind == WorkKind.Train ? round.NextServerState : fold.ServerState };
        if (round.Kind == WorkKind.Standardise) await OpenFoldRound(fold, 1, WorkKind.Train);
        else if (local < def.Rounds) await OpenFoldRound(fold, local + 1, WorkKind.Train);
        else await OpenFoldRound(fold, def.Rounds + 1, WorkKind.Evaluate);
    }

    /// <summary>The fold's result on the site left out: its exact AUC, and the CI from the score histograms it sent.</summary>
    private async Task<LosoFold> Evaluated(LosoFold fold, RoundView round)
    {
        if (round.Evaluation?.Sites.FirstOrDefault(s => s.SiteId == fold.SiteId) is not { } e)
            return fold with { State = LosoFoldState.Failed, Note = $"site '{fold.SiteId}' did not answer the fold's evaluation round {round.Round}" };
        var variance = double.NaN;
        if (await GrainFactory.GetGrain<IRoundGrain>(IRoundGrain.Key(S.Definition!.StudyId, round.Round)).AcceptedPayload(fold.SiteId) is { } sha
            && await blobs.Get(sha) is { } bytes)
        {
            var payload = TensorCodec.Deserialize(bytes);
            variance = new ScoreHistogram(payload[ScoreHistogram.PositivesTensor].Values.ToArray(), payload[ScoreHistogram.NegativesTensor].Values.ToArray()).DeLongVariance();
        }
        var (low, high) = ScoreHistogram.Ci95(e.Auc, variance);
        return fold with
        {
            State = LosoFoldState.Completed, N = e.N, Auc = e.Auc, AucCiLow = low, AucCiHigh = high, Loss = e.Loss,
            Note = double.IsFinite(e.Auc) ? "" : "patients of one outcome class only at the site: no AUC",
        };
    }

    private async Task Finish(StudyState final, string reason)
    {
        S.State = final;
        if (final != StudyState.Completed) S.FailureReason = reason;
        S.Outbox.Add(EventOutbox.Entry(new StudyCompleted(S.Definition!.StudyId, final.ToString(), Finite(S.Evaluation?.PooledAuc), reason, clock.GetUtcNow())));
        await state.WriteStateAsync();
        log.LogInformation("Study {Study} {State}: {Reason}", S.Definition.StudyId, final, reason);
        await outbox.Flush(state);
        if (await this.GetReminder(DriveReminder) is { } drive) await this.UnregisterReminder(drive);
    }

    private static double? Finite(double? v) => v is { } x && double.IsFinite(x) ? x : null;

    private StudyView View() => new()
    {
        Definition = S.Definition ?? throw new KeyNotFoundException($"study '{this.GetPrimaryKeyString()}' does not exist"),
        State = S.State,
        CurrentRound = S.CurrentRound,
        Rounds = S.ClosedRounds,
        Evaluation = S.Evaluation,
        FailureReason = S.FailureReason,
        FinalModel = S.State == StudyState.Completed ? S.CurrentModel : null,
        EnrolledSites = S.EnrolledSites,
        LeaveOneSiteOut = S.Loso,
        Preparation = S.Preparation,
    };
}
