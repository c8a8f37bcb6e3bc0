using System.Text.Json;
using FedRad.IntegrationTests.Infrastructure;
using FedRad.Learning.Synthetic;
using FedRad.Protocol.V1;
using FedRad.Coordinator.Security;
using Grpc.Core;
using Grpc.Net.Client;

namespace FedRad.IntegrationTests;

/// <summary>
/// The coordinator and three sites on four network hosts (namespaces joined by a bridge). One
/// site's link is cut during a round and restored: the study completes, the site rejoins, and the
/// audit log tells what happened.
/// </summary>
public sealed class NetworkPartitionTests
{
    [Fact]
    public async Task A_site_cut_off_mid_round_and_reconnected_rejoins_and_the_audit_log_tells_the_story()
    {
        using var net = new NetworkNamespaces();
        var root = Directory.CreateTempSubdirectory("fedrad-netns-").FullName;
        var audit = Path.Combine(root, "audit.jsonl");
        var (coordNs, coordIp) = net.AddHost(1);
        var processes = new List<FedradProcess>();
        try
        {
            // The operator's workstation is another host: admin calls carry a token.
            var secret = Path.Combine(root, "admin.secret");
            await File.WriteAllTextAsync(secret, AdminTokens.NewSecret());
            var token = AdminTokens.FromSecretFile(secret).Issue(AdminRole.Operator, "netns-test", DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddHours(1));
            var coordinator = FedradProcess.StartIn(coordNs, "coordinator", "coordinator", "--urls", $"http://{coordIp}:5000",
                "--audit-log", audit, "--unhealthy-after", "3", "--service-id", "netns", "--auto-approve-sites", "--admin-secret-file", secret);
            processes.Add(coordinator);
            await coordinator.WaitForOutput("coordinator listening on", TimeSpan.FromSeconds(60));
            var url = $"http://{coordIp}:5000";

            var sites = new Dictionary<string, string>();
            var number = 11;
            foreach (var profile in SyntheticCohort.Profiles(3))
            {
                var (ns, _) = net.AddHost(number++);
                var dir = Path.Combine(root, profile.SiteId);
                SyntheticCohort.WriteSite(profile, dir);
                processes.Add(FedradProcess.StartIn(ns, profile.SiteId, "site", "--coordinator", url, "--site-id", profile.SiteId, "--data", dir));
                sites[profile.SiteId] = ns;
            }

            // The test itself reaches the coordinator through the bridge, like an operator's workstation.
            using var channel = GrpcChannel.ForAddress(url, new GrpcChannelOptions
            {
                Credentials = ChannelCredentials.Create(ChannelCredentials.Insecure,
                    CallCredentials.FromInterceptor((_, metadata) => { metadata.Add("authorization", $"Bearer {token}"); return Task.CompletedTask; })),
                UnsafeUseInsecureChannelCallCredentials = true,
            });
            var admin = new AdminService.AdminServiceClient(channel);
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while ((await admin.ListSitesAsync(new ListSitesRequest())).Sites.Count < 3)
            {
                if (DateTime.UtcNow > deadline) throw new TimeoutException("sites did not register across the bridge");
                await Task.Delay(200);
            }
            var spec = new StudySpec
            {
                StudyId = "partition", Model = "logreg", LabelColumn = SyntheticCohort.LabelColumn, Rounds = 8, MinSites = 2, RoundTimeoutSeconds = 5,
                Training = new TrainingConfig { LocalEpochs = 3, LearningRate = 0.1, L2 = 1e-3, BatchSize = 32, Seed = 3 },
            };
            spec.FeatureNames.AddRange(SyntheticCohort.FeatureNames);
            await admin.CreateStudyAsync(new CreateStudyRequest { Spec = spec });
            await admin.StartStudyAsync(new StudyRef { StudyId = "partition" });

            while ((await admin.GetStudyAsync(new StudyRef { StudyId = "partition" })).CurrentRound < 2) await Task.Delay(50);
            net.Cut(sites["site-3"]);
            await Task.Delay(TimeSpan.FromSeconds(9));
            net.Restore(sites["site-3"]);

            StudyStatus status;
            deadline = DateTime.UtcNow.AddSeconds(150);
            do
            {
                await Task.Delay(250);
                status = await admin.GetStudyAsync(new StudyRef { StudyId = "partition" });
            } while (status.State is StudyState.Running && DateTime.UtcNow < deadline);

            Assert.Equal(StudyState.Completed, status.State);
            var withoutSite3 = status.Rounds.Where(r => r.CloseReason.StartsWith("deadline reached with quorum: 2 of 3")).ToList();
            Assert.NotEmpty(withoutSite3);
            Assert.All(withoutSite3, r => Assert.DoesNotContain("site-3", r.Participants));
            // After the link came back, site 3 took part again.
            Assert.Contains(status.Rounds.Where(r => r.Round > withoutSite3.Max(w => w.Round)), r => r.Participants.Contains("site-3"));

            // The audit log: site 3 went silent, rounds closed without it, it came back.
            await Task.Delay(500);
            var events = File.ReadLines(audit).Select(l => JsonDocument.Parse(l).RootElement)
                .Select(e => (Event: e.GetProperty("event").GetString()!, Data: e.GetProperty("data"))).ToList();
            int IndexOf(string evt, Func<JsonElement, bool> match) => events.FindIndex(e => e.Event == evt && match(e.Data));
            var silent = IndexOf("SiteUnhealthy", d => d.GetProperty("siteId").GetString() == "site-3");
            var closedWithout = IndexOf("RoundCompleted", d => d.GetProperty("reason").GetString()!.StartsWith("deadline reached with quorum"));
            var back = IndexOf("SiteHealthy", d => d.GetProperty("siteId").GetString() == "site-3");
            Assert.True(silent >= 0 && closedWithout >= 0 && back > silent, $"audit order: unhealthy {silent}, closed without it {closedWithout}, healthy again {back}");
            var (code, output) = await FedradProcess.Run(TimeSpan.FromSeconds(60), "audit", "verify", audit);
            Assert.True(code == 0, output);
        }
        finally
        {
            foreach (var p in processes) await p.DisposeAsync();
        }
    }
}
