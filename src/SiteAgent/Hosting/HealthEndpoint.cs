using FedRad.Shared.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace FedRad.SiteAgent.Hosting;

/// <summary>
/// GET /healthz on the agent's local HTTP port: 200 with its status while it is registered and
/// the coordinator answered recently, else 503. For the hospital's monitoring; it listens on the
/// address given (use loopback), never on the coordinator's side.
/// </summary>
public sealed class HealthEndpoint(IOptions<SiteAgentOptions> options, AgentStatus status) : IHostedService
{
    private WebApplication? _app;

    public async Task StartAsync(CancellationToken ct)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(k =>
        {
            foreach (var url in options.Value.HealthUrls.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                KestrelUrls.Listen(k, url, HttpProtocols.Http1);
        });
        _app = builder.Build();
        var window = TimeSpan.FromSeconds(options.Value.HealthWindowSeconds);
        _app.MapGet("/healthz", () => Results.Json(status, statusCode: status.IsHealthy(window) ? 200 : 503));
        await _app.StartAsync(ct);
    }

    public async Task StopAsync(CancellationToken ct)
    {
        if (_app is not null) await _app.StopAsync(ct);
    }

    public IReadOnlyList<string> Addresses => _app?.Urls.ToList() ?? [];
}
