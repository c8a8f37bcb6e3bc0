using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using FedRad.Learning.Metrics;
using FedRad.Protocol.V1;
using FedRad.Shared.Tensors;
using FedRad.Shared.Transfer;
using FedRad.SiteAgent.Coordinator;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging.Abstractions;

// Load benchmark: SITES simulated sites (one process, one gRPC channel each) against a coordinator
// process, a model of PARAMS float32 parameters, ROUNDS FedAvg rounds. A simulated site does what an
// agent does on the wire (register, task stream, resumable download, chunked upload) but replaces
// training by a small perturbation. Reports round latency, per-upload latency, the coordinator's peak
// memory and the bytes moved per second, beside plain loopback TCP throughput measured in the same run.
var sites = Arg("--sites", 200);
var parameters = Arg("--params", 1_000_000);
var rounds = Arg("--rounds", 5);

Console.WriteLine($"load: {sites} sites, {parameters:N0}-parameter model (float32), {rounds} rounds");
var loopback = await LoopbackThroughput(1L << 30);
Console.WriteLine($"baseline: plain loopback TCP {loopback / 1e6:F0} MB/s");

var root = Directory.CreateTempSubdirectory("fedrad-load-").FullName;
var port = FreePort();
var url = $"http://127.0.0.1:{port}";
var coordinator = Process.Start(new ProcessStartInfo("dotnet")
{
    ArgumentList = { Path.Combine(AppContext.BaseDirectory, "fedrad.dll"), "coordinator", "--urls", url, "--silo-port", FreePort().ToString(), "--gateway-port", FreePort().ToString(),
        "--audit-log", Path.Combine(root, "audit.jsonl"), "--auto-approve-sites", "--blob-dir", Path.Combine(root, "blobs"), "--service-id", "load" },
    RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
})!;
coordinator.ErrorDataReceived += (_, _) => { };
coordinator.BeginErrorReadLine();
while (await coordinator.StandardOutput.ReadLineAsync() is { } line && !line.Contains("coordinator listening")) { }
_ = coordinator.StandardOutput.ReadToEndAsync();

try
{
    using var adminChannel = GrpcChannel.ForAddress(url, new GrpcChannelOptions { MaxSendMessageSize = TransferLimits.MaxGrpcMessageBytes });
    var admin = new AdminService.AdminServiceClient(adminChannel);

    // The initial model: one float32 tensor of PARAMS values, uploaded like `fedrad demo --model cnn` does.
    var rng = new Random(1);
    var initial = new ModelWeights([new WeightTensor("w", [parameters], Enumerable.Range(0, parameters).Select(_ => rng.NextDouble() - 0.5).ToArray(), DType.Float32)]);
    var payload = TensorCodec.Serialize(initial);
    using (var upload = admin.UploadModel())
    {
        await upload.RequestStream.WriteAsync(new UploadModelMessage { Header = new UploadModelHeader { TotalBytes = payload.Length, Sha256 = Payload.Sha256Hex(payload) } });
        foreach (var (offset, data) in Payload.Chunks(payload))
            await upload.RequestStream.WriteAsync(new UploadModelMessage { Chunk = new PayloadChunk { Offset = offset, Data = ByteString.CopyFrom(data.Span), TotalBytes = payload.Length } });
        await upload.RequestStream.CompleteAsync();
        var stored = await upload;
        var spec = new StudySpec
        {
            StudyId = "load", Model = "cnn-early", Rounds = rounds, MinSites = sites, RoundTimeoutSeconds = 3600, Strategy = "fedavg",
            NoStandardisation = true, InitialModelId = stored.ModelId, LabelColumn = "label",
            DeepModel = new DeepModel { PatchSize = 16, Width = 8, Roi = "Lesion" },
            Training = new TrainingConfig { LocalEpochs = 1, LearningRate = 0.1, BatchSize = 16, Seed = 1 },
        };
        var simulated = Enumerable.Range(1, sites).Select(i => new SimulatedSite($"load-{i:D3}", url)).ToList();
        await Task.WhenAll(simulated.Select(s => s.Register()));
        var running = simulated.Select(s => s.Run()).ToList();
        await admin.CreateStudyAsync(new CreateStudyRequest { Spec = spec });
        var clock = Stopwatch.StartNew();
        await admin.StartStudyAsync(new StudyRef { StudyId = "load" });
        StudyStatus status;
        var peak = 0L;
        do
        {
            await Task.Delay(500);
            peak = Math.Max(peak, PeakResidentBytes(coordinator.Id));
            status = await admin.GetStudyAsync(new StudyRef { StudyId = "load" });
            var last = status.Rounds.LastOrDefault();
            Console.Write($"\r  round {status.CurrentRound}/{rounds + 1}  {(last is null ? "" : $"{last.Participants.Count}/{last.SelectedSites.Count} sites")}   {clock.Elapsed.TotalSeconds:F0} s   ");
        } while (status.State == StudyState.Running);
        var wall = clock.Elapsed.TotalSeconds;
        Console.WriteLine();
        foreach (var s in simulated) s.Stop();

        var roundSeconds = status.Rounds.Where(r => r.Kind == TaskKind.Train).Select(r => (r.ClosedUnixMs - r.StartedUnixMs) / 1000.0).Order().ToList();
        var uploads = simulated.SelectMany(s => s.UploadSeconds).Order().ToList();
        var bytes = simulated.Sum(s => s.BytesMoved);
        Console.WriteLine($"study {status.State}: {wall:F1} s");
        Console.WriteLine($"training round latency: p50 {Percentile(roundSeconds, 0.5):F2} s, p95 {Percentile(roundSeconds, 0.95):F2} s (n={roundSeconds.Count})");
        Console.WriteLine($"site task latency (download + upload): p50 {Percentile(uploads, 0.5):F3} s, p95 {Percentile(uploads, 0.95):F3} s (n={uploads.Count})");
        Console.WriteLine($"coordinator peak resident memory: {peak / 1e6:F0} MB (model {payload.Length / 1e6:F1} MB)");
        Console.WriteLine($"bytes moved: {bytes / 1e9:F2} GB, {bytes / wall / 1e6:F0} MB/s = {bytes / wall / loopback:P1} of plain loopback TCP");
    }
}
finally
{
    coordinator.Kill(entireProcessTree: true);
}

static int Arg(string name, int fallback)
{
    var args = Environment.GetCommandLineArgs();
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1]) : fallback;
}

static double Percentile(List<double> sorted, double p) => sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

static long PeakResidentBytes(int pid)
{
    var m = Regex.Match(File.ReadAllText($"/proc/{pid}/status"), @"VmHWM:\s+(\d+) kB");
    return m.Success ? long.Parse(m.Groups[1].Value) * 1024 : 0;
}

static int FreePort()
{
    using var l = new TcpListener(IPAddress.Loopback, 0);
    l.Start();
    return ((IPEndPoint)l.LocalEndpoint).Port;
}

/// <summary>Bytes per second through one loopback TCP connection: the ceiling for anything sent over it.</summary>
static async Task<double> LoopbackThroughput(long total)
{
    using var listener = new TcpListener(IPAddress.Loopback, 0);
    listener.Start();
    var receive = Task.Run(async () =>
    {
        using var c = await listener.AcceptTcpClientAsync();
        var s = c.GetStream();
        var buf = new byte[1 << 20];
        long got = 0;
        while (got < total) got += await s.ReadAsync(buf);
    });
    using var client = new TcpClient();
    await client.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
    var stream = client.GetStream();
    var data = new byte[1 << 20];
    var sw = Stopwatch.StartNew();
    for (long sent = 0; sent < total; sent += data.Length) await stream.WriteAsync(data);
    await receive;
    return total / sw.Elapsed.TotalSeconds;
}

/// <summary>A site on the wire: the agent's own coordinator client, with training replaced by a perturbation.</summary>
sealed class SimulatedSite(string siteId, string url)
{
    private readonly CoordinatorClient _client = new(url, 5, NullLogger.Instance);
    private readonly CancellationTokenSource _stop = new();
    private readonly HashSet<string> _done = [];
    public List<double> UploadSeconds { get; } = [];
    public long BytesMoved { get; private set; }

    public Task Register() => _client.Site.RegisterAsync(new RegisterRequest { SiteId = siteId, AgentVersion = "load" }).ResponseAsync;

    public void Stop() => _stop.Cancel();

    public async Task Run()
    {
        try
        {
            using var stream = _client.Site.ReceiveTasks(new ReceiveTasksRequest { SiteId = siteId }, cancellationToken: _stop.Token);
            await foreach (var task in stream.ResponseStream.ReadAllAsync(_stop.Token))
            {
                if (!_done.Add(task.TaskId)) continue;
                var sw = Stopwatch.StartNew();
                var bytes = await _client.Download(siteId, task.GlobalModel, _stop.Token);
                var global = TensorCodec.Deserialize(bytes);
                var header = new UploadHeader { SiteId = siteId, TaskId = task.TaskId, StudyId = task.StudyId, Round = task.Round, Kind = task.Kind, SampleCount = 50 };
                ModelWeights result;
                if (task.Kind == TaskKind.Train)
                {
                    var rng = new Random(siteId.GetHashCode() ^ task.Round);
                    result = new ModelWeights(global.Tensors.Select(t => t with { Values = t.Values.Select(v => v + 1e-3 * (rng.NextDouble() - 0.5)).ToArray() }));
                    header.Metrics["loss"] = 0.5;
                }
                else
                {
                    var h = new ScoreHistogram();
                    for (var i = 0; i < 50; i++) h.Add(i / 50.0, i % 2);
                    result = new ModelWeights([new WeightTensor(ScoreHistogram.PositivesTensor, [h.Bins], h.Positives), new WeightTensor(ScoreHistogram.NegativesTensor, [h.Bins], h.Negatives)]);
                    header.Metrics["loss"] = 0.5;
                    header.Metrics["auc"] = 0.5;
                }
                var upload = TensorCodec.Serialize(result);
                await _client.Upload(header, upload, _stop.Token);
                UploadSeconds.Add(sw.Elapsed.TotalSeconds);
                BytesMoved += bytes.Length + upload.Length;
            }
        }
        catch (Exception e) when (e is OperationCanceledException or RpcException { StatusCode: StatusCode.Cancelled }) { }
    }
}
