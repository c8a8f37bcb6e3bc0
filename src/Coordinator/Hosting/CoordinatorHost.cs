using FedRad.Coordinator.Events;
using FedRad.Shared.Hosting;
using FedRad.Coordinator.Grains;
using FedRad.Coordinator.Observability;
using FedRad.Coordinator.Services;
using FedRad.Coordinator.Storage;
using FedRad.Coordinator.Uploads;
using FedRad.Shared.Transfer;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Hosting;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace FedRad.Coordinator.Hosting;

/// <summary>Builds the coordinator process: Kestrel (gRPC over HTTP/2) and an Orleans silo in one host.</summary>
public static class CoordinatorHost
{
    public static WebApplication Build(CoordinatorOptions options, Action<ILoggingBuilder>? logging = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [] });
        if (logging is not null) logging(builder.Logging);

        builder.Services.AddSingleton(Options.Create(options));
        builder.Services.AddSingleton(TimeProvider.System);

        builder.WebHost.ConfigureKestrel(k =>
        {
            // gRPC without TLS needs HTTP/2 with prior knowledge; health checks and browsers use HTTP/1.1.
            foreach (var url in Split(options.Urls))
                KestrelUrls.Listen(k, url, HttpProtocols.Http2, options.Tls.Enabled ? Https(options.Tls, k) : null);
            foreach (var url in Split(options.HttpUrls)) KestrelUrls.Listen(k, url, HttpProtocols.Http1);
        });
        builder.Services.AddHealthChecks().AddCheck<SiloHealthCheck>("silo");
        builder.Services.AddGrpcHealthChecks();
        var otel = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("fedrad-coordinator", serviceInstanceId: options.InstanceName.Length > 0 ? options.InstanceName : null))
            .WithTracing(t =>
            {
                t.AddSource(CoordinatorTelemetry.Name);
                if (options.OtlpEndpoint.Length > 0) t.AddOtlpExporter(o => o.Endpoint = new Uri(options.OtlpEndpoint));
            })
            .WithMetrics(m =>
            {
                m.AddMeter(CoordinatorTelemetry.Name);
                if (options.OtlpEndpoint.Length > 0) m.AddOtlpExporter(o => o.Endpoint = new Uri(options.OtlpEndpoint));
            });
        builder.Services.AddGrpc(o =>
        {
            o.MaxReceiveMessageSize = TransferLimits.MaxGrpcMessageBytes;
            o.MaxSendMessageSize = TransferLimits.MaxGrpcMessageBytes;
        });

        builder.UseOrleans(silo => ConfigureSilo(silo, options));

        builder.Services.AddSingleton<IBlobStore>(string.IsNullOrEmpty(options.BlobDirectory)
            ? new InMemoryBlobStore()
            : new FileSystemBlobStore(options.BlobDirectory));
        builder.Services.AddSingleton<UploadStaging>();
        builder.Services.AddSingleton<SiteAuthentication>();
        builder.Services.AddSingleton<EventOutbox>();
        builder.Services.AddSingleton(new AuditLogWriter(options.AuditLogPath));

        builder.Services.AddMassTransit(bus =>
        {
            // Queues are named per deployment so that two coordinators on one broker do not share consumers.
            bus.SetEndpointNameFormatter(new KebabCaseEndpointNameFormatter(options.ServiceId, false));
            // Nothing leaves a consortium's network unasked: no usage reports to the library's vendor.
            bus.DisableUsageTelemetry();
            // Every coordinator process has its own durable audit queue: each keeps a complete, verifiable log.
            var instance = string.IsNullOrEmpty(options.InstanceName) ? $"silo-{options.SiloPort}" : options.InstanceName;
            bus.AddConsumer<AuditConsumer>().Endpoint(e => e.Name = $"{options.ServiceId}-audit-{instance}");
            bus.AddConfigureEndpointsCallback((_, _, cfg) => cfg.UseMessageRetry(r => r.Exponential(8, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(200))));
            if (options.Messaging.Transport.Equals("RabbitMq", StringComparison.OrdinalIgnoreCase))
                bus.UsingRabbitMq((ctx, cfg) =>
                {
                    cfg.Host(new Uri(options.Messaging.RabbitMqUri));
                    cfg.ConfigureEndpoints(ctx);
                });
            else if (options.Messaging.Transport.Equals("InMemory", StringComparison.OrdinalIgnoreCase))
                bus.UsingInMemory((ctx, cfg) => cfg.ConfigureEndpoints(ctx));
            else
                throw new ArgumentException($"Coordinator:Messaging:Transport must be InMemory or RabbitMq, got '{options.Messaging.Transport}'");
        });

        Security.AdminAccess.AddTo(builder, options.AdminSecretFile);
        var app = builder.Build();
        app.MapGrpcService<SiteGrpcService>();
        app.MapGrpcService<AdminGrpcService>();
        Dashboard.DashboardEndpoints.Map(app);
        app.MapGrpcHealthChecksService();
        app.MapHealthChecks("/healthz");
        return app;
    }

    /// <summary>
    /// TLS with optional client certificates: sites must present one (checked on every call by
    /// <see cref="SiteAuthentication"/>); operators' tools may connect without one.
    /// </summary>
    private static Action<Microsoft.AspNetCore.Server.Kestrel.Https.HttpsConnectionAdapterOptions> Https(TlsOptions tls, Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions kestrel) => https =>
    {
        https.ServerCertificate = FedRad.Privacy.Pki.PemFiles.ReadCertificateWithKey(tls.CertificatePath, tls.KeyPath);
        https.ClientCertificateMode = Microsoft.AspNetCore.Server.Kestrel.Https.ClientCertificateMode.AllowCertificate;
        https.CheckCertificateRevocation = false; // the consortium's own CRL is checked instead
        https.ClientCertificateValidation = (certificate, _, _) =>
            kestrel.ApplicationServices.GetRequiredService<SiteAuthentication>().AcceptHandshake(certificate);
    };

    private static void ConfigureSilo(ISiloBuilder silo, CoordinatorOptions options)
    {
        var cluster = options.Cluster;
        if (!cluster.IsRedis)
        {
            if (!cluster.Mode.Equals("Embedded", StringComparison.OrdinalIgnoreCase))
                throw new ArgumentException($"Coordinator:Cluster:Mode must be Embedded or Redis, got '{cluster.Mode}'");
            silo.UseLocalhostClustering(options.SiloPort, options.GatewayPort, serviceId: options.ServiceId, clusterId: options.ClusterId);
            silo.AddMemoryGrainStorage(StorageNames.Default);
            silo.UseInMemoryReminderService();
            return;
        }
        if (string.IsNullOrEmpty(options.BlobDirectory))
            throw new ArgumentException("a Redis cluster needs Coordinator:BlobDirectory: model blobs live in a folder every silo shares, not in Redis");
        var redis = StackExchange.Redis.ConfigurationOptions.Parse(cluster.RedisConnection);
        silo.Configure<Orleans.Configuration.ClusterOptions>(o => { o.ClusterId = options.ClusterId; o.ServiceId = options.ServiceId; });
        silo.ConfigureEndpoints(System.Net.IPAddress.Parse(cluster.AdvertisedAddress), options.SiloPort, options.GatewayPort, listenOnAnyHostAddress: false);
        silo.UseRedisClustering(o => o.ConfigurationOptions = redis);
        silo.AddRedisGrainStorage(StorageNames.Default, o => o.ConfigurationOptions = redis);
        silo.UseRedisReminderService(o => o.ConfigurationOptions = redis);
        // A killed silo is declared dead after a few missed probes, then its grains reactivate elsewhere.
        var probe = TimeSpan.FromSeconds(Math.Max(1, cluster.FailureDetectionSeconds / 3.0));
        silo.Configure<Orleans.Configuration.ClusterMembershipOptions>(o =>
        {
            o.ProbeTimeout = probe;
            o.NumMissedProbesLimit = 2;
            o.NumVotesForDeathDeclaration = 1;
            o.TableRefreshTimeout = probe;
            o.IAmAliveTablePublishTimeout = probe;
        });
    }

    /// <summary>The gRPC address Kestrel actually listens on (resolves port 0 after start).</summary>
    public static string BoundAddress(WebApplication app) => BoundAddresses(app)[0];

    /// <summary>Every bound address: the gRPC ones first, then the HTTP/1.1 ones.</summary>
    public static IReadOnlyList<string> BoundAddresses(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.ToList();

    private static string[] Split(string urls) => urls.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
