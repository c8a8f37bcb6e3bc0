using System.Net;
using System.Net.Sockets;
using FedRad.Coordinator.Hosting;
using FedRad.Protocol.V1;
using FedRad.Shared.Tensors;
using FedRad.Shared.Transfer;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace FedRad.Tests.Infrastructure;

/// <summary>A real coordinator (Kestrel + Orleans silo) on loopback ports, with raw gRPC clients for the tests.</summary>
public sealed class TestCoordinator : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly GrpcChannel _channel;

    public string Url { get; }
    /// <summary>The HTTP/1.1 address (/healthz).</summary>
    public string HttpUrl { get; }
    public string AuditLog { get; }
    public SiteService.SiteServiceClient Site { get; }
    public AdminService.AdminServiceClient Admin { get; }
    /// <summary>The silo's grains, for what the admin API does not show (e.g. a study's ComBat fit).</summary>
    public Orleans.IGrainFactory Grains => Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<Orleans.IGrainFactory>(_app.Services);

    private TestCoordinator(WebApplication app, string url, string httpUrl, string auditLog)
    {
        _app = app;
        Url = url;
        HttpUrl = httpUrl;
        AuditLog = auditLog;
        _channel = GrpcChannel.ForAddress(url, new GrpcChannelOptions
        {
            MaxReceiveMessageSize = 16 << 20, // larger than the server's limit, to test the server's refusal
            MaxSendMessageSize = 16 << 20,
        });
        Site = new SiteService.SiteServiceClient(_channel);
        Admin = new AdminService.AdminServiceClient(_channel);
    }

    public static async Task<TestCoordinator> Start(long maxPayloadBytes = TransferLimits.DefaultMaxPayloadBytes, bool autoApprove = true)
    {
        var dir = Directory.CreateTempSubdirectory("fedrad-test-").FullName;
        var audit = Path.Combine(dir, "audit.jsonl");
        var app = CoordinatorHost.Build(new CoordinatorOptions
        {
            Urls = "http://127.0.0.1:0",
            HttpUrls = "http://127.0.0.1:0",
            SiloPort = FreePort(),
            GatewayPort = FreePort(),
            AuditLogPath = audit,
            MaxPayloadBytes = maxPayloadBytes,
            AutoApproveSites = autoApprove,
            ServiceId = "test-" + Guid.NewGuid().ToString("N")[..8],
        }, logging => logging.SetMinimumLevel(LogLevel.Warning));
        await app.StartAsync();
        var addresses = CoordinatorHost.BoundAddresses(app);
        return new TestCoordinator(app, addresses[0], addresses[1], audit);
    }

    public async Task Register(params string[] sites)
    {
        foreach (var s in sites) await Site.RegisterAsync(new RegisterRequest { SiteId = s, AgentVersion = "test" });
    }

    /// <summary>Creates and starts a logistic-regression study over <paramref name="sites"/> and returns its id.</summary>
    /// <summary>Round mechanics only: no standardisation round, so round 1 is the first training round.</summary>
    public async Task<string> StartStudy(string studyId, string[] sites, int features = 2, int rounds = 1, int minSites = 1, int timeoutSeconds = 60)
    {
        var spec = new StudySpec { StudyId = studyId, Model = "logreg", LabelColumn = "label", Rounds = rounds, MinSites = minSites, RoundTimeoutSeconds = timeoutSeconds, NoStandardisation = true };
        spec.FeatureNames.AddRange(Enumerable.Range(0, features).Select(i => $"f{i}"));
        spec.SiteIds.AddRange(sites);
        await Admin.CreateStudyAsync(new CreateStudyRequest { Spec = spec });
        await Admin.StartStudyAsync(new StudyRef { StudyId = studyId });
        return studyId;
    }

    public async Task WaitForSites(int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((await Admin.ListSitesAsync(new ListSitesRequest())).Sites.Count < count)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"fewer than {count} sites registered");
            await Task.Delay(50);
        }
    }

    public async Task<StudyStatus> WaitFor(string studyId, Func<StudyStatus, bool> condition, double timeoutSeconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        while (true)
        {
            var s = await Admin.GetStudyAsync(new StudyRef { StudyId = studyId });
            if (condition(s)) return s;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"study {studyId} did not reach the expected state; last: {s}");
            await Task.Delay(50);
        }
    }

    /// <summary>
    /// How many audit lines record <paramref name="eventName"/>, once there are at least <paramref name="atLeast"/>
    /// or 30 s have passed: events reach the log through the bus, after the call that caused them returned.
    /// </summary>
    public async Task<int> AuditCount(string eventName, int atLeast)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var count = File.Exists(AuditLog) ? (await File.ReadAllLinesAsync(AuditLog)).Count(l => l.Contains($"\"event\":\"{eventName}\"")) : 0;
            if (count >= atLeast || DateTime.UtcNow > deadline) return count;
            await Task.Delay(50);
        }
    }

    public async Task<ModelWeights> DownloadModel(string siteId, string modelId)
    {
        var call = Site.DownloadModel(new DownloadModelRequest { SiteId = siteId, ModelId = modelId });
        var buffer = new MemoryStream();
        while (await call.ResponseStream.MoveNext(CancellationToken.None)) call.ResponseStream.Current.Data.WriteTo(buffer);
        return TensorCodec.Deserialize(buffer.ToArray());
    }

    public async ValueTask DisposeAsync()
    {
        _channel.Dispose();
        // Bounded: a shutdown that waits on a stuck call fails the run's cleanup instead of hanging the whole suite.
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _app.StopAsync(stop.Token);
        await _app.DisposeAsync();
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
