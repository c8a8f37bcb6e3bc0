using System.Text.Json;
using FedRad.IntegrationTests.Infrastructure;
using FedRad.Protocol.V1;
using FedRad.Shared.Tensors;
using Grpc.Net.Client;

namespace FedRad.IntegrationTests;

/// <summary>
/// The coordinator as a real Orleans cluster on Redis (started by scripts/test.sh, address in
/// FEDRAD_TEST_REDIS): a silo killed with SIGKILL mid-study, and a whole coordinator killed and
/// restarted mid-study. Every study must end with the same model as an undisturbed run of the same
/// study: an update lost or counted twice would change it.
/// </summary>
public sealed class ClusterFailoverTests
{
    private const int Rounds = 6;

    private static string Redis => Environment.GetEnvironmentVariable("FEDRAD_TEST_REDIS")
        ?? throw new InvalidOperationException("FEDRAD_TEST_REDIS is not set: run the suite with scripts/test.sh, which starts Redis on 127.0.0.1");

    private static string Rabbit => Environment.GetEnvironmentVariable("FEDRAD_TEST_RABBITMQ_URI")
        ?? throw new InvalidOperationException("FEDRAD_TEST_RABBITMQ_URI is not set: run the suite with scripts/test.sh, which starts RabbitMQ on 127.0.0.1");

    [Fact]
    public async Task A_silo_killed_mid_round_hands_the_study_to_the_other_silo_without_losing_or_repeating_an_update()
    {
        var reference = await ReferenceModel();
        await using var cluster = new Cluster();
        var blobs = Path.Combine(cluster.Root, "blobs");
        string[] Silo(string name, int grpc) =>
        [
            "coordinator", "--urls", $"http://127.0.0.1:{grpc}", "--silo-port", Cluster.FreePort().ToString(), "--gateway-port", Cluster.FreePort().ToString(),
            "--redis", Redis, "--blob-dir", blobs, "--rabbitmq", Rabbit, "--service-id", cluster.ServiceId, "--instance-name", name, "--auto-approve-sites",
            "--audit-log", Path.Combine(cluster.Root, $"audit-{name}.jsonl"),
        ];
        int portA = Cluster.FreePort(), portB = Cluster.FreePort();
        var a = await cluster.StartSilo("silo-a", Silo("a", portA));
        var b = await cluster.StartSilo("silo-b", Silo("b", portB));
        cluster.Others.AddRange([a, b]);
        string urlA = $"http://127.0.0.1:{portA}", urlB = $"http://127.0.0.1:{portB}";
        cluster.UseAdmin(urlB);

        await cluster.StartSites(3, $"{urlA},{urlB}"); // every site talks to silo A first
        await cluster.CreateAndStart("failover", rounds: Rounds, minSites: 3, timeoutSeconds: 180);
        var atKill = await cluster.WaitFor("failover", s => s.CurrentRound >= 2, TimeSpan.FromSeconds(90));
        a.KillHard();
        Assert.Equal(StudyState.Running, atKill.State);

        var status = await cluster.WaitFor("failover", s => s.State is StudyState.Completed or StudyState.Failed, TimeSpan.FromSeconds(300));
        Assert.True(status.State == StudyState.Completed, $"{status}\n" + string.Join("\n", cluster.Sites.Values.Select(s => $"{s.Name} (exited: {s.HasExited}):\n" + string.Join("\n", s.Output.Split('\n').TakeLast(40)))));
        Assert.All(status.Rounds, r => Assert.Equal(["site-1", "site-2", "site-3"], r.Participants));
        AssertSameModel(reference, await Download(urlB, status.FinalModelId));
        // The sites found silo B by themselves.
        Assert.All(cluster.Sites.Values, s => Assert.Contains($"Switching to coordinator {urlB}", s.Output));

        // Silo B's own audit log got every event, silo A's included, through its durable queue:
        // exactly one accepted update per site and round, and an intact hash chain.
        var auditB = Path.Combine(cluster.Root, "audit-b.jsonl");
        await WaitForAudit(auditB, "StudyCompleted");
        var accepted = File.ReadLines(auditB).Select(l => JsonDocument.Parse(l).RootElement)
            .Where(e => e.GetProperty("event").GetString() == "UpdateReceived" && !e.GetProperty("data").GetProperty("duplicate").GetBoolean())
            .Select(e => (e.GetProperty("data").GetProperty("round").GetInt32(), e.GetProperty("data").GetProperty("siteId").GetString()))
            .ToList();
        Assert.Equal((Rounds + 2) * 3, accepted.Count);
        Assert.Equal(accepted.Count, accepted.Distinct().Count());
        var (code, output) = await FedradProcess.Run(TimeSpan.FromSeconds(60), "audit", "verify", auditB);
        Assert.True(code == 0, output);
    }

    [Fact]
    public async Task A_coordinator_killed_and_restarted_mid_study_resumes_where_it_was()
    {
        var reference = await ReferenceModel();
        await using var cluster = new Cluster();
        var port = Cluster.FreePort();
        string[] args =
        [
            "coordinator", "--urls", $"http://127.0.0.1:{port}", "--silo-port", Cluster.FreePort().ToString(), "--gateway-port", Cluster.FreePort().ToString(),
            "--redis", Redis, "--blob-dir", Path.Combine(cluster.Root, "blobs"), "--service-id", cluster.ServiceId, "--instance-name", "only", "--auto-approve-sites",
            "--audit-log", cluster.AuditLog,
        ];
        var first = await cluster.StartSilo("coordinator-1", args);
        cluster.Others.Add(first);
        var url = $"http://127.0.0.1:{port}";
        cluster.UseAdmin(url);
        await cluster.StartSites(3, url);
        await cluster.CreateAndStart("restart", rounds: Rounds, minSites: 3, timeoutSeconds: 180);
        var before = await cluster.WaitFor("restart", s => s.Rounds.Count(r => r.Kind == TaskKind.Train && r.State == "completed") >= 2, TimeSpan.FromSeconds(90));
        first.KillHard();
        Assert.Equal(StudyState.Running, before.State);
        var completedBefore = before.Rounds.Where(r => r.State == "completed").Select(r => r.ResultModelId).ToList();

        cluster.Others.Add(await cluster.StartSilo("coordinator-2", args));
        var status = await cluster.WaitFor("restart", s => s.State is StudyState.Completed or StudyState.Failed, TimeSpan.FromSeconds(300));
        Assert.True(status.State == StudyState.Completed, status.ToString());
        // Rounds completed before the crash were kept, not run again.
        Assert.Equal(completedBefore, status.Rounds.Take(completedBefore.Count).Select(r => r.ResultModelId));
        Assert.Equal(Enumerable.Range(0, Rounds + 2), status.Rounds.Select(r => r.Round));
        Assert.All(status.Rounds, r => Assert.Equal(["site-1", "site-2", "site-3"], r.Participants));
        AssertSameModel(reference, await Download(url, status.FinalModelId));
    }

    /// <summary>The same study, undisturbed, on an embedded coordinator.</summary>
    private static async Task<ModelWeights> ReferenceModel()
    {
        await using var cluster = new Cluster();
        await cluster.StartCoordinator();
        await cluster.StartSites(3);
        await cluster.CreateAndStart("reference", rounds: Rounds, minSites: 3, timeoutSeconds: 90);
        var status = await cluster.WaitFor("reference", s => s.State is StudyState.Completed or StudyState.Failed, TimeSpan.FromSeconds(120));
        Assert.Equal(StudyState.Completed, status.State);
        return await Download(cluster.Url, status.FinalModelId);
    }

    private static void AssertSameModel(ModelWeights expected, ModelWeights actual)
    {
        foreach (var t in expected.Tensors)
            for (var i = 0; i < t.Values.Length; i++)
                Assert.True(Math.Abs(t.Values[i] - actual[t.Name].Values[i]) <= 1e-9 * Math.Max(1, Math.Abs(t.Values[i])),
                    $"{t.Name}[{i}]: reference {t.Values[i]}, got {actual[t.Name].Values[i]}");
    }

    private static async Task WaitForAudit(string path, string evt)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!(File.Exists(path) && File.ReadLines(path).Any(l => l.Contains($"\"event\":\"{evt}\""))))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{path} has no {evt}");
            await Task.Delay(200);
        }
    }

    private static async Task<ModelWeights> Download(string url, string modelId)
    {
        using var channel = GrpcChannel.ForAddress(url);
        var site = new SiteService.SiteServiceClient(channel);
        var call = site.DownloadModel(new DownloadModelRequest { SiteId = "site-1", ModelId = modelId });
        var buffer = new MemoryStream();
        while (await call.ResponseStream.MoveNext(CancellationToken.None)) call.ResponseStream.Current.Data.WriteTo(buffer);
        return TensorCodec.Deserialize(buffer.ToArray());
    }
}
