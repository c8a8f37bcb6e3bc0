using System.Net;
using System.Net.Sockets;
using FedRad.Coordinator.Hosting;
using FedRad.Protocol.V1;
using FedRad.Shared.Tensors;
using FedRad.Shared.Transfer;
using FedRad.SiteAgent.Hosting;
using Google.Protobuf;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FedRad.DeepLearning.Tests.Studies;

/// <summary>
/// A real coordinator (Kestrel + Orleans silo on loopback ports) and real site agents dialling it over gRPC, in this
/// process: the agents run their deep tasks with TorchSharp here, which this test executable can load.
/// </summary>
public sealed class Federation : IAsyncDisposable
{
    private readonly WebApplication _coordinator;
    private readonly GrpcChannel _channel;
    private readonly List<IHost> _agents = [];

    public string Url { get; }
    public AdminService.AdminServiceClient Admin { get; }
    public SiteService.SiteServiceClient Site { get; }

    private Federation(WebApplication coordinator, string url)
    {
        _coordinator = coordinator;
        Url = url;
        _channel = GrpcChannel.ForAddress(url, new GrpcChannelOptions { MaxReceiveMessageSize = 16 << 20 });
        Admin = new AdminService.AdminServiceClient(_channel);
        Site = new SiteService.SiteServiceClient(_channel);
    }

    public static async Task<Federation> Start()
    {
        var dir = Directory.CreateTempSubdirectory("fedrad-deep-study-").FullName;
        var app = CoordinatorHost.Build(new CoordinatorOptions
        {
            Urls = "http://127.0.0.1:0",
            HttpUrls = "http://127.0.0.1:0",
            SiloPort = FreePort(),
            GatewayPort = FreePort(),
            AuditLogPath = Path.Combine(dir, "audit.jsonl"),
            AutoApproveSites = true,
            ServiceId = "deep-" + Guid.NewGuid().ToString("N")[..8],
        }, logging => logging.SetMinimumLevel(LogLevel.Warning));
        await app.StartAsync();
        return new Federation(app, CoordinatorHost.BoundAddresses(app)[0]);
    }

    /// <summary>Starts a site agent on <paramref name="dataDirectory"/> and waits until the coordinator knows it.</summary>
    public async Task StartAgent(string siteId, string dataDirectory, string spectCalibrationPath = "", int minCohort = 3)
    {
        var agent = SiteAgentHost.Build(new SiteAgentOptions
        {
            CoordinatorUrl = Url, SiteId = siteId, DataDirectory = dataDirectory, SpectCalibrationPath = spectCalibrationPath,
            MinCohortSize = minCohort, MaxBackoffSeconds = 1,
        }, logging => logging.SetMinimumLevel(LogLevel.Warning));
        await agent.StartAsync();
        _agents.Add(agent);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!(await Admin.ListSitesAsync(new ListSitesRequest())).Sites.Any(s => s.SiteId == siteId))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"site {siteId} did not register");
            await Task.Delay(50);
        }
    }

    /// <summary>Uploads an initial model (UploadModel, chunked) and returns its id.</summary>
    public async Task<string> Upload(ModelWeights model)
    {
        var payload = TensorCodec.Serialize(model);
        using var call = Admin.UploadModel();
        await call.WriteUnlessAnswered(new UploadModelMessage { Header = new UploadModelHeader { TotalBytes = payload.Length, Sha256 = Payload.Sha256Hex(payload) } });
        foreach (var (offset, chunk) in Payload.Chunks(payload))
            await call.WriteUnlessAnswered(new UploadModelMessage { Chunk = new PayloadChunk { Offset = offset, Data = ByteString.CopyFrom(chunk.Span), TotalBytes = payload.Length } });
        await call.RequestStream.CompleteAsync();
        return (await call).ModelId;
    }

    /// <summary>Creates and starts the study, then waits until it has ended (completed, failed or cancelled).</summary>
    public async Task<StudyStatus> Run(StudySpec spec, TimeSpan timeout)
    {
        await Admin.CreateStudyAsync(new CreateStudyRequest { Spec = spec });
        await Admin.StartStudyAsync(new StudyRef { StudyId = spec.StudyId });
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var s = await Admin.GetStudyAsync(new StudyRef { StudyId = spec.StudyId });
            if (s.State is StudyState.Completed or StudyState.Failed or StudyState.Cancelled) return s;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"study {spec.StudyId} did not end within {timeout}; last: {s}");
            await Task.Delay(200);
        }
    }

    public async Task<ModelWeights> Download(string siteId, string modelId)
    {
        var call = Site.DownloadModel(new DownloadModelRequest { SiteId = siteId, ModelId = modelId });
        var buffer = new MemoryStream();
        while (await call.ResponseStream.MoveNext(CancellationToken.None)) call.ResponseStream.Current.Data.WriteTo(buffer);
        return TensorCodec.Deserialize(buffer.ToArray());
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var agent in _agents)
        {
            await agent.StopAsync();
            agent.Dispose();
        }
        _channel.Dispose();
        await _coordinator.StopAsync();
        await _coordinator.DisposeAsync();
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
