using System.Net;
using System.Security.Cryptography.X509Certificates;
using FedRad.Privacy.Pki;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Logging;

namespace FedRad.Privacy.Tests.Pki;

/// <summary>
/// Real mutual TLS over loopback: Kestrel with HTTP/2 (what the coordinator's gRPC runs on)
/// configured as docs/privacy.md tells the coordinator to, and the site's
/// <see cref="MutualTls.SiteHandler"/> (what its GrpcChannel uses). The endpoint re-validates the
/// connection's certificate on every request, as the coordinator's gRPC interceptor must, so a
/// revocation also stops a connection that was already open.
/// </summary>
public sealed class MutualTlsHandshakeTests : IAsyncLifetime
{
    private readonly TempCa ca = new();
    private WebApplication? app;
    private SiteCertificateValidator validator = null!;
    private int port;

    public async ValueTask InitializeAsync()
    {
        validator = SiteCertificateValidator.FromDirectory(ca.CaDirectory);
        var server = ca.Ca.IssueCoordinator(["localhost", "127.0.0.1"], DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        ca.Ca.Export(server, Path.Combine(ca.Root, "coordinator"), "coordinator");
        var serverCertificate = PemFiles.ReadCertificateWithKey(Path.Combine(ca.Root, "coordinator", "coordinator.crt"), Path.Combine(ca.Root, "coordinator", "coordinator.key"));

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen =>
        {
            listen.Protocols = HttpProtocols.Http2;
            listen.UseHttps(new HttpsConnectionAdapterOptions
            {
                ServerCertificate = serverCertificate,
                ClientCertificateMode = ClientCertificateMode.RequireCertificate,
                CheckCertificateRevocation = false,
                // The system's verdict (errors) is ignored on purpose: only the consortium CA counts.
                ClientCertificateValidation = (certificate, _, _) => validator.Validate(certificate).Ok,
            });
        }));
        app = builder.Build();
        app.MapGet("/whoami", (HttpContext context) =>
        {
            var check = validator.Validate(context.Connection.ClientCertificate);
            return check.Ok ? Results.Text(check.SiteId) : Results.Text(check.Reason, statusCode: 403);
        });
        await app.StartAsync();
        port = new Uri(app.Urls.Single()).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (app is not null) await app.DisposeAsync();
        ca.Dispose();
    }

    private HttpClient Client(X509Certificate2 siteCertificate, X509Certificate2? trustedCa = null, List<string>? refusals = null) =>
        new(MutualTls.SiteHandler(siteCertificate, trustedCa ?? ca.Ca.Certificate, r => refusals?.Add(r)))
        {
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };

    private X509Certificate2 SiteCertificate(TempCa issuer, string id)
    {
        var issued = issuer.Site(id);
        var dir = Path.Combine(issuer.Root, id + "-" + Guid.NewGuid().ToString("N"));
        issuer.Ca.Export(issued, dir, "site");
        return PemFiles.ReadCertificateWithKey(Path.Combine(dir, "site.crt"), Path.Combine(dir, "site.key"));
    }

    [Fact]
    public async Task A_site_with_a_consortium_certificate_is_identified_over_http2()
    {
        using var client = Client(SiteCertificate(ca, "hospital-a"));
        using var response = await client.GetAsync($"https://127.0.0.1:{port}/whoami");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.Equal("hospital-a", await response.Content.ReadAsStringAsync());
        using var byName = await client.GetAsync($"https://localhost:{port}/whoami");
        Assert.Equal("hospital-a", await byName.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_coordinator_refuses_a_site_certificate_of_another_ca_at_the_handshake()
    {
        using var other = new TempCa();
        using var client = Client(SiteCertificate(other, "hospital-a"));
        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync($"https://127.0.0.1:{port}/whoami"));
    }

    [Fact]
    public async Task A_revocation_stops_new_handshakes_and_requests_on_open_connections_without_restart()
    {
        var certificate = SiteCertificate(ca, "hospital-a");
        using var open = Client(certificate);
        Assert.Equal("hospital-a", await open.GetStringAsync($"https://127.0.0.1:{port}/whoami"));

        ca.Ca.Revoke(certificate.SerialNumber, X509RevocationReason.KeyCompromise, TimeSpan.FromDays(30));

        using var stillOpen = await open.GetAsync($"https://127.0.0.1:{port}/whoami");
        Assert.Equal(HttpStatusCode.Forbidden, stillOpen.StatusCode);
        Assert.Contains("was revoked", await stillOpen.Content.ReadAsStringAsync());
        using var fresh = Client(certificate);
        await Assert.ThrowsAsync<HttpRequestException>(() => fresh.GetAsync($"https://127.0.0.1:{port}/whoami"));
    }

    [Fact]
    public async Task A_site_refuses_a_coordinator_outside_the_consortium_or_for_another_host()
    {
        var certificate = SiteCertificate(ca, "hospital-a");
        using var otherCa = new TempCa();
        var refusals = new List<string>();
        using var trustsOther = Client(certificate, otherCa.Ca.Certificate, refusals);
        await Assert.ThrowsAsync<HttpRequestException>(() => trustsOther.GetAsync($"https://127.0.0.1:{port}/whoami"));
        Assert.Contains(refusals, r => r.Contains("is not valid for the consortium CA"));

        refusals.Clear();
        // Same server, reached under a name its certificate does not carry.
        var request = new HttpRequestMessage(HttpMethod.Get, $"https://127.0.0.1:{port}/whoami");
        request.Headers.Host = "coordinator.example.org";
        using var handler = MutualTls.SiteHandler(certificate, ca.Ca.Certificate, refusals.Add);
        handler.SslOptions.TargetHost = "coordinator.example.org";
        using var named = new HttpClient(handler) { DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
        await Assert.ThrowsAsync<HttpRequestException>(() => named.SendAsync(request));
        Assert.Contains(refusals, r => r.Contains("is not issued for 'coordinator.example.org'"));
    }
}
