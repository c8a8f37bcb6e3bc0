namespace FedRad.Coordinator.Hosting;

/// <summary>Coordinator settings (configuration section "Coordinator").</summary>
public sealed class CoordinatorOptions
{
    public const string Section = "Coordinator";

    /// <summary>gRPC endpoint(s), HTTP/2 without TLS on a trusted network, e.g. "http://127.0.0.1:5000". Port 0 picks a free port.</summary>
    public string Urls { get; set; } = "http://127.0.0.1:5000";

    /// <summary>Orleans silo-to-silo port and client gateway port (embedded mode: localhost clustering).</summary>
    public int SiloPort { get; set; } = 11111;
    public int GatewayPort { get; set; } = 30000;
    public string ClusterId { get; set; } = "fedrad";
    public string ServiceId { get; set; } = "fedrad";

    public MessagingOptions Messaging { get; set; } = new();

    /// <summary>JSON-lines file the audit consumer appends every lifecycle event to.</summary>
    public string AuditLogPath { get; set; } = "fedrad-audit.jsonl";

    /// <summary>Folder of the content-addressed model blob store; empty keeps blobs in memory.</summary>
    public string BlobDirectory { get; set; } = "";

    public int HeartbeatIntervalSeconds { get; set; } = 5;

    /// <summary>A site whose last heartbeat is older than this is reported unhealthy.</summary>
    public int UnhealthyAfterSeconds { get; set; } = 20;

    /// <summary>Largest payload (serialized tensors) a site may upload.</summary>
    public long MaxPayloadBytes { get; set; } = Shared.Transfer.TransferLimits.DefaultMaxPayloadBytes;
}

public sealed class MessagingOptions
{
    /// <summary>"InMemory" (embedded default) or "RabbitMq".</summary>
    public string Transport { get; set; } = "InMemory";

    /// <summary>Broker address when Transport is RabbitMq, e.g. "amqp://guest:guest@127.0.0.1:5672/".</summary>
    public string RabbitMqUri { get; set; } = "amqp://guest:guest@127.0.0.1:5672/";
}
