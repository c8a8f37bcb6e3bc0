using FedRad.Coordinator.Contracts.Events;
using FedRad.Coordinator.Contracts.Grains;
using FedRad.Coordinator.Contracts.Model;
using FedRad.Coordinator.Grains.State;
using FedRad.Coordinator.Hosting;
using FedRad.Coordinator.Events;
using Microsoft.Extensions.Options;

namespace FedRad.Coordinator.Grains;

public sealed class SiteGrain(
    [PersistentState("site", StorageNames.Default)] IPersistentState<SiteState> state,
    IOptions<CoordinatorOptions> options,
    EventOutbox outbox,
    TimeProvider clock) : Grain, ISiteGrain
{
    // Heartbeats are frequent and only matter while the silo is up: kept in memory, not persisted.
    private DateTimeOffset _lastHeartbeat;
    private bool _unhealthyReported;
    private IGrainTimer? _silenceTimer;

    private TimeSpan UnhealthyAfter => TimeSpan.FromSeconds(options.Value.UnhealthyAfterSeconds);

    public async Task<SiteView> Register(string agentVersion, IReadOnlyList<string> capabilities, string certificateSerial, bool autoApprove)
    {
        var now = clock.GetUtcNow();
        var first = !state.State.Registered;
        state.State.Registered = true;
        state.State.AgentVersion = agentVersion;
        state.State.Capabilities = capabilities.ToList();
        state.State.CertificateSerial = certificateSerial;
        if (first)
        {
            state.State.RegisteredAt = now;
            state.State.Approval = autoApprove ? SiteApproval.Approved : SiteApproval.Pending;
        }
        state.State.Outbox.Add(EventOutbox.Entry(new SiteRegistered(this.GetPrimaryKeyString(), agentVersion, now)));
        await state.WriteStateAsync();
        if (first) await GrainFactory.GetGrain<ISiteDirectoryGrain>(0).Add(this.GetPrimaryKeyString());
        await Heartbeat();
        await outbox.Flush(state);
        return View();
    }

    public async Task<SiteView> Approve(string by)
    {
        if (!state.State.Registered) throw new KeyNotFoundException($"site '{this.GetPrimaryKeyString()}' has not registered");
        if (state.State.Approval != SiteApproval.Approved)
        {
            state.State.Approval = SiteApproval.Approved;
            state.State.SuspensionReason = "";
            state.State.Outbox.Add(EventOutbox.Entry(new SiteApproved(this.GetPrimaryKeyString(), by, clock.GetUtcNow())));
            await state.WriteStateAsync();
            await outbox.Flush(state);
        }
        return View();
    }

    public async Task<SiteView> Suspend(string reason)
    {
        if (!state.State.Registered) throw new KeyNotFoundException($"site '{this.GetPrimaryKeyString()}' has not registered");
        state.State.Approval = SiteApproval.Suspended;
        state.State.SuspensionReason = reason;
        state.State.Outbox.Add(EventOutbox.Entry(new SiteSuspended(this.GetPrimaryKeyString(), reason, clock.GetUtcNow())));
        await state.WriteStateAsync();
        await outbox.Flush(state);
        return View();
    }

    public async Task Heartbeat()
    {
        _lastHeartbeat = clock.GetUtcNow();
        if (_unhealthyReported)
        {
            _unhealthyReported = false;
            state.State.Outbox.Add(EventOutbox.Entry(new SiteHealthy(this.GetPrimaryKeyString(), _lastHeartbeat)));
            await state.WriteStateAsync();
            await outbox.Flush(state);
        }
        // A site that stays silent for UnhealthyAfter is reported once, when it happens.
        WatchSilence(UnhealthyAfter);
    }

    private void WatchSilence(TimeSpan due)
    {
        _silenceTimer?.Dispose();
        _silenceTimer = this.RegisterGrainTimer(OnSilence, new GrainTimerCreationOptions(due, Timeout.InfiniteTimeSpan) { KeepAlive = true });
    }

    private async Task OnSilence(CancellationToken _)
    {
        if (_unhealthyReported) return;
        var silent = clock.GetUtcNow() - _lastHeartbeat;
        if (silent < UnhealthyAfter)
        {
            // Timers may fire a little early: look again when the window has really passed.
            WatchSilence(UnhealthyAfter - silent + TimeSpan.FromMilliseconds(50));
            return;
        }
        _unhealthyReported = true;
        state.State.Outbox.Add(EventOutbox.Entry(new SiteUnhealthy(this.GetPrimaryKeyString(), _lastHeartbeat, clock.GetUtcNow())));
        await state.WriteStateAsync();
        await outbox.Flush(state);
    }

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        await base.OnActivateAsync(cancellationToken);
        await outbox.Flush(state);
    }

    public Task<SiteView> GetView() => Task.FromResult(View());

    public async Task AssignTask(SiteTaskInfo task)
    {
        if (state.State.PendingTasks.TryGetValue(task.TaskId, out var known) && known == task) return;
        state.State.PendingTasks[task.TaskId] = task;
        await state.WriteStateAsync();
    }

    public async Task RemoveTask(string taskId)
    {
        if (state.State.PendingTasks.Remove(taskId)) await state.WriteStateAsync();
    }

    /// <summary>Only an approved site is handed tasks; a pending or suspended one keeps them waiting.</summary>
    public Task<IReadOnlyList<SiteTaskInfo>> GetPendingTasks() =>
        Task.FromResult<IReadOnlyList<SiteTaskInfo>>(state.State.Approval != SiteApproval.Approved ? [] : state.State.PendingTasks.Values.OrderBy(t => t.Round).ToList());

    private SiteView View() => new()
    {
        SiteId = this.GetPrimaryKeyString(),
        Registered = state.State.Registered,
        AgentVersion = state.State.AgentVersion,
        Capabilities = state.State.Capabilities,
        RegisteredAt = state.State.RegisteredAt,
        LastHeartbeat = _lastHeartbeat,
        Healthy = state.State.Registered && clock.GetUtcNow() - _lastHeartbeat <= UnhealthyAfter,
        Approval = state.State.Approval,
        CertificateSerial = state.State.CertificateSerial,
        SuspensionReason = state.State.SuspensionReason,
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
