using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using FedRad.Privacy.Pki;

namespace FedRad.Privacy.Tests.Pki;

public class SiteCertificateValidatorTests
{
    [Fact]
    public void A_site_certificate_of_the_consortium_ca_gives_its_site_id()
    {
        using var ca = new TempCa();
        var validator = SiteCertificateValidator.FromDirectory(ca.CaDirectory);
        var check = validator.Validate(ca.Site("hospital-a").Certificate);
        Assert.True(check.Ok, check.Reason);
        Assert.Equal("hospital-a", check.SiteId);
        // Another site's valid certificate is accepted as *that* site: the coordinator compares it with the claimed id.
        Assert.Equal("hospital-b", validator.Validate(ca.Site("hospital-b").Certificate).SiteId);
    }

    [Fact]
    public void A_certificate_from_another_ca_is_refused_even_with_the_same_names()
    {
        using var ours = new TempCa("Consortium");
        using var theirs = new TempCa("Consortium"); // same subject, different key
        var check = SiteCertificateValidator.FromDirectory(ours.CaDirectory).Validate(theirs.Site("hospital-a").Certificate);
        Assert.False(check.Ok);
        Assert.Null(check.SiteId);
        Assert.Contains("does not chain to the consortium CA", check.Reason);
    }

    [Fact]
    public void Expired_and_not_yet_valid_certificates_are_refused_with_the_date()
    {
        using var ca = new TempCa();
        var validator = SiteCertificateValidator.FromDirectory(ca.CaDirectory);
        var expired = validator.Validate(ca.Site("hospital-a", fromDays: -30, toDays: -1).Certificate);
        Assert.False(expired.Ok);
        Assert.Contains("expired at", expired.Reason);
        var future = validator.Validate(ca.Site("hospital-a", fromDays: 2, toDays: 30).Certificate);
        Assert.False(future.Ok);
        Assert.Contains("is not valid before", future.Reason);
    }

    [Fact]
    public void A_revoked_certificate_is_refused_once_the_list_changes_without_restarting_the_validator()
    {
        using var ca = new TempCa();
        var validator = SiteCertificateValidator.FromDirectory(ca.CaDirectory);
        var a = ca.Site("hospital-a");
        var b = ca.Site("hospital-b");
        Assert.True(validator.Validate(a.Certificate).Ok);

        var entry = ca.Ca.Revoke(a.Certificate.SerialNumber, X509RevocationReason.KeyCompromise, TimeSpan.FromDays(30));
        Assert.Equal("hospital-a", entry.Name);
        var check = validator.Validate(a.Certificate);
        Assert.False(check.Ok);
        Assert.Contains("was revoked (revocation list number 2)", check.Reason);
        Assert.True(validator.Validate(b.Certificate).Ok);
        Assert.Contains("already revoked", Assert.Throws<PkiException>(() => ca.Ca.Revoke(a.Certificate.SerialNumber, X509RevocationReason.Unspecified, TimeSpan.FromDays(30))).Message);
        Assert.Contains("was not issued by this CA", Assert.Throws<PkiException>(() => ca.Ca.Revoke("0A0B0C", X509RevocationReason.Unspecified, TimeSpan.FromDays(30))).Message);
    }

    [Fact]
    public void Certificates_without_client_authentication_usage_are_refused()
    {
        using var ca = new TempCa();
        var validator = SiteCertificateValidator.FromDirectory(ca.CaDirectory);
        var server = ca.Ca.IssueCoordinator(["coordinator.example.org"], DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        Assert.Contains("lacks the clientAuth extended key usage", validator.Validate(server.Certificate).Reason);

        // Signed by the CA, bound to a site, but with no extended key usage at all.
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=hospital-a", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        var san = new SubjectAlternativeNameBuilder();
        san.AddUri(new Uri("fedrad:site:hospital-a"));
        request.CertificateExtensions.Add(san.Build());
        using var bare = request.Create(ca.Ca.Certificate, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30), [0x42, 0x17]);
        Assert.Contains("lacks the clientAuth extended key usage", validator.Validate(bare).Reason);

        Assert.Contains("is a CA certificate", validator.Validate(ca.Ca.Certificate).Reason);
    }

    [Fact]
    public void A_missing_forged_or_stale_revocation_list_refuses_every_certificate()
    {
        using var ca = new TempCa();
        using var other = new TempCa();
        var site = ca.Site("hospital-a");
        var crl = Path.Combine(ca.CaDirectory, ConsortiumCa.CrlFile);

        // Stale: 31 days from now the 30-day list has passed its next update.
        var later = SiteCertificateValidator.FromDirectory(ca.CaDirectory, new FixedTime(DateTimeOffset.UtcNow.AddDays(31)));
        Assert.Contains("expired at", later.Validate(site.Certificate).Reason);
        Assert.Contains("fedrad pki crl", later.Validate(site.Certificate).Reason);

        var validator = SiteCertificateValidator.FromDirectory(ca.CaDirectory);
        Assert.True(validator.Validate(site.Certificate).Ok);
        // Another CA's list put in its place (an attacker clearing the revocations): refused, fail closed.
        File.Copy(Path.Combine(other.CaDirectory, ConsortiumCa.CrlFile), crl, overwrite: true);
        var forged = validator.Validate(site.Certificate);
        Assert.False(forged.Ok);
        Assert.Contains("signature does not verify", forged.Reason);
        File.Delete(crl);
        Assert.Contains("does not exist", validator.Validate(site.Certificate).Reason);
        File.WriteAllText(crl, "garbage");
        Assert.Contains("not a PEM revocation list", validator.Validate(site.Certificate).Reason);
        // The CA only renews a list it signed itself: a damaged one is not silently replaced by an empty list.
        Assert.Contains("not a PEM revocation list", Assert.Throws<PkiException>(() => ca.Ca.RenewRevocationList(TimeSpan.FromDays(30))).Message);
    }

    [Fact]
    public void A_certificate_binding_no_site_or_two_sites_is_refused()
    {
        using var ca = new TempCa();
        var validator = SiteCertificateValidator.FromDirectory(ca.CaDirectory);
        X509Certificate2 Make(string cn, params string[] uris)
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest($"CN={cn}", key, HashAlgorithmName.SHA256);
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
            var san = new SubjectAlternativeNameBuilder();
            san.AddDnsName("example.org");
            foreach (var u in uris) san.AddUri(new Uri(u));
            request.CertificateExtensions.Add(san.Build());
            return request.Create(ca.Ca.Certificate, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30), RandomNumberGenerator.GetBytes(8));
        }
        Assert.Contains("carries no 'fedrad:site:<id>'", validator.Validate(Make("hospital-a")).Reason);
        Assert.Contains("names 2 sites", validator.Validate(Make("hospital-a", "fedrad:site:hospital-a", "fedrad:site:hospital-b")).Reason);
        Assert.Contains("differs from the site id", validator.Validate(Make("hospital-b", "fedrad:site:hospital-a")).Reason);
    }
}
