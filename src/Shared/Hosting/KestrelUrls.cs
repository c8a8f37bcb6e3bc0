using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace FedRad.Shared.Hosting;

/// <summary>Listens on an "http://host:port" address with the given HTTP protocols.</summary>
public static class KestrelUrls
{
    /// <param name="https">TLS settings for the endpoint; null for plain HTTP.</param>
    public static void Listen(KestrelServerOptions kestrel, string url, HttpProtocols protocols,
        Action<Microsoft.AspNetCore.Server.Kestrel.Https.HttpsConnectionAdapterOptions>? https = null)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new ArgumentException($"'{url}' is not an http(s)://host:port address");
        if ((uri.Scheme == "https") != (https is not null))
            throw new ArgumentException($"'{url}': use https:// exactly when TLS certificates are configured");
        void Configure(Microsoft.AspNetCore.Server.Kestrel.Core.ListenOptions l)
        {
            l.Protocols = protocols;
            if (https is not null)
            {
                var options = new Microsoft.AspNetCore.Server.Kestrel.Https.HttpsConnectionAdapterOptions();
                https(options);
                l.UseHttps(options);
            }
        }
        if (uri.Host is "0.0.0.0" or "*" or "+") kestrel.ListenAnyIP(uri.Port, Configure);
        else if (uri.Host == "localhost") kestrel.ListenLocalhost(uri.Port, Configure);
        else if (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip)) kestrel.Listen(ip, uri.Port, Configure);
        else throw new ArgumentException($"'{url}': listen on an IP address, localhost or 0.0.0.0, not a host name");
    }
}
