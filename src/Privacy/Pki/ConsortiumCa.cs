using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace FedRad.Privacy.Pki;

/// <summary>What kind of certificate the CA issued.</summary>
public enum CertificateKind { Site, Coordinator }

/// <summary>One line of the CA's issue log (<c>issued.jsonl</c>).</summary>
public sealed record IssuedEntry(string Serial, CertificateKind Kind, string Name, DateTimeOffset NotBefore, DateTimeOffset NotAfter, DateTimeOffset IssuedAt);

/// <summary>A freshly issued certificate with its private key.</summary>
public sealed record IssuedCertificate(X509Certificate2 Certificate, ECDsa Key, IssuedEntry Entry);

/// <summary>
/// The consortium certificate authority: a self-signed ECDSA P-256 root that signs site (client)
/// and coordinator (server) certificates and the revocation list. It is the only trust anchor of
/// FedRad's mutual TLS and is never installed in a system trust store.
///
/// Directory layout: <c>ca.crt</c> (certificate, PEM), <c>ca.key</c> (PKCS#8, mode 0600: keep the
/// directory offline), <c>crl.pem</c> (signed revocation list), <c>issued.jsonl</c> (serial, kind,
/// name and validity of every certificate issued). Extensions: CA basic constraints with path
/// length 0 (it signs end-entity certificates only), key usage keyCertSign|cRLSign. No name
/// constraints: the site binding is a <c>fedrad:site:</c> URI, which RFC 5280 URI constraints
/// (host-based) cannot express, and as a private anchor the CA is trusted for FedRad only.
/// </summary>
public sealed class ConsortiumCa : IDisposable
{
    public const string CertificateFile = "ca.crt";
    public const string KeyFile = "ca.key";
    public const string CrlFile = "crl.pem";
    public const string IssuedFile = "issued.jsonl";

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    private ConsortiumCa(X509Certificate2 certificate, string? directory)
    {
        Certificate = certificate;
        Directory = directory;
    }

    /// <summary>The CA certificate with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>Where the CA lives on disk; null for one that was never saved.</summary>
    public string? Directory { get; private set; }

    public static ConsortiumCa Create(string name, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new PkiException("the CA needs a name");
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName($"CN={Escape(name)}, O=FedRad consortium"), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        using var selfSigned = request.CreateSelfSigned(notBefore, notAfter);
        // Re-import so that the key is usable independently of the `using` above.
        return new ConsortiumCa(X509Certificate2.CreateFromPem(selfSigned.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem()), null);
    }

    /// <summary>Writes a new CA into an empty (or new) directory, with an empty revocation list.</summary>
    public void Save(string directory, TimeSpan crlValidity)
    {
        System.IO.Directory.CreateDirectory(directory);
        if (File.Exists(Path.Combine(directory, KeyFile)) || File.Exists(Path.Combine(directory, CertificateFile)))
            throw new PkiException($"{directory}: already holds a CA; refusing to overwrite it");
        using (var key = Certificate.GetECDsaPrivateKey()!) PemFiles.WritePrivateKey(Path.Combine(directory, KeyFile), key);
        PemFiles.WriteCertificate(Path.Combine(directory, CertificateFile), Certificate);
        File.WriteAllText(Path.Combine(directory, IssuedFile), "");
        Directory = directory;
        WriteRevocationList(new CertificateRevocationListBuilder(), BigInteger.One, crlValidity);
    }

    public static ConsortiumCa Load(string directory)
    {
        var certificatePath = Path.Combine(directory, CertificateFile);
        var keyPath = Path.Combine(directory, KeyFile);
        if (!File.Exists(certificatePath) || !File.Exists(keyPath))
            throw new PkiException($"{directory}: not a CA directory (needs {CertificateFile} and {KeyFile}; create one with `fedrad pki init`)");
        return new ConsortiumCa(PemFiles.ReadCertificateWithKey(certificatePath, keyPath), directory);
    }

    /// <summary>A site (TLS client) certificate binding <paramref name="siteId"/>.</summary>
    public IssuedCertificate IssueSite(string siteId, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        if (!SiteIdentity.IsValidSiteId(siteId)) throw new PkiException($"site id '{siteId}' must be 1-64 letters, digits, '.', '_' or '-'");
        var san = new SubjectAlternativeNameBuilder();
        san.AddUri(new Uri(SiteIdentity.UriOf(siteId)));
        return Issue(CertificateKind.Site, siteId, $"CN={siteId}, O=FedRad site", san, "1.3.6.1.5.5.7.3.2", notBefore, notAfter);
    }

    /// <summary>A coordinator (TLS server) certificate for the given DNS names and IP addresses.</summary>
    public IssuedCertificate IssueCoordinator(IReadOnlyList<string> hosts, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        if (hosts.Count == 0) throw new PkiException("a coordinator certificate needs at least one host name or IP address");
        var san = new SubjectAlternativeNameBuilder();
        foreach (var host in hosts)
        {
            if (System.Net.IPAddress.TryParse(host, out var ip)) san.AddIpAddress(ip);
            else if (Uri.CheckHostName(host) == UriHostNameType.Dns) san.AddDnsName(host);
            else throw new PkiException($"'{host}' is neither a DNS name nor an IP address");
        }
        return Issue(CertificateKind.Coordinator, hosts[0], $"CN={Escape(hosts[0])}, O=FedRad coordinator", san, "1.3.6.1.5.5.7.3.1", notBefore, notAfter);
    }

    private IssuedCertificate Issue(CertificateKind kind, string name, string subject, SubjectAlternativeNameBuilder san, string extendedUsage,
        DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        if (notBefore < Certificate.NotBefore)
            throw new PkiException($"the certificate would start before the CA (valid from {Certificate.NotBefore.ToUniversalTime():u})");
        if (notAfter > Certificate.NotAfter)
            throw new PkiException($"the certificate would outlive the CA (valid until {Certificate.NotAfter:u}); shorten its validity");
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName(subject), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(extendedUsage)], false));
        request.CertificateExtensions.Add(san.Build(critical: false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Certificate, true, false));
        var serial = RandomSerial();
        var certificate = request.Create(Certificate, notBefore, notAfter, serial);
        var entry = new IssuedEntry(Convert.ToHexString(serial), kind, name, notBefore, notAfter, DateTimeOffset.UtcNow);
        if (Directory is not null) File.AppendAllText(Path.Combine(Directory, IssuedFile), JsonSerializer.Serialize(entry, Json) + "\n");
        return new IssuedCertificate(certificate, key, entry);
    }

    /// <summary>
    /// Writes an issued certificate for its holder: <c>{name}.crt</c>, <c>{name}.key</c> (mode 0600)
    /// and the CA certificate <c>ca.crt</c> it uses as trust anchor. Never overwrites a key.
    /// </summary>
    public void Export(IssuedCertificate issued, string directory, string name)
    {
        CheckExportTarget(directory, name);
        System.IO.Directory.CreateDirectory(directory);
        PemFiles.WritePrivateKey(Path.Combine(directory, name + ".key"), issued.Key);
        PemFiles.WriteCertificate(Path.Combine(directory, name + ".crt"), issued.Certificate);
        PemFiles.WriteCertificate(Path.Combine(directory, CertificateFile), Certificate, overwrite: true);
    }

    /// <summary>Refuses an output directory that already holds these files or another CA's anchor; call before issuing.</summary>
    public void CheckExportTarget(string directory, string name)
    {
        foreach (var file in new[] { name + ".key", name + ".crt" })
            if (File.Exists(Path.Combine(directory, file)))
                throw new PkiException($"{Path.Combine(directory, file)}: already exists; refusing to overwrite it (use another output directory)");
        var anchor = Path.Combine(directory, CertificateFile);
        if (File.Exists(anchor) && PemFiles.ReadCertificate(anchor).Thumbprint != Certificate.Thumbprint)
            throw new PkiException($"{anchor}: holds another CA's certificate; use another output directory");
    }

    /// <summary>Every certificate this CA issued, from its issue log.</summary>
    public IReadOnlyList<IssuedEntry> Issued() => Directory is null ? [] :
        File.ReadLines(Path.Combine(Directory, IssuedFile)).Where(l => l.Length > 0).Select(l => JsonSerializer.Deserialize<IssuedEntry>(l, Json)!).ToList();

    /// <summary>
    /// Adds a serial to the revocation list and re-signs it (number + 1, next update after
    /// <paramref name="crlValidity"/>). Returns the issue-log entry of the revoked certificate.
    /// </summary>
    public IssuedEntry Revoke(string serialHex, X509RevocationReason reason, TimeSpan crlValidity)
    {
        if (Directory is null) throw new PkiException("the CA was never saved; it has no revocation list");
        var serial = NormaliseSerial(serialHex);
        var entry = Issued().FirstOrDefault(e => e.Serial == serial)
                    ?? throw new PkiException($"serial {serial} was not issued by this CA (see {Path.Combine(Directory!, IssuedFile)})");
        var (builder, current) = LoadRevocations();
        if (current.IsRevoked(serial)) throw new PkiException($"serial {serial} ({entry.Kind.ToString().ToLowerInvariant()} '{entry.Name}') is already revoked");
        builder.AddEntry(Convert.FromHexString(serial), DateTimeOffset.UtcNow, reason);
        WriteRevocationList(builder, current.Number + 1, crlValidity);
        return entry;
    }

    /// <summary>Re-signs the revocation list unchanged with a new next-update time (before the old one passes).</summary>
    public void RenewRevocationList(TimeSpan crlValidity)
    {
        var (builder, current) = LoadRevocations();
        WriteRevocationList(builder, current.Number + 1, crlValidity);
    }

    /// <summary>The current list, parsed and verified: only a list this CA signed is carried forward.</summary>
    private (CertificateRevocationListBuilder Builder, RevocationList Current) LoadRevocations()
    {
        if (Directory is null) throw new PkiException("the CA was never saved; it has no revocation list");
        var path = Path.Combine(Directory, CrlFile);
        if (!File.Exists(path)) throw new PkiException($"{path}: the revocation list is missing; restore it from the CA directory's backup");
        var pem = File.ReadAllText(path);
        var current = RevocationList.Parse(pem, Certificate, path);
        return (CertificateRevocationListBuilder.LoadPem(pem, out _), current);
    }

    private void WriteRevocationList(CertificateRevocationListBuilder builder, BigInteger number, TimeSpan validity)
    {
        var now = DateTimeOffset.UtcNow;
        var der = builder.Build(Certificate, number, now + validity, HashAlgorithmName.SHA256, rsaSignaturePadding: null, thisUpdate: now);
        // Write then rename, so that a coordinator reloading the list never reads half a file.
        var path = Path.Combine(Directory!, CrlFile);
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, PemEncoding.WriteString("X509 CRL", der) + "\n");
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Upper-case hex without separators or leading "0x".</summary>
    public static string NormaliseSerial(string serial)
    {
        var s = serial.Replace(":", "").Replace(" ", "").Trim();
        if (s.StartsWith("0x", StringComparison.OrdinalIgnoreCase)) s = s[2..];
        if (s.Length == 0 || s.Length % 2 != 0 || !s.All(Uri.IsHexDigit)) throw new PkiException($"'{serial}' is not a hexadecimal serial number");
        return s.ToUpperInvariant();
    }

    private static byte[] RandomSerial()
    {
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] = (byte)((serial[0] & 0x7F) | 0x01); // positive, 16 bytes, never zero
        return serial;
    }

    private static string Escape(string value) => value.Replace("\\", "\\\\").Replace(",", "\\,").Replace("\"", "\\\"").Replace("=", "\\=").Replace("+", "\\+");

    public void Dispose() => Certificate.Dispose();
}
