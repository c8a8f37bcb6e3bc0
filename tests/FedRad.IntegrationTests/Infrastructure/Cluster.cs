using System.Net;
using System.Net.Sockets;
using FedRad.Learning.Synthetic;
using FedRad.Protocol.V1;
using Grpc.Net.Client;

namespace FedRad.IntegrationTests.Infrastructure;

/// <summary>A coordinator process and site-agent processes on loopback, each with its own synthetic cohort.</summary>
public sealed class Cluster : IAsyncDisposable
{
    private GrpcChannel? _channel;

    public string Root { get; } = Directory.CreateTempSubdirectory("fedrad-it-").FullName;
    public string AuditLog => Path.Combine(Root, "audit.jsonl");
    public FedradProcess? Coordinator { get; private set; }
    public Dictionary<string, FedradProcess> Sites { get; } = [];
    public string Url { get; private set; } = "";
    public AdminService.AdminServiceClient Admin { get; private set; } = null!;

    public string ServiceId { get; } = "it-" + Guid.NewGuid().ToString("N")[..8];

    public async Task StartCoordinator(params string[] extraArgs)
    {
        var args = new List<string>
        {
            "coordinator", "--urls", $"http://127.0.0.1:{FreePort()}", "--silo-port", FreePort().ToString(),
            "--gateway-port", FreePort().ToString(), "--audit-log", AuditLog, "--service-id", ServiceId, "--auto-approve-sites",
        };
        args.AddRange(extraArgs);
        Coordinator = await StartSilo("coordinator", [.. args]);
        Url = (await Coordinator.WaitForOutput(@"coordinator listening on (\S+)", TimeSpan.FromSeconds(60))).Groups[1].Value;
        UseAdmin(Url);
    }

    /// <summary>Starts a coordinator process (one silo) and waits until it serves gRPC.</summary>
    public async Task<FedradProcess> StartSilo(string name, params string[] args)
    {
        var silo = FedradProcess.Start(name, args);
        await silo.WaitForOutput(@"coordinator listening on (\S+)", TimeSpan.FromSeconds(60));
        return silo;
    }

    /// <summary>Points the admin client at <paramref name="url"/> (another silo of the cluster).</summary>
    public void UseAdmin(string url)
    {
        _channel?.Dispose();
        _channel = GrpcChannel.ForAddress(url);
        Admin = new AdminService.AdminServiceClient(_channel);
    }

    /// <summary>Writes synthetic cohorts for <paramref name="count"/> sites and starts an agent process for each.</summary>
    public Task StartSites(int count) => StartSites(count, Url);

    public async Task StartSites(int count, string coordinatorUrls)
    {
        foreach (var profile in SyntheticCohort.Profiles(count))
        {
            var dir = Path.Combine(Root, "sites", profile.SiteId);
            SyntheticCohort.WriteSite(profile, dir);
            Sites[profile.SiteId] = FedradProcess.Start(profile.SiteId, "site", "--coordinator", coordinatorUrls, "--site-id", profile.SiteId, "--data", dir);
        }
        await WaitForRegistered(count);
    }

    /// <summary>Starts an agent for <paramref name="siteId"/> whose cohort is a copy of <paramref name="cohortCsv"/>.</summary>
    public FedradProcess StartSite(string siteId, string cohortCsv, params string[] extraArgs)
    {
        var dir = Path.Combine(Root, "sites", siteId);
        Directory.CreateDirectory(dir);
        File.Copy(cohortCsv, Path.Combine(dir, "cohort.csv"), overwrite: true);
        return Sites[siteId] = FedradProcess.Start(siteId, ["site", "--coordinator", Url, "--site-id", siteId, "--data", dir, .. extraArgs]);
    }

    public async Task WaitForRegistered(int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while ((await Admin.ListSitesAsync(new ListSitesRequest())).Sites.Count < count)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("site agents did not register:\n" + string.Join("\n", Sites.Values.Select(s => s.Name + ": " + s.Output)));
            await Task.Delay(100);
        }
    }

    public async Task<StudyStatus> CreateAndStart(string studyId, int rounds, int minSites, int timeoutSeconds, int localEpochs = 3)
    {
        var spec = new StudySpec
        {
            StudyId = studyId, Model = "logreg", LabelColumn = SyntheticCohort.LabelColumn, Rounds = rounds,
            MinSites = minSites, RoundTimeoutSeconds = timeoutSeconds, Strategy = "fedavg",
            Training = new TrainingConfig { LocalEpochs = localEpochs, LearningRate = 0.1, L2 = 1e-3, BatchSize = 32, Seed = 3 },
        };
        spec.FeatureNames.AddRange(SyntheticCohort.FeatureNames);
        await Admin.CreateStudyAsync(new CreateStudyRequest { Spec = spec });
        return await Admin.StartStudyAsync(new StudyRef { StudyId = studyId });
    }

    public async Task<StudyStatus> WaitFor(string studyId, Func<StudyStatus, bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            StudyStatus s;
            try { s = await Admin.GetStudyAsync(new StudyRef { StudyId = studyId }); }
            catch (Grpc.Core.RpcException) when (DateTime.UtcNow < deadline)
            {
                // A silo of the cluster may be restarting or taking over a dead one's grains.
                await Task.Delay(250);
                continue;
            }
            if (condition(s)) return s;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"study {studyId} did not reach the expected state: {s}\n" +
                    string.Join("\n", Sites.Values.Select(p => $"{p.Name}:\n" + string.Join("\n", p.Output.Split('\n').TakeLast(15)))) +
                    $"\ncoordinator:\n{string.Join("\n", Coordinator?.Output.Split('\n').TakeLast(40) ?? [])}");
            await Task.Delay(100);
        }
    }

    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    public List<FedradProcess> Others { get; } = [];

    public async ValueTask DisposeAsync()
    {
        _channel?.Dispose();
        foreach (var s in Sites.Values) await s.DisposeAsync();
        foreach (var o in Others) await o.DisposeAsync();
        if (Coordinator is not null) await Coordinator.DisposeAsync();
    }
}
