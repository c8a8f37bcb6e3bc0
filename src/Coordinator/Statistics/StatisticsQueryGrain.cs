using FedRad.Coordinator.Contracts.Grains;
using FedRad.Coordinator.Contracts.Model;
using FedRad.Coordinator.Grains;

namespace FedRad.Coordinator.Statistics;

[GenerateSerializer, Alias("FedRad.StatisticsQueryState")]
public sealed class StatisticsQueryState
{
    [Id(0)] public string SiteId { get; set; } = "";
    [Id(1)] public StatisticsAnswer? Answer { get; set; }
    [Id(2)] public bool Withdrawn { get; set; }
}

/// <summary>One request to one site: it becomes a task on the site's stream; the site's upload completes it.</summary>
public sealed class StatisticsQueryGrain(
    [PersistentState("query", StorageNames.Default)] IPersistentState<StatisticsQueryState> state) : Grain, IStatisticsQueryGrain
{
    public Task Ask(string siteId, string requestJson, DateTimeOffset deadline) => Assign(siteId, requestJson, deadline, null);

    public Task AskForStudy(string siteId, string requestJson, DateTimeOffset deadline, StudyDefinition study) =>
        Assign(siteId, requestJson, deadline, study);

    private async Task Assign(string siteId, string requestJson, DateTimeOffset deadline, StudyDefinition? study)
    {
        if (state.State.SiteId.Length > 0) return; // asked already
        state.State.SiteId = siteId;
        await state.WriteStateAsync();
        await GrainFactory.GetGrain<ISiteGrain>(siteId).AssignTask(new SiteTaskInfo
        {
            TaskId = this.GetPrimaryKeyString(),
            StudyId = study?.StudyId ?? "",
            Round = 0,
            Kind = study is null ? WorkKind.Statistics : WorkKind.Prepare,
            Study = study,
            Deadline = deadline,
            StatisticsRequest = requestJson,
        });
    }

    public async Task<SubmitResult> Answer(string siteId, StatisticsAnswer answer)
    {
        if (siteId != state.State.SiteId)
            return new SubmitResult(SubmitOutcome.NotSelected, $"statistics request '{this.GetPrimaryKeyString()}' was not sent to site '{siteId}'");
        if (state.State.Answer is { } previous)
            return previous == answer
                ? new SubmitResult(SubmitOutcome.Duplicate, "this answer was already received")
                : new SubmitResult(SubmitOutcome.Conflict, "a different answer to this request was already received");
        if (state.State.Withdrawn)
            return new SubmitResult(SubmitOutcome.RoundClosed, $"statistics request '{this.GetPrimaryKeyString()}' was withdrawn (its deadline passed)");
        state.State.Answer = answer;
        await state.WriteStateAsync();
        await GrainFactory.GetGrain<ISiteGrain>(siteId).RemoveTask(this.GetPrimaryKeyString());
        return new SubmitResult(SubmitOutcome.Accepted, "answer received");
    }

    public Task<StatisticsAnswer?> GetAnswer() => Task.FromResult(state.State.Answer);

    public async Task Withdraw()
    {
        if (state.State.Answer is not null || state.State.Withdrawn) return;
        state.State.Withdrawn = true;
        await state.WriteStateAsync();
        await GrainFactory.GetGrain<ISiteGrain>(state.State.SiteId).RemoveTask(this.GetPrimaryKeyString());
    }
}
