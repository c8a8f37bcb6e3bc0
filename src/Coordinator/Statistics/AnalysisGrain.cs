using System.Text.Json;
using FedRad.Coordinator.Contracts.Events;
using FedRad.Coordinator.Contracts.Grains;
using FedRad.Coordinator.Contracts.Model;
using FedRad.Coordinator.Grains;
using FedRad.Statistics.Analyses;
using FedRad.Statistics.Coordinator;
using FedRad.Statistics.Data;
using FedRad.Statistics.Protocol;
using FedRad.Coordinator.Events;
using Microsoft.Extensions.Logging;

namespace FedRad.Coordinator.Statistics;

[GenerateSerializer, Alias("FedRad.AnalysisGrainState")]
public sealed class AnalysisGrainState : IHasOutbox
{
    [Id(0)] public AnalysisDefinition? Definition { get; set; }
    [Id(1)] public AnalysisState State { get; set; }
    [Id(2)] public string ResultJson { get; set; } = "";
    [Id(3)] public string Error { get; set; } = "";
    [Id(4)] public List<string> Progress { get; set; } = [];
    [Id(5)] public int Requests { get; set; }
    [Id(6)] public List<OutboxEntry> Outbox { get; set; } = [];
}

/// <summary>
/// Runs one exact federated analysis (the engine of docs/statistics.md) against real sites. The
/// analysis runs in the background of this activation; GetView reads its progress.
/// </summary>
public sealed class AnalysisGrain(
    [PersistentState("analysis", StorageNames.Default)] IPersistentState<AnalysisGrainState> state,
    EventOutbox outbox,
    TimeProvider clock,
    ILogger<AnalysisGrain> log) : Grain, IAnalysisGrain
{
    public static readonly JsonSerializerOptions PlanJson = new(JsonSerializerDefaults.Web);

    public async Task<AnalysisView> Start(AnalysisDefinition definition)
    {
        if (state.State.Definition is not null) throw new InvalidOperationException($"analysis '{definition.AnalysisId}' already exists");
        var plan = JsonSerializer.Deserialize<FitOptions>(definition.PlanJson, PlanJson) ?? throw new ArgumentException("the analysis plan is empty");
        if (plan.SecureAggregation)
        {
            // Refused before any site is asked: what the plan needs that secure aggregation hides (naming the request kind).
            string? why;
            try { why = FederatedFit.SecureRefusal(plan); }
            catch (StatisticsInputException e) { throw new ArgumentException(e.Message); }
            if (why is not null) throw new ArgumentException(why);
        }
        if (definition.SiteIds.Count == 0) throw new ArgumentException("site_ids is empty: name the sites the analysis runs on");
        foreach (var site in definition.SiteIds)
        {
            var view = await GrainFactory.GetGrain<ISiteGrain>(site).GetView();
            if (!view.Registered) throw new ArgumentException($"site '{site}' is not registered");
            if (view.Approval != SiteApproval.Approved) throw new ArgumentException($"site '{site}' is {view.Approval.ToString().ToLowerInvariant()}: an operator must approve it first");
        }

        state.State.Definition = definition;
        state.State.State = AnalysisState.Running;
        await state.WriteStateAsync();
        log.LogInformation("Analysis {Analysis} started on {Sites}", definition.AnalysisId, string.Join(", ", definition.SiteIds));
        // Runs on this activation's scheduler; keep the activation alive while it does.
        DelayDeactivation(TimeSpan.FromHours(12));
        _ = Run(definition, plan);
        return View();
    }

    public Task<AnalysisView> GetView() => Task.FromResult(View());

    private async Task Run(AnalysisDefinition definition, FitOptions plan)
    {
        var timeout = TimeSpan.FromSeconds(definition.RequestTimeoutSeconds);
        // Under secure aggregation the sites are one channel: each request is a secure sum over all of them.
        var secure = plan.SecureAggregation ? new SecureSumChannel(GrainFactory, definition.AnalysisId, definition.SiteIds, timeout) : null;
        var channels = secure is null ? definition.SiteIds.Select(s => new RemoteSiteChannel(GrainFactory, definition.AnalysisId, s, timeout)).ToList() : [];
        List<SiteEndpoint> endpoints = secure is null
            ? channels.Select(c => new SiteEndpoint(c.Site, $"site {c.Site}", c)).ToList()
            : [new SiteEndpoint(secure.Site, $"secure sum of sites {string.Join(", ", definition.SiteIds)}", secure)];
        try
        {
            var result = await FederatedFit.RunAsync(plan, endpoints, new SynchronousProgress(state.State.Progress));
            state.State.ResultJson = result.ToJsonString();
            state.State.State = AnalysisState.Completed;
        }
        catch (Exception e) when (e is StatisticsInputException or AnalysisFailedException or SiteRefusedException or InvalidOperationException)
        {
            state.State.Error = e.Message;
            state.State.State = AnalysisState.Failed;
            log.LogWarning("Analysis {Analysis} failed: {Error}", definition.AnalysisId, e.Message);
        }
        state.State.Requests = secure?.Requests ?? channels.Sum(c => c.Requests);
        state.State.Outbox.Add(EventOutbox.Entry(new AnalysisCompleted(definition.AnalysisId, state.State.State.ToString(), definition.SiteIds, state.State.Requests, state.State.Error, clock.GetUtcNow())));
        await state.WriteStateAsync();
        log.LogInformation("Analysis {Analysis} {State} after {Requests} site requests", definition.AnalysisId, state.State.State, state.State.Requests);
        await outbox.Flush(state);
    }

    private AnalysisView View() => new()
    {
        Definition = state.State.Definition ?? throw new KeyNotFoundException($"analysis '{this.GetPrimaryKeyString()}' does not exist"),
        State = state.State.State,
        ResultJson = state.State.ResultJson,
        Error = state.State.Error,
        Progress = state.State.Progress.ToList(),
        Requests = state.State.Requests,
    };

    /// <summary>Appends progress messages in order, on the caller's thread (Progress&lt;T&gt; would post them).</summary>
    private sealed class SynchronousProgress(List<string> messages) : IProgress<string>
    {
        public void Report(string value) => messages.Add(value);
    }
}
