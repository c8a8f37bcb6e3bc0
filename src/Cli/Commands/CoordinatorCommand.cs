using System.CommandLine;
using Microsoft.Extensions.Hosting;
using FedRad.Coordinator.Hosting;

namespace FedRad.Cli.Commands;

/// <summary>`fedrad coordinator`: runs the coordinator (gRPC endpoint + Orleans silo) until stopped.</summary>
public static class CoordinatorCommand
{
    public static Command Create()
    {
        var urls = new Option<string>("--urls") { Description = "gRPC listen address (HTTP/2)", DefaultValueFactory = _ => "http://127.0.0.1:5000" };
        var siloPort = new Option<int>("--silo-port") { Description = "Orleans silo port", DefaultValueFactory = _ => 11111 };
        var gatewayPort = new Option<int>("--gateway-port") { Description = "Orleans gateway port", DefaultValueFactory = _ => 30000 };
        var audit = new Option<string>("--audit-log") { Description = "JSON-lines audit log of lifecycle events", DefaultValueFactory = _ => "fedrad-audit.jsonl" };
        var blobs = new Option<string>("--blob-dir") { Description = "folder of the model blob store (default: in memory)", DefaultValueFactory = _ => "" };
        var rabbit = new Option<string?>("--rabbitmq") { Description = "publish lifecycle events through this RabbitMQ broker (amqp://user:pass@host:port/vhost) instead of in memory" };
        var serviceId = new Option<string>("--service-id") { Description = "deployment name (Orleans service id, queue prefix)", DefaultValueFactory = _ => "fedrad" };
        var redis = new Option<string?>("--redis") { Description = "run as a silo of a cluster whose membership, grain state and reminders live in this Redis (host:port); needs --blob-dir shared by all silos" };
        var instance = new Option<string?>("--instance-name") { Description = "this silo's name in the cluster (names its audit queue)" };
        var unhealthy = new Option<int>("--unhealthy-after") { Description = "seconds without a heartbeat before a site is reported unhealthy", DefaultValueFactory = _ => 20 };

        var httpUrls = new Option<string>("--http-urls") { Description = "HTTP/1.1 address(es) for /healthz", DefaultValueFactory = _ => "" };
        var otlp = new Option<string>("--otlp-endpoint") { Description = "export traces and metrics to this OTLP collector", DefaultValueFactory = _ => "" };
        var autoApprove = new Option<bool>("--auto-approve-sites") { Description = "approve new sites at once (development); otherwise an operator runs `fedrad sites approve`" };
        var tlsCert = new Option<string>("--tls-cert") { Description = "coordinator certificate (PEM, fedrad pki issue-coordinator): serve gRPC over TLS and require site certificates", DefaultValueFactory = _ => "" };
        var tlsKey = new Option<string>("--tls-key") { Description = "its private key (PEM)", DefaultValueFactory = _ => "" };
        var ca = new Option<string>("--ca") { Description = "consortium CA certificate (PEM): only site certificates it issued are accepted", DefaultValueFactory = _ => "" };
        var adminSecret = new Option<string>("--admin-secret-file") { Description = "secret of the admin tokens (fedrad token secret); without it the admin API answers this machine only", DefaultValueFactory = _ => "" };
        var crl = new Option<string>("--crl") { Description = "the CA's revocation list (PEM), reloaded when it changes", DefaultValueFactory = _ => "" };

        var command = new Command("coordinator", "Run the consortium coordinator") { urls, siloPort, gatewayPort, audit, blobs, rabbit, serviceId, redis, instance, unhealthy, httpUrls, otlp, autoApprove, tlsCert, tlsKey, ca, crl, adminSecret };
        command.SetAction(async (parse, ct) =>
        {
            var rabbitUri = parse.GetValue(rabbit);
            var options = new CoordinatorOptions
            {
                Urls = parse.GetValue(urls)!,
                HttpUrls = parse.GetValue(httpUrls)!,
                OtlpEndpoint = parse.GetValue(otlp)!,
                AutoApproveSites = parse.GetValue(autoApprove),
                AdminSecretFile = parse.GetValue(adminSecret)!,
                Tls = new TlsOptions
                {
                    CertificatePath = parse.GetValue(tlsCert)!, KeyPath = parse.GetValue(tlsKey)!,
                    CaCertificatePath = parse.GetValue(ca)!, CrlPath = parse.GetValue(crl)!,
                },
                SiloPort = parse.GetValue(siloPort),
                GatewayPort = parse.GetValue(gatewayPort),
                AuditLogPath = parse.GetValue(audit)!,
                BlobDirectory = parse.GetValue(blobs)!,
                ServiceId = parse.GetValue(serviceId)!,
                InstanceName = parse.GetValue(instance) ?? "",
                UnhealthyAfterSeconds = parse.GetValue(unhealthy),
                Cluster = parse.GetValue(redis) is { } r ? new ClusterOptions { Mode = "Redis", RedisConnection = r } : new ClusterOptions(),
                Messaging = rabbitUri is null
                    ? new MessagingOptions()
                    : new MessagingOptions { Transport = "RabbitMq", RabbitMqUri = rabbitUri },
            };
            Microsoft.AspNetCore.Builder.WebApplication app;
            try { app = CoordinatorHost.Build(options); }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 2;
            }
            await app.StartAsync(ct);
            Console.WriteLine($"coordinator listening on {string.Join(" ", CoordinatorHost.BoundAddresses(app))}");
            await app.WaitForShutdownAsync(ct);
            return 0;
        });
        return command;
    }
}
