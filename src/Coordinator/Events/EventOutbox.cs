using System.Text.Json;
using FedRad.Coordinator.Contracts.Events;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace FedRad.Coordinator.Events;

/// <summary>A lifecycle event waiting to be published, saved in the same grain state write as the change it reports.</summary>
[GenerateSerializer, Immutable, Alias("FedRad.OutboxEntry")]
public sealed record OutboxEntry([property: Id(0)] Guid Id, [property: Id(1)] string Type, [property: Id(2)] string Json);

/// <summary>Grain state that carries its own outbox.</summary>
public interface IHasOutbox
{
    List<OutboxEntry> Outbox { get; }
}

/// <summary>
/// The transactional outbox of the grains. A grain adds its events to its state and writes the state
/// once: the change and its events are stored together or not at all. Then the events are published
/// (MessageId = the entry's id, so consumers can drop repeats) and removed. If the broker is down,
/// or the silo dies between the write and the publish, the entries stay in the state and are
/// published on the next flush: at activation, at the next change, or by the grain's retry timer.
/// Delivery is at least once; the audit consumer drops repeated ids.
/// </summary>
public sealed class EventOutbox(IBus bus, ILogger<EventOutbox> log)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static OutboxEntry Entry<T>(T evt) where T : class =>
        new(Guid.NewGuid(), typeof(T).Name, JsonSerializer.Serialize(evt, Json));

    /// <summary>Publishes and clears the pending events. Returns false (keeping them) if the bus refused.</summary>
    public async Task<bool> Flush<TState>(IPersistentState<TState> state) where TState : class, IHasOutbox
    {
        var pending = state.State.Outbox;
        if (pending.Count == 0) return true;
        var published = 0;
        try
        {
            foreach (var entry in pending)
            {
                var type = EventTypes.Resolve(entry.Type);
                var message = JsonSerializer.Deserialize(entry.Json, type, Json)!;
                await bus.Publish(message, type, ctx => ctx.MessageId = entry.Id);
                published++;
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log.LogWarning("Publishing lifecycle events failed after {Published} of {Pending}; they stay in the outbox: {Error}", published, pending.Count, e.Message);
        }
        if (published == 0) return false;
        pending.RemoveRange(0, published);
        await state.WriteStateAsync();
        return pending.Count == 0;
    }
}

/// <summary>The lifecycle event types, by name, for entries read back from grain state.</summary>
public static class EventTypes
{
    private static readonly Dictionary<string, Type> Known = typeof(SiteRegistered).Assembly.GetTypes()
        .Where(t => t.Namespace == typeof(SiteRegistered).Namespace && t.IsClass)
        .ToDictionary(t => t.Name);

    public static Type Resolve(string name) =>
        Known.TryGetValue(name, out var t) ? t : throw new InvalidOperationException($"unknown lifecycle event type '{name}' in an outbox");
}
