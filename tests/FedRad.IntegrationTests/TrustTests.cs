using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using FedRad.IntegrationTests.Infrastructure;
using FedRad.Learning.Synthetic;
using FedRad.Privacy.Pki;
using FedRad.Protocol.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace FedRad.IntegrationTests;

/// <summary>
/// Mutual TLS with the consortium CA made by `fedrad pki`, enrollment by an operator, and
/// revocation without a restart, between real processes over loopback.
/// </summary>
public sealed class TrustTests
{
    [Fact]
    public async Task Only_approved_sites_with_their_own_valid_certificate_take_part()
    {
        var root = Directory.CreateTempSubdirectory("fedrad-trust-").FullName;
        string P(params string[] parts) => Path.Combine([root, .. parts]);
        async Task Fedrad(params string[] args)
        {
            var (code, output) = await FedradProcess.Run(TimeSpan.FromSeconds(60), args);
            Assert.True(code == 0, $"fedrad {string.Join(' ', args)}: {output}");
        }
        await Fedrad("pki", "init", "--out", P("ca"));
        await Fedrad("pki", "issue-coordinator", "--host", "127.0.0.1", "--ca", P("ca"), "--out", P("coordinator"));
        await Fedrad("pki", "issue-site", "--site-id", "site-1", "--ca", P("ca"), "--out", P("site-1"));
        await Fedrad("pki", "issue-site", "--site-id", "site-2", "--ca", P("ca"), "--out", P("site-2"));
        await Fedrad("pki", "init", "--out", P("rogue-ca"));
        await Fedrad("pki", "issue-site", "--site-id", "site-3", "--ca", P("rogue-ca"), "--out", P("site-3"));

        var port = Cluster.FreePort();
        var url = $"https://127.0.0.1:{port}";
        await using var coordinator = FedradProcess.Start("coordinator", "coordinator", "--urls", url,
            "--silo-port", Cluster.FreePort().ToString(), "--gateway-port", Cluster.FreePort().ToString(), "--audit-log", P("audit.jsonl"),
            "--tls-cert", P("coordinator", "coordinator.crt"), "--tls-key", P("coordinator", "coordinator.key"),
            "--ca", P("ca", "ca.crt"), "--crl", P("ca", "crl.pem"), "--service-id", "trust");
        await coordinator.WaitForOutput("coordinator listening on", TimeSpan.FromSeconds(60));

        var ca = PemFiles.ReadCertificate(P("ca", "ca.crt"));
        GrpcChannel Channel(string? site) => GrpcChannel.ForAddress(url, new GrpcChannelOptions
        {
            HttpHandler = site is null
                ? AdminHandler(ca)
                : MutualTls.SiteHandler(PemFiles.ReadCertificateWithKey(P(site, "site.crt"), P(site, "site.key")), PemFiles.ReadCertificate(P(site, "ca.crt"))),
        });
        using var adminChannel = Channel(null);
        var admin = new AdminService.AdminServiceClient(adminChannel);

        // Another site's certificate: site-1's certificate cannot register site-2.
        using (var borrowed = Channel("site-1"))
        {
            var e = await Assert.ThrowsAsync<RpcException>(async () => await new SiteService.SiteServiceClient(borrowed).RegisterAsync(new RegisterRequest { SiteId = "site-2" }));
            Assert.Equal(StatusCode.PermissionDenied, e.StatusCode);
            Assert.Contains("the client certificate is for site 'site-1', the request claims site 'site-2'", e.Status.Detail);
        }
        // A certificate from another CA does not get through the TLS handshake.
        using (var rogue = GrpcChannel.ForAddress(url, new GrpcChannelOptions
        {
            HttpHandler = MutualTls.SiteHandler(PemFiles.ReadCertificateWithKey(P("site-3", "site.crt"), P("site-3", "site.key")), ca),
        }))
        {
            var e = await Assert.ThrowsAsync<RpcException>(async () => await new SiteService.SiteServiceClient(rogue).RegisterAsync(new RegisterRequest { SiteId = "site-3" }));
            Assert.Equal(StatusCode.Unavailable, e.StatusCode);
        }
        // No certificate at all: the site service refuses.
        var anonymous = await Assert.ThrowsAsync<RpcException>(async () => await new SiteService.SiteServiceClient(adminChannel).RegisterAsync(new RegisterRequest { SiteId = "site-1" }));
        Assert.Equal(StatusCode.Unauthenticated, anonymous.StatusCode);
        Assert.Empty((await admin.ListSitesAsync(new ListSitesRequest())).Sites);

        // The real agent registers with its certificate and waits, pending, until an operator approves it.
        var profile = SyntheticCohort.Profiles(1)[0];
        SyntheticCohort.WriteSite(profile, P("data"));
        await using var agent = FedradProcess.Start("site-1", "site", "--coordinator", url, "--site-id", "site-1", "--data", P("data"),
            "--cert", P("site-1", "site.crt"), "--key", P("site-1", "site.key"), "--ca", P("site-1", "ca.crt"));
        SiteInfo site;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while ((site = (await admin.ListSitesAsync(new ListSitesRequest())).Sites.SingleOrDefault() ?? new SiteInfo()).SiteId != "site-1")
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("site-1 did not register:\n" + agent.Output);
            await Task.Delay(200);
        }
        Assert.Equal("pending", site.Approval);
        Assert.Equal(PemFiles.ReadCertificate(P("site-1", "site.crt")).SerialNumber, site.CertificateSerial);

        var spec = new StudySpec { StudyId = "trusted", Model = "logreg", LabelColumn = SyntheticCohort.LabelColumn, Rounds = 2, MinSites = 1, RoundTimeoutSeconds = 60 };
        spec.FeatureNames.AddRange(SyntheticCohort.FeatureNames);
        spec.SiteIds.Add("site-1");
        await admin.CreateStudyAsync(new CreateStudyRequest { Spec = spec });
        var pending = await Assert.ThrowsAsync<RpcException>(async () => await admin.StartStudyAsync(new StudyRef { StudyId = "trusted" }));
        Assert.Contains("site 'site-1' is pending", pending.Status.Detail);

        Environment.SetEnvironmentVariable("FEDRAD_CA", P("ca", "ca.crt"));
        await Fedrad("sites", "approve", "site-1", "--coordinator", url);
        await admin.StartStudyAsync(new StudyRef { StudyId = "trusted" });
        StudyStatus status;
        deadline = DateTime.UtcNow.AddSeconds(90);
        do
        {
            await Task.Delay(200);
            status = await admin.GetStudyAsync(new StudyRef { StudyId = "trusted" });
        } while (status.State == StudyState.Running && DateTime.UtcNow < deadline);
        Assert.Equal(StudyState.Completed, status.State);

        // Revocation takes effect without restarting the coordinator, on an already open connection too.
        using var siteChannel = Channel("site-1");
        var client = new SiteService.SiteServiceClient(siteChannel);
        await client.HeartbeatAsync(new HeartbeatRequest { SiteId = "site-1" });
        await Fedrad("pki", "revoke", "--cert", P("site-1", "site.crt"), "--ca", P("ca"), "--reason", "key-compromise");
        var revoked = await Assert.ThrowsAsync<RpcException>(async () => await client.HeartbeatAsync(new HeartbeatRequest { SiteId = "site-1" }));
        Assert.Equal(StatusCode.Unauthenticated, revoked.StatusCode);
        Assert.Contains("revoked", revoked.Status.Detail);

        var audit = await File.ReadAllTextAsync(P("audit.jsonl"));
        Assert.Contains("\"event\":\"SiteApproved\"", audit);
    }

    /// <summary>An operator's client: no client certificate, trusts the consortium CA's coordinator certificate.</summary>
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
