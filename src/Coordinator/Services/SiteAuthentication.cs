using System.Security.Cryptography.X509Certificates;
using FedRad.Coordinator.Hosting;
using FedRad.Privacy.Pki;
using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FedRad.Coordinator.Services;

/// <summary>
/// Who is calling the site service. With mutual TLS, every call (not only the handshake: HTTP/2
/// connections and task streams live for hours) must present a certificate of the consortium CA
/// that is not revoked, and the site id in that certificate must be the one the request claims.
/// Without TLS (the embedded demo, a trusted test network) the claimed id is taken as is.
/// </summary>
public sealed class SiteAuthentication
{
    private readonly SiteCertificateValidator? _validator;
    private readonly ILogger<SiteAuthentication> _log;

    public SiteAuthentication(IOptions<CoordinatorOptions> options, ILogger<SiteAuthentication> log)
    {
        var tls = options.Value.Tls;
        _validator = tls.Enabled ? new SiteCertificateValidator(PemFiles.ReadCertificate(tls.CaCertificatePath), tls.CrlPath) : null;
        _log = log;
    }

    /// <summary>
    /// With mutual TLS, how secure aggregation checks that a key advertisement is signed by the site it names
    /// (the same validator as the handshake); null without TLS, where advertisements are not signed.
    /// </summary>
    public Func<X509Certificate2, CertificateCheck>? SignerValidator => _validator is null ? null : c => _validator.Validate(c);

    /// <summary>Checks a certificate at the TLS handshake (Kestrel's client certificate callback).</summary>
    public bool AcceptHandshake(X509Certificate2? certificate)
    {
        if (_validator is null) return true;
        var check = _validator.Validate(certificate);
        if (!check.Ok) _log.LogWarning("TLS client certificate refused: {Reason}", check.Reason);
        return check.Ok;
    }

    /// <summary>The serial of the caller's certificate ("" without TLS); throws Unauthenticated or PermissionDenied.</summary>
    public string Authenticate(ServerCallContext context, string claimedSiteId)
    {
        if (_validator is null) return "";
        var certificate = context.GetHttpContext().Connection.ClientCertificate;
        var check = _validator.Validate(certificate);
        if (!check.Ok) throw Refuse(StatusCode.Unauthenticated, check.Reason);
        if (check.SiteId != claimedSiteId)
            throw Refuse(StatusCode.PermissionDenied, $"the client certificate is for site '{check.SiteId}', the request claims site '{claimedSiteId}'");
        return certificate!.SerialNumber;
    }

    private RpcException Refuse(StatusCode code, string message)
    {
        _log.LogWarning("Refused site call ({Code}): {Message}", code, message);
        return new RpcException(new Status(code, message));
    }
}
