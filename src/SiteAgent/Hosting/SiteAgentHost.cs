using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FedRad.SiteAgent.Hosting;

/// <summary>Builds the site agent process: a generic host running <see cref="SiteAgentWorker"/>.</summary>
public static class SiteAgentHost
{
    public static IHost Build(SiteAgentOptions options, Action<ILoggingBuilder>? logging = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [] });
        if (logging is not null) logging(builder.Logging);
        builder.Services.AddSingleton(Options.Create(options));
        builder.Services.AddSingleton(new AgentStatus { SiteId = options.SiteId });
        builder.Services.AddHostedService<SiteAgentWorker>();
        if (options.HealthUrls.Length > 0) builder.Services.AddHostedService<HealthEndpoint>();
        return builder.Build();
    }
}
