using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace FedRad.Privacy.Pki;

/// <summary>
/// The site's check of the coordinator's server certificate: issued by the consortium CA (not any
/// public CA), valid now, extended key usage serverAuth, and naming the host the site dialled in
/// its subject alternative names (DNS name or IP address).
/// </summary>
public sealed class CoordinatorCertificateValidator(X509Certificate2 caCertificate, TimeProvider? time = null)
{
    private const string ServerAuth = "1.3.6.1.5.5.7.3.1";
    private readonly TimeProvider time = time ?? TimeProvider.System;

    public CertificateCheck Validate(X509Certificate2? certificate, string host)
    {
        if (certificate is null) return CertificateCheck.Refused("the coordinator presented no certificate");
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(caCertificate);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        chain.ChainPolicy.VerificationTime = time.GetUtcNow().UtcDateTime;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid(ServerAuth));
        if (!chain.Build(certificate))
            return CertificateCheck.Refused($"coordinator certificate '{certificate.Subject}' is not valid for the consortium CA: "
                                            + string.Join("; ", chain.ChainStatus.Select(s => $"{s.Status}: {s.StatusInformation.Trim()}")));
        if (!chain.ChainElements[^1].Certificate.RawData.AsSpan().SequenceEqual(caCertificate.RawData))
            return CertificateCheck.Refused($"coordinator certificate '{certificate.Subject}' is not issued by the consortium CA");
        if (!certificate.MatchesHostname(host, allowWildcards: false, allowCommonName: false))
            return CertificateCheck.Refused($"coordinator certificate '{certificate.Subject}' is not issued for '{host}'");
        return new CertificateCheck(true, null, $"coordinator '{host}'");
    }
}
