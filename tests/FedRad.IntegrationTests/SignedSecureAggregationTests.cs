using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using FedRad.IntegrationTests.Infrastructure;
using FedRad.Learning.Synthetic;
using FedRad.Privacy.Pki;
using FedRad.Privacy.SecureAggregation;
using FedRad.Protocol.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace FedRad.IntegrationTests;

/// <summary>
/// Secure aggregation under mutual TLS: the site agents sign their session keys with their consortium
/// certificates and check each other's, and the coordinator refuses keys that are unsigned or signed by
/// another site's certificate. The test itself plays site-1 with site-1's certificate; two real agents
/// are the other sites.
/// </summary>
public sealed class SignedSecureAggregationTests
{
    [Fact]
    public async Task Under_mutual_TLS_keys_must_be_signed_by_the_site_that_advertises_them()
    {
        var root = Directory.CreateTempSubdirectory("fedrad-secagg-tls-").FullName;
        string P(params string[] parts) => Path.Combine([root, .. parts]);
        async Task Fedrad(params string[] args)
        {
            var (code, output) = await FedradProcess.Run(TimeSpan.FromSeconds(60), args);
            Assert.True(code == 0, $"fedrad {string.Join(' ', args)}: {output}");
        }
        await Fedrad("pki", "init", "--out", P("ca"));
        await Fedrad("pki", "issue-coordinator", "--host", "127.0.0.1", "--ca", P("ca"), "--out", P("coordinator"));
        foreach (var site in new[] { "site-1", "site-2", "site-3" }) await Fedrad("pki", "issue-site", "--site-id", site, "--ca", P("ca"), "--out", P(site));

        var url = $"https://127.0.0.1:{Cluster.FreePort()}";
        await using var coordinator = FedradProcess.Start("coordinator", "coordinator", "--urls", url,
            "--silo-port", Cluster.FreePort().ToString(), "--gateway-port", Cluster.FreePort().ToString(), "--audit-log", P("audit.jsonl"),
            "--tls-cert", P("coordinator", "coordinator.crt"), "--tls-key", P("coordinator", "coordinator.key"),
            "--ca", P("ca", "ca.crt"), "--crl", P("ca", "crl.pem"), "--service-id", "secagg-tls", "--auto-approve-sites");
        await coordinator.WaitForOutput("coordinator listening on", TimeSpan.FromSeconds(60));

        var ca = PemFiles.ReadCertificate(P("ca", "ca.crt"));
        using var adminChannel = GrpcChannel.ForAddress(url, new GrpcChannelOptions { HttpHandler = AdminHandler(ca) });
        var admin = new AdminService.AdminServiceClient(adminChannel);
        var agents = new List<FedradProcess>();
        foreach (var profile in SyntheticCohort.Profiles(3).Skip(1))
        {
            SyntheticCohort.WriteSite(profile, P("data", profile.SiteId));
            agents.Add(FedradProcess.Start(profile.SiteId, "site", "--coordinator", url, "--site-id", profile.SiteId, "--data", P("data", profile.SiteId),
                "--cert", P(profile.SiteId, "site.crt"), "--key", P(profile.SiteId, "site.key"), "--ca", P(profile.SiteId, "ca.crt")));
        }
        try
        {
            var site1Certificate = PemFiles.ReadCertificateWithKey(P("site-1", "site.crt"), P("site-1", "site.key"));
            using var site1Channel = GrpcChannel.ForAddress(url, new GrpcChannelOptions { HttpHandler = MutualTls.SiteHandler(site1Certificate, ca) });
            var site1 = new SiteService.SiteServiceClient(site1Channel);
            await site1.RegisterAsync(new RegisterRequest { SiteId = "site-1", AgentVersion = "test" });
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while ((await admin.ListSitesAsync(new ListSitesRequest())).Sites.Count < 3)
            {
                if (DateTime.UtcNow > deadline) throw new TimeoutException("agents did not register:\n" + string.Join("\n", agents.Select(a => a.Output)));
                await Task.Delay(200);
            }

            var spec = new StudySpec
            {
                StudyId = "signed", Model = "logreg", LabelColumn = SyntheticCohort.LabelColumn, Rounds = 1, MinSites = 2, RoundTimeoutSeconds = 5,
                Privacy = new StudyPrivacy { SecureAggregation = true },
                Training = new TrainingConfig { LocalEpochs = 2, LearningRate = 0.1, L2 = 1e-3, BatchSize = 32, Seed = 3 },
            };
            spec.FeatureNames.AddRange(SyntheticCohort.FeatureNames);
            spec.SiteIds.AddRange(["site-1", "site-2", "site-3"]);
            await admin.CreateStudyAsync(new CreateStudyRequest { Spec = spec });
            await admin.StartStudyAsync(new StudyRef { StudyId = "signed" });

            // site-1's ADVERTISE task of the first (standardisation) round.
            using var stream = site1.ReceiveTasks(new ReceiveTasksRequest { SiteId = "site-1" });
            Assert.True(await stream.ResponseStream.MoveNext(CancellationToken.None));
            var task = stream.ResponseStream.Current;
            Assert.Equal(SecAggStage.Advertise, task.Secagg.Stage);
            var config = SecAggJson.Deserialize<SecAggConfig>(task.Secagg.Message);
            SecAggReply Reply(AdvertiseKeys keys) => new()
            {
                SiteId = "site-1", TaskId = task.TaskId, StudyId = task.StudyId, Round = task.Round, Stage = SecAggStage.Advertise, Message = SecAggJson.Serialize(keys),
            };

            using var unsigned = new SecAggSite(config, "site-1");
            var e = await Assert.ThrowsAsync<RpcException>(async () => await site1.SubmitSecAggAsync(Reply(unsigned.AdvertiseKeys())));
            Assert.Equal(StatusCode.PermissionDenied, e.StatusCode);
            Assert.Contains("the keys of 'site-1' are not signed", e.Status.Detail);

            var site2Certificate = PemFiles.ReadCertificateWithKey(P("site-2", "site.crt"), P("site-2", "site.key"));
            using var borrowed = new SecAggSite(config, "site-1", authentication: SecAggAuthentication.ForSite(site2Certificate, ca));
            e = await Assert.ThrowsAsync<RpcException>(async () => await site1.SubmitSecAggAsync(Reply(borrowed.AdvertiseKeys())));
            Assert.Equal(StatusCode.PermissionDenied, e.StatusCode);
            Assert.Contains("the keys advertised as 'site-1' are signed with the certificate of 'site-2'", e.Status.Detail);

            using var own = new SecAggSite(config, "site-1", authentication: SecAggAuthentication.ForSite(site1Certificate, ca));
            await site1.SubmitSecAggAsync(Reply(own.AdvertiseKeys()));

            // site-1 goes no further: the agents, which signed their keys and accepted site-1's signed ones, finish the
            // round without it after the sharing deadline, and every later round too.
            StudyStatus status;
            deadline = DateTime.UtcNow.AddSeconds(120);
            do
            {
                await Task.Delay(250);
                status = await admin.GetStudyAsync(new StudyRef { StudyId = "signed" });
            } while (status.State == StudyState.Running && DateTime.UtcNow < deadline);
            Assert.True(status.State == StudyState.Completed, $"{status}\n{string.Join("\n", agents.Select(a => a.Name + ":\n" + a.Output))}");
            var standardise = status.Rounds.Single(r => r.Round == 0);
            Assert.True(standardise.SecureAggregation);
            Assert.Equal(["site-2", "site-3"], standardise.Participants);
            Assert.Contains(standardise.StrategyLog, l => l.StartsWith("secure aggregation: Share phase closed (phase deadline) with 2 sites; without site-1"));
            Assert.Equal(["site-2", "site-3"], status.Rounds.Single(r => r.Round == 1).Participants);
        }
        finally
        {
            foreach (var a in agents) await a.DisposeAsync();
        }
    }

    private static SocketsHttpHandler AdminHandler(X509Certificate2 ca)
    {
        var validator = new CoordinatorCertificateValidator(ca);
        return new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (sender, cert, _, _) =>
                    cert is not null && validator.Validate(X509CertificateLoader.LoadCertificate(cert.GetRawCertData()), (sender as SslStream)?.TargetHostName ?? "").Ok,
            },
        };
    }
}
