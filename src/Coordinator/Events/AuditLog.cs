using System.Text.Json;
using FedRad.Coordinator.Contracts.Events;
using MassTransit;

namespace FedRad.Coordinator.Events;

/// <summary>Appends one JSON line per lifecycle event: {"at", "event", "data"}.</summary>
public sealed class AuditLogWriter(string path)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly Lock _gate = new();

    public string Path { get; } = path;

    public void Append<T>(T evt, DateTimeOffset at) where T : class
    {
        var line = JsonSerializer.Serialize(new { at, @event = typeof(T).Name, data = evt }, Json);
        lock (_gate)
        {
            var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path));
            if (dir is not null) Directory.CreateDirectory(dir);
            File.AppendAllText(Path, line + "\n");
        }
    }
}

/// <summary>Consumes every lifecycle event from the bus and writes it to the audit log.</summary>
public sealed class AuditConsumer(AuditLogWriter audit) :
    IConsumer<SiteRegistered>, IConsumer<RoundStarted>, IConsumer<UpdateReceived>, IConsumer<UpdateRejected>,
    IConsumer<RoundCompleted>, IConsumer<RoundFailed>, IConsumer<StudyCompleted>, IConsumer<AnalysisCompleted>
{
    public Task Consume(ConsumeContext<SiteRegistered> c) => Write(c.Message, c.Message.At);
    public Task Consume(ConsumeContext<RoundStarted> c) => Write(c.Message, c.Message.At);
    public Task Consume(ConsumeContext<UpdateReceived> c) => Write(c.Message, c.Message.At);
    public Task Consume(ConsumeContext<UpdateRejected> c) => Write(c.Message, c.Message.At);
    public Task Consume(ConsumeContext<RoundCompleted> c) => Write(c.Message, c.Message.At);
    public Task Consume(ConsumeContext<RoundFailed> c) => Write(c.Message, c.Message.At);
    public Task Consume(ConsumeContext<StudyCompleted> c) => Write(c.Message, c.Message.At);
    public Task Consume(ConsumeContext<AnalysisCompleted> c) => Write(c.Message, c.Message.At);

    private Task Write<T>(T evt, DateTimeOffset at) where T : class
    {
        audit.Append(evt, at);
        return Task.CompletedTask;
    }
}
