using FedRad.Coordinator.Contracts.Events;
using FedRad.Coordinator.Contracts.Grains;
using FedRad.Coordinator.Contracts.Model;
using FedRad.Coordinator.Grains.State;
using FedRad.Coordinator.Hosting;
using MassTransit;
using Microsoft.Extensions.Options;

namespace FedRad.Coordinator.Grains;

public sealed class SiteGrain(
    [PersistentState("site", StorageNames.Default)] IPersistentState<SiteState> state,
    IOptions<CoordinatorOptions> options,
    IBus bus,
    TimeProvider clock) : Grain, ISiteGrain
{
    // Heartbeats are frequent and only matter while the silo is up: kept in memory, not persisted.
    private DateTimeOffset _lastHeartbeat;

    public async Task<SiteView> Register(string agentVersion, IReadOnlyList<string> capabilities)
    {
        var now = clock.GetUtcNow();
        var first = !state.State.Registered;
        state.State.Registered = true;
        state.State.AgentVersion = agentVersion;
        state.State.Capabilities = capabilities.ToList();
        if (first) state.State.RegisteredAt = now;
        _lastHeartbeat = now;
        await state.WriteStateAsync();
        if (first) await GrainFactory.GetGrain<ISiteDirectoryGrain>(0).Add(this.GetPrimaryKeyString());
        await bus.Publish(new SiteRegistered(this.GetPrimaryKeyString(), agentVersion, now));
        return View();
    }

    public Task Heartbeat()
    {
        _lastHeartbeat = clock.GetUtcNow();
        return Task.CompletedTask;
    }

    public Task<SiteView> GetView() => Task.FromResult(View());

    public async Task AssignTask(SiteTaskInfo task)
    {
        state.State.PendingTasks[task.TaskId] = task;
        await state.WriteStateAsync();
    }

    public async Task RemoveTask(string taskId)
    {
        if (state.State.PendingTasks.Remove(taskId)) await state.WriteStateAsync();
    }

    public Task<IReadOnlyList<SiteTaskInfo>> GetPendingTasks() =>
        Task.FromResult<IReadOnlyList<SiteTaskInfo>>(state.State.PendingTasks.Values.OrderBy(t => t.Round).ToList());

    private SiteView View() => new()
    {
        SiteId = this.GetPrimaryKeyString(),
        Registered = state.State.Registered,
        AgentVersion = state.State.AgentVersion,
        Capabilities = state.State.Capabilities,
        RegisteredAt = state.State.RegisteredAt,
        LastHeartbeat = _lastHeartbeat,
        Healthy = state.State.Registered && clock.GetUtcNow() - _lastHeartbeat <= TimeSpan.FromSeconds(options.Value.UnhealthyAfterSeconds),
    };
}

public sealed class SiteDirectoryGrain(
    [PersistentState("sites", StorageNames.Default)] IPersistentState<SiteDirectoryState> state) : Grain, ISiteDirectoryGrain
{
    public async Task Add(string siteId)
    {
        if (state.State.SiteIds.Add(siteId)) await state.WriteStateAsync();
    }

    public Task<IReadOnlyList<string>> List() => Task.FromResult<IReadOnlyList<string>>(state.State.SiteIds.ToList());
}
