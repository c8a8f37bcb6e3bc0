using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace FedRad.Privacy.Pki;

/// <summary>
/// The site's TLS client side: an HTTP handler that presents the site certificate and trusts only
/// a coordinator certificate from the consortium CA for the dialled host. Pass it to
/// <c>GrpcChannelOptions.HttpHandler</c>. TLS 1.2 or 1.3 only.
/// </summary>
public static class MutualTls
{
    public static SocketsHttpHandler SiteHandler(X509Certificate2 siteCertificate, X509Certificate2 caCertificate, Action<string>? onRefused = null)
    {
        var validator = new CoordinatorCertificateValidator(caCertificate);
        return new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificates = [siteCertificate],
                EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                RemoteCertificateValidationCallback = (sender, certificate, _, _) =>
                {
                    var host = (sender as SslStream)?.TargetHostName ?? "";
                    var check = validator.Validate(certificate as X509Certificate2 ?? (certificate is null ? null : X509CertificateLoader.LoadCertificate(certificate.GetRawCertData())), host);
                    if (!check.Ok) onRefused?.Invoke(check.Reason);
                    return check.Ok;
                },
            },
        };
    }
}
