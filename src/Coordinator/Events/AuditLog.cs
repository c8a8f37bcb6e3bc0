using System.Text.Json;
using FedRad.Coordinator.Contracts.Events;
using FedRad.Privacy.Audit;
using MassTransit;

namespace FedRad.Coordinator.Events;

/// <summary>
/// The coordinator's audit log: one hash-chained JSON line per lifecycle event (the format and its checks are
/// <see cref="AuditLog"/>'s, shared with the sites' logs). The line's id is the message id, so an event the outbox
/// delivers twice is written once, after a restart too.
/// </summary>
public sealed class AuditLogWriter(string path)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly Lazy<AuditLog> _log = new(() => AuditLog.Open(path, out _));

    public string Path { get; } = path;

    /// <summary>Appends the event unless an event with the same id is already in the log. Returns whether it wrote.</summary>
    public bool Append<T>(Guid id, T evt, DateTimeOffset at) where T : class =>
        _log.Value.Append(typeof(T).Name, evt, Json, id, at) is not null;
}

/// <summary>Consumes every lifecycle event from the bus and writes it to the audit log.</summary>
public sealed class AuditConsumer(AuditLogWriter audit) :
    IConsumer<SiteRegistered>, IConsumer<SiteApproved>, IConsumer<SiteSuspended>, IConsumer<SiteUnhealthy>, IConsumer<SiteHealthy>, IConsumer<RoundStarted>,
    IConsumer<UpdateReceived>, IConsumer<UpdateRejected>, IConsumer<RoundCompleted>, IConsumer<RoundFailed>,
    IConsumer<StudyCompleted>, IConsumer<AnalysisCompleted>
{
    public Task Consume(ConsumeContext<SiteRegistered> c) => Write(c, c.Message.At);
    public Task Consume(ConsumeContext<SiteApproved> c) => Write(c, c.Message.At);
    public Task Consume(ConsumeContext<SiteSuspended> c) => Write(c, c.Message.At);
    public Task Consume(ConsumeContext<SiteUnhealthy> c) => Write(c, c.Message.At);
    public Task Consume(ConsumeContext<SiteHealthy> c) => Write(c, c.Message.At);
    public Task Consume(ConsumeContext<RoundStarted> c) => Write(c, c.Message.At);
    public Task Consume(ConsumeContext<UpdateReceived> c) => Write(c, c.Message.At);
    public Task Consume(ConsumeContext<UpdateRejected> c) => Write(c, c.Message.At);
    public Task Consume(ConsumeContext<RoundCompleted> c) => Write(c, c.Message.At);
    public Task Consume(ConsumeContext<RoundFailed> c) => Write(c, c.Message.At);
    public Task Consume(ConsumeContext<StudyCompleted> c) => Write(c, c.Message.At);
    public Task Consume(ConsumeContext<AnalysisCompleted> c) => Write(c, c.Message.At);

    private Task Write<T>(ConsumeContext<T> context, DateTimeOffset at) where T : class
    {
        audit.Append(context.MessageId ?? Guid.NewGuid(), context.Message, at);
        return Task.CompletedTask;
    }
}
