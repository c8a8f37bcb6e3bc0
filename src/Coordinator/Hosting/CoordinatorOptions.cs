namespace FedRad.Coordinator.Hosting;

/// <summary>Coordinator settings (configuration section "Coordinator").</summary>
public sealed class CoordinatorOptions
{
    public const string Section = "Coordinator";

    /// <summary>gRPC endpoint(s), HTTP/2 without TLS on a trusted network, e.g. "http://127.0.0.1:5000". Port 0 picks a free port.</summary>
    public string Urls { get; set; } = "http://127.0.0.1:5000";

    /// <summary>HTTP/1.1 endpoint(s) for /healthz (and the dashboard); empty: none.</summary>
    public string HttpUrls { get; set; } = "";

    /// <summary>OTLP collector for traces and metrics (e.g. "http://127.0.0.1:4317"); empty: not exported.</summary>
    public string OtlpEndpoint { get; set; } = "";

    /// <summary>Orleans silo-to-silo port and client gateway port (embedded mode: localhost clustering).</summary>
    public int SiloPort { get; set; } = 11111;
    public int GatewayPort { get; set; } = 30000;
    public string ClusterId { get; set; } = "fedrad";
    public string ServiceId { get; set; } = "fedrad";

    public ClusterOptions Cluster { get; set; } = new();

    /// <summary>This process's name in the cluster: names its audit queue (each silo keeps a complete audit log).</summary>
    public string InstanceName { get; set; } = "";

    public MessagingOptions Messaging { get; set; } = new();

    /// <summary>JSON-lines file the audit consumer appends every lifecycle event to.</summary>
    public string AuditLogPath { get; set; } = "fedrad-audit.jsonl";

    /// <summary>Folder of the content-addressed model blob store; empty keeps blobs in memory.</summary>
    public string BlobDirectory { get; set; } = "";

    public int HeartbeatIntervalSeconds { get; set; } = 5;

    /// <summary>A site whose last heartbeat is older than this is reported unhealthy.</summary>
    public int UnhealthyAfterSeconds { get; set; } = 20;

    /// <summary>
    /// Approve newly registered sites at once. Off in production: a new site waits until an operator
    /// runs `fedrad sites approve`. On for the embedded demo and development setups.
    /// </summary>
    public bool AutoApproveSites { get; set; }

    /// <summary>
    /// Secret of the admin tokens (`fedrad token secret`); empty: the FEDRAD_ADMIN_SECRET_FILE variable, or
    /// none, and then the admin API answers callers on this machine only.
    /// </summary>
    public string AdminSecretFile { get; set; } = "";

    /// <summary>Mutual TLS for the gRPC endpoint; empty paths: plain HTTP/2 on a trusted network.</summary>
    public TlsOptions Tls { get; set; } = new();

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

public sealed class ClusterOptions
{
    /// <summary>"Embedded" (one silo, in-memory state: the demo) or "Redis" (clustering, grain state and reminders in Redis).</summary>
    public string Mode { get; set; } = "Embedded";

    /// <summary>StackExchange.Redis configuration, e.g. "127.0.0.1:6379".</summary>
    public string RedisConnection { get; set; } = "127.0.0.1:6379";

    /// <summary>Address other silos reach this one at.</summary>
    public string AdvertisedAddress { get; set; } = "127.0.0.1";

    /// <summary>How long an unresponsive silo has before the others declare it dead and take over its grains.</summary>
    public int FailureDetectionSeconds { get; set; } = 9;

    public bool IsRedis => Mode.Equals("Redis", StringComparison.OrdinalIgnoreCase);
}

public sealed class TlsOptions
{
    /// <summary>The coordinator's certificate and key (PEM, from `fedrad pki issue-coordinator`).</summary>
    public string CertificatePath { get; set; } = "";
    public string KeyPath { get; set; } = "";

    /// <summary>The consortium CA certificate: only site certificates it issued are accepted.</summary>
    public string CaCertificatePath { get; set; } = "";

    /// <summary>The CA's revocation list (PEM); reloaded when the file changes, without a restart.</summary>
    public string CrlPath { get; set; } = "";

    public bool Enabled => CertificatePath.Length > 0;
}
