using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using FedRad.Coordinator.Observability;
using FedRad.Protocol.V1;
using FedRad.Shared.Tensors;
using FedRad.SiteAgent.Hosting;
using FedRad.Tests.Infrastructure;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FedRad.Tests.Observability;

[CollectionDefinition(nameof(TelemetryCollection), DisableParallelization = true)]
public sealed class TelemetryCollection;

/// <summary>Health endpoints and the coordinator's traces and metrics, read in process. Runs alone: the meters are process-wide.</summary>
[Collection(nameof(TelemetryCollection))]
public sealed class TelemetryTests
{
    [Fact]
    public async Task The_coordinator_reports_health_over_http_and_grpc()
    {
        await using var c = await TestCoordinator.Start();
        using var http = new HttpClient();
        var response = await http.GetAsync($"{c.HttpUrl}/healthz");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync());

        using var channel = GrpcChannel.ForAddress(c.Url);
        var grpc = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest());
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, grpc.Status);
    }

    [Fact]
    public async Task A_round_records_its_duration_participants_rejections_and_bytes_and_traces_its_uploads()
    {
        var measurements = new List<(string Name, double Value, Dictionary<string, object?> Tags)>();
        using var meters = new MeterListener();
        meters.InstrumentPublished = (instrument, l) => { if (instrument.Meter.Name == CoordinatorTelemetry.Name) l.EnableMeasurementEvents(instrument); };
        void Record(Instrument i, double v, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            lock (measurements) measurements.Add((i.Name, v, tags.ToArray().ToDictionary(t => t.Key, t => t.Value)));
        }
        meters.SetMeasurementEventCallback<double>((i, v, t, _) => Record(i, v, t));
        meters.SetMeasurementEventCallback<long>((i, v, t, _) => Record(i, v, t));
        meters.SetMeasurementEventCallback<int>((i, v, t, _) => Record(i, v, t));
        meters.Start();
        var spans = new List<Activity>();
        using var traces = new ActivityListener
        {
            ShouldListenTo = s => s.Name == CoordinatorTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a => { lock (spans) spans.Add(a); },
        };
        ActivitySource.AddActivityListener(traces);

        await using var c = await TestCoordinator.Start();
        await c.Register("m1", "m2");
        await c.StartStudy("metrics", ["m1", "m2"]);
        var a = TensorCodec.Serialize(RawUpload.LogReg([1, 2], 0));
        var b = TensorCodec.Serialize(RawUpload.LogReg([3, 4], 1));
        await RawUpload.Send(c.Site, RawUpload.Header("metrics", 1, "m1", 10, a), a);
        await RawUpload.Refused(() => RawUpload.Send(c.Site, "metrics", 1, "m2", 10, RawUpload.LogReg([double.NaN, 0], 0)));
        await RawUpload.Send(c.Site, RawUpload.Header("metrics", 1, "m2", 30, b), b);
        await c.WaitFor("metrics", s => s.Rounds.Any(r => r.Round == 1 && r.State == "completed"));
        meters.RecordObservableInstruments();

        List<(string Name, double Value, Dictionary<string, object?> Tags)> seen;
        lock (measurements) seen = measurements.ToList();
        var duration = Assert.Single(seen, m => m.Name == "fedrad.round.duration" && (string?)m.Tags["kind"] == "Train");
        Assert.Equal("completed", duration.Tags["outcome"]);
        Assert.InRange(duration.Value, 0, 30);
        Assert.Equal(2, Assert.Single(seen, m => m.Name == "fedrad.round.participants" && (string?)m.Tags["kind"] == "Train").Value);
        Assert.Equal(1, seen.Where(m => m.Name == "fedrad.updates.rejected").Sum(m => m.Value));
        var nanPayload = TensorCodec.Serialize(RawUpload.LogReg([double.NaN, 0], 0)).Length;
        Assert.Equal(a.Length + b.Length + nanPayload, seen.Where(m => m.Name == "fedrad.bytes.received").Sum(m => m.Value));

        lock (spans)
        {
            Assert.Equal(3, spans.Count(s => s.OperationName == "fedrad.upload"));
            var round = Assert.Single(spans, s => s.OperationName == "fedrad.round" && (int?)s.GetTagItem("fedrad.round") == 1);
            Assert.Equal("metrics", round.GetTagItem("fedrad.study"));
            Assert.Equal("all sites answered", round.GetTagItem("fedrad.close_reason"));
        }
    }

    [Fact]
    public async Task A_site_agent_reports_its_health_locally()
    {
        await using var c = await TestCoordinator.Start();
        var dir = Directory.CreateTempSubdirectory("fedrad-agent-").FullName;
        File.WriteAllText(Path.Combine(dir, "cohort.csv"), "id,a,label\np1,1,0\n");
        var port = FreePort();
        var agent = SiteAgentHost.Build(new SiteAgentOptions
        {
            CoordinatorUrl = c.Url, SiteId = "healthy-site", DataDirectory = dir, HealthUrls = $"http://127.0.0.1:{port}",
        }, l => l.SetMinimumLevel(LogLevel.Warning));
        await agent.StartAsync();
        try
        {
            using var http = new HttpClient();
            var deadline = DateTime.UtcNow.AddSeconds(20);
            HttpResponseMessage response;
            do
            {
                await Task.Delay(100);
                response = await http.GetAsync($"http://127.0.0.1:{port}/healthz");
            } while (response.StatusCode != HttpStatusCode.OK && DateTime.UtcNow < deadline);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal("healthy-site", body.GetProperty("site_id").GetString());
            Assert.True(body.GetProperty("registered").GetBoolean());
            Assert.Equal(c.Url, body.GetProperty("coordinator").GetString());
        }
        finally { await agent.StopAsync(); }

        // With the coordinator gone for longer than the window, the agent reports 503.
        var lonely = SiteAgentHost.Build(new SiteAgentOptions
        {
            CoordinatorUrl = "http://127.0.0.1:1", SiteId = "lonely", DataDirectory = dir, HealthUrls = $"http://127.0.0.1:{port}",
        }, l => l.SetMinimumLevel(LogLevel.Critical));
        await lonely.StartAsync();
        try
        {
            using var http = new HttpClient();
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await http.GetAsync($"http://127.0.0.1:{port}/healthz")).StatusCode);
        }
        finally { await lonely.StopAsync(); }
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
