using System.Diagnostics;
using System.Security.Cryptography.X509Certificates;
using FedRad.Privacy.Pki;

namespace FedRad.Privacy.Tests.Pki;

/// <summary>
/// The files `fedrad pki` writes, read by OpenSSL (the outside reference for X.509): the chain
/// verifies for the intended purpose, the extensions say what FedRad relies on, the revocation
/// list is signed by the CA and revokes what FedRad revoked, and private keys are mode 0600.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public class OpenSslReferenceTests
{
    private static (int Code, string Output) OpenSsl(params string[] args)
    {
        var psi = new ProcessStartInfo("openssl", args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output);
    }

    [Fact]
    public void Openssl_verifies_site_and_coordinator_certificates_for_their_purpose_and_sees_the_site_binding()
    {
        using var ca = new TempCa();
        var site = Path.Combine(ca.Root, "hospital-a");
        var coordinator = Path.Combine(ca.Root, "coordinator");
        ca.Ca.Export(ca.Site("hospital-a"), site, "site");
        ca.Ca.Export(ca.Ca.IssueCoordinator(["coordinator.example.org", "10.0.0.5"], DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(90)), coordinator, "coordinator");

        var caFile = Path.Combine(ca.CaDirectory, "ca.crt");
        var siteCrt = Path.Combine(site, "site.crt");
        var coordinatorCrt = Path.Combine(coordinator, "coordinator.crt");
        Assert.Equal((0, $"{siteCrt}: OK\n"), OpenSsl("verify", "-CAfile", caFile, "-purpose", "sslclient", siteCrt));
        Assert.Equal((0, $"{coordinatorCrt}: OK\n"), OpenSsl("verify", "-CAfile", caFile, "-purpose", "sslserver", coordinatorCrt));
        Assert.NotEqual(0, OpenSsl("verify", "-CAfile", caFile, "-purpose", "sslserver", siteCrt).Code);

        var text = OpenSsl("x509", "-in", siteCrt, "-noout", "-text").Output;
        Assert.Contains("URI:fedrad:site:hospital-a", text);
        Assert.Contains("TLS Web Client Authentication", text);
        Assert.Equal("subject=CN=hospital-a,O=FedRad site\n", OpenSsl("x509", "-in", siteCrt, "-noout", "-subject", "-nameopt", "RFC2253").Output);
        Assert.Contains("ASN1 OID: prime256v1", text);
        var server = OpenSsl("x509", "-in", coordinatorCrt, "-noout", "-ext", "subjectAltName").Output;
        Assert.Contains("DNS:coordinator.example.org, IP Address:10.0.0.5", server);
        var caText = OpenSsl("x509", "-in", caFile, "-noout", "-text").Output;
        Assert.Contains("CA:TRUE, pathlen:0", caText);
        Assert.Contains("Certificate Sign, CRL Sign", caText);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(site, "site.key")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(ca.CaDirectory, "ca.key")));
        Assert.Contains("already exists", Assert.Throws<PkiException>(() => ca.Ca.Export(ca.Site("hospital-a"), site, "site")).Message);
    }

    [Fact]
    public void Openssl_checks_the_revocation_list_signature_and_finds_the_revoked_certificate()
    {
        using var ca = new TempCa();
        var dir = Path.Combine(ca.Root, "sites");
        var revoked = ca.Site("hospital-a");
        ca.Ca.Export(revoked, dir, "a");
        ca.Ca.Export(ca.Site("hospital-b"), dir, "b");
        ca.Ca.Revoke(revoked.Certificate.SerialNumber, X509RevocationReason.KeyCompromise, TimeSpan.FromDays(30));

        var caFile = Path.Combine(ca.CaDirectory, "ca.crt");
        var crl = Path.Combine(ca.CaDirectory, "crl.pem");
        var listing = OpenSsl("crl", "-in", crl, "-CAfile", caFile, "-noout", "-text");
        Assert.Equal(0, listing.Code);
        Assert.Contains("verify OK", listing.Output);
        Assert.Contains($"Serial Number: {revoked.Certificate.SerialNumber}", listing.Output);
        Assert.Contains("Key Compromise", listing.Output);
        Assert.Contains("X509v3 CRL Number: \n                2", listing.Output);

        var a = OpenSsl("verify", "-crl_check", "-CRLfile", crl, "-CAfile", caFile, Path.Combine(dir, "a.crt"));
        Assert.NotEqual(0, a.Code);
        Assert.Contains("certificate revoked", a.Output);
        Assert.Equal(0, OpenSsl("verify", "-crl_check", "-CRLfile", crl, "-CAfile", caFile, Path.Combine(dir, "b.crt")).Code);
    }

    [Fact]
    public void A_private_key_readable_by_others_is_refused_on_loading()
    {
        using var ca = new TempCa();
        var dir = Path.Combine(ca.Root, "site");
        ca.Ca.Export(ca.Site("hospital-a"), dir, "site");
        var key = Path.Combine(dir, "site.key");
        using (var loaded = PemFiles.ReadCertificateWithKey(Path.Combine(dir, "site.crt"), key)) Assert.True(loaded.HasPrivateKey);
        File.SetUnixFileMode(key, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var e = Assert.Throws<PkiException>(() => PemFiles.ReadCertificateWithKey(Path.Combine(dir, "site.crt"), key));
        Assert.Contains("accessible to other users (mode 644); run chmod 600", e.Message);
    }
}
