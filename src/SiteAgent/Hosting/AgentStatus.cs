using System.Text.Json.Serialization;

namespace FedRad.SiteAgent.Hosting;

/// <summary>What the site agent's health endpoint reports: its registration and its last contact with the coordinator.</summary>
public sealed class AgentStatus
{
    private readonly Lock _gate = new();

    [JsonPropertyName("site_id")] public string SiteId { get; init; } = "";
    [JsonPropertyName("registered")] public bool Registered { get; private set; }
    [JsonPropertyName("coordinator")] public string Coordinator { get; private set; } = "";
    [JsonPropertyName("last_contact")] public DateTimeOffset? LastContact { get; private set; }
    [JsonPropertyName("tasks_done")] public int TasksDone { get; private set; }
    [JsonPropertyName("tasks_refused")] public int TasksRefused { get; private set; }

    public void Contact(string coordinator, bool registered = true)
    {
        lock (_gate) { Coordinator = coordinator; Registered |= registered; LastContact = DateTimeOffset.UtcNow; }
    }

    public void TaskDone(bool refused)
    {
        lock (_gate) { if (refused) TasksRefused++; else TasksDone++; }
    }

    /// <summary>Healthy while the coordinator answered within <paramref name="window"/>.</summary>
    public bool IsHealthy(TimeSpan window) => Registered && LastContact is { } t && DateTimeOffset.UtcNow - t <= window;
}
