using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace FedRad.Shared.Hosting;

/// <summary>Listens on an "http://host:port" address with the given HTTP protocols.</summary>
public static class KestrelUrls
{
    public static void Listen(KestrelServerOptions kestrel, string url, HttpProtocols protocols)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme != "http")
            throw new ArgumentException($"'{url}' is not an http://host:port address (TLS is configured separately)");
        void Configure(Microsoft.AspNetCore.Server.Kestrel.Core.ListenOptions l) => l.Protocols = protocols;
        if (uri.Host is "0.0.0.0" or "*" or "+") kestrel.ListenAnyIP(uri.Port, Configure);
        else if (uri.Host == "localhost") kestrel.ListenLocalhost(uri.Port, Configure);
        else if (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip)) kestrel.Listen(ip, uri.Port, Configure);
        else throw new ArgumentException($"'{url}': listen on an IP address, localhost or 0.0.0.0, not a host name");
    }
}
