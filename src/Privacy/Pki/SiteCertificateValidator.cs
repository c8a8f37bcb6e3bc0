using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace FedRad.Privacy.Pki;

/// <summary>The verdict on a presented certificate: whose it is, or why it is refused.</summary>
public sealed record CertificateCheck(bool Ok, string? SiteId, string Reason)
{
    public static CertificateCheck Refused(string reason) => new(false, null, reason);
}

/// <summary>
/// The coordinator's check of a site's client certificate: it must chain to the consortium CA
/// (the only trust anchor, never the system store), be within its validity period, be an
/// end-entity certificate for digital signatures with extended key usage clientAuth, not be on the
/// CA's revocation list, and bind exactly one site id. The revocation list is re-read whenever its
/// file changes (checked on every call, one stat), so revoking needs no restart; a list that is
/// missing, not signed by the CA or past its next-update time refuses every certificate (fail
/// closed). The returned site id must still be compared with the site id the caller claims.
/// Thread-safe.
/// </summary>
public sealed class SiteCertificateValidator
{
    private const string ClientAuth = "1.3.6.1.5.5.7.3.2";
    private readonly X509Certificate2 ca;
    private readonly string crlPath;
    private readonly TimeProvider time;
    private readonly Lock gate = new();
    private (DateTime Written, long Length)? loadedStamp;
    private RevocationList? revocations;
    private string revocationProblem = "the revocation list was not loaded";

    public SiteCertificateValidator(X509Certificate2 caCertificate, string crlPath, TimeProvider? time = null)
    {
        ca = caCertificate;
        this.crlPath = crlPath;
        this.time = time ?? TimeProvider.System;
        ReloadRevocationList();
    }

    /// <summary>The validator of a CA directory as <c>fedrad pki init</c> writes it (ca.crt and crl.pem).</summary>
    public static SiteCertificateValidator FromDirectory(string caDirectory, TimeProvider? time = null) =>
        new(PemFiles.ReadCertificate(Path.Combine(caDirectory, ConsortiumCa.CertificateFile)), Path.Combine(caDirectory, ConsortiumCa.CrlFile), time);

    /// <summary>The current revocation list, or null when it could not be loaded (every certificate is then refused).</summary>
    public RevocationList? Revocations { get { lock (gate) return revocations; } }

    public CertificateCheck Validate(X509Certificate2? certificate)
    {
        var now = time.GetUtcNow();
        var check = CheckWithoutRevocation(certificate, ca, now);
        if (!check.Ok) return check;
        var (list, problem) = CurrentRevocations(now);
        var who = $"certificate '{certificate!.Subject}' (serial {certificate.SerialNumber})";
        if (list is null) return CertificateCheck.Refused($"{who} cannot be checked: {problem}");
        if (list.IsRevoked(certificate.SerialNumber)) return CertificateCheck.Refused($"{who} was revoked (revocation list number {list.Number})");
        return check;
    }

    /// <summary>
    /// Every check but revocation: for a site checking another site's signed key advertisement in
    /// secure aggregation, which has the CA certificate but not the coordinator's revocation list.
    /// </summary>
    public static CertificateCheck CheckWithoutRevocation(X509Certificate2? certificate, X509Certificate2 ca, DateTimeOffset now)
    {
        if (certificate is null) return CertificateCheck.Refused("no client certificate was presented");
        var who = $"certificate '{certificate.Subject}' (serial {certificate.SerialNumber})";
        if (now < certificate.NotBefore.ToUniversalTime()) return CertificateCheck.Refused($"{who} is not valid before {certificate.NotBefore.ToUniversalTime():u}");
        if (now > certificate.NotAfter.ToUniversalTime()) return CertificateCheck.Refused($"{who} expired at {certificate.NotAfter.ToUniversalTime():u}");
        if (certificate.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault() is { CertificateAuthority: true })
            return CertificateCheck.Refused($"{who} is a CA certificate, not a site certificate");

        using (var chain = new X509Chain())
        {
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(ca);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck; // the consortium's own list, in Validate
            chain.ChainPolicy.DisableCertificateDownloads = true;
            chain.ChainPolicy.VerificationTime = now.UtcDateTime;
            chain.ChainPolicy.VerificationTimeIgnored = false;
            if (!chain.Build(certificate))
            {
                var status = string.Join("; ", chain.ChainStatus.Select(s => $"{s.Status}: {s.StatusInformation.Trim()}"));
                return CertificateCheck.Refused($"{who} does not chain to the consortium CA '{ca.Subject}' ({status})");
            }
            var root = chain.ChainElements[^1].Certificate;
            if (chain.ChainElements.Count != 2 || !root.RawData.AsSpan().SequenceEqual(ca.RawData))
                return CertificateCheck.Refused($"{who} is not issued directly by the consortium CA '{ca.Subject}'");
        }

        if (certificate.Extensions.OfType<X509KeyUsageExtension>().FirstOrDefault() is not { } usage || !usage.KeyUsages.HasFlag(X509KeyUsageFlags.DigitalSignature))
            return CertificateCheck.Refused($"{who} lacks the digitalSignature key usage");
        if (certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().FirstOrDefault() is not { } extended
            || !extended.EnhancedKeyUsages.Cast<Oid>().Any(o => o.Value == ClientAuth))
            return CertificateCheck.Refused($"{who} lacks the clientAuth extended key usage: it is not a site certificate");

        var siteId = SiteIdentity.SiteIdOf(certificate, out var noId);
        return siteId is null ? CertificateCheck.Refused($"{who}: {noId}") : new CertificateCheck(true, siteId, $"site '{siteId}'");
    }

    /// <summary>Re-reads the revocation list now (it is also re-read whenever its file changes).</summary>
    public void ReloadRevocationList()
    {
        lock (gate) Load(Stamp());
    }

    private (RevocationList? List, string Problem) CurrentRevocations(DateTimeOffset now)
    {
        lock (gate)
        {
            var stamp = Stamp();
            if (stamp != loadedStamp) Load(stamp);
            if (revocations is null) return (null, revocationProblem);
            if (revocations.NextUpdate is { } next && now > next)
                return (null, $"the revocation list {crlPath} expired at {next:u}; renew it with `fedrad pki crl --ca DIR` and copy it here");
            return (revocations, "");
        }
    }

    private (DateTime, long)? Stamp()
    {
        var info = new FileInfo(crlPath);
        return info.Exists ? (info.LastWriteTimeUtc, info.Length) : null;
    }

    private void Load((DateTime, long)? stamp)
    {
        loadedStamp = stamp;
        try
        {
            if (stamp is null) throw new PkiException($"the revocation list {crlPath} does not exist");
            revocations = RevocationList.Parse(File.ReadAllText(crlPath), ca, crlPath);
        }
        catch (Exception e) when (e is PkiException or IOException)
        {
            revocations = null;
            revocationProblem = e.Message;
        }
    }
}
