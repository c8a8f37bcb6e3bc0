using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using FedRad.Privacy.Pki;

namespace FedRad.Privacy.SecureAggregation;

/// <summary>
/// Signed key advertisements. Without them the coordinator, which relays every key, could hand a
/// site its own keys in place of another site's (and decrypt that site's shares), or invent
/// participants to reach the threshold. With them each site signs (session, site id, both public
/// keys) with the private key of its consortium certificate, and every site checks each entry of
/// the key directory: a valid certificate of the consortium CA binding that site id, and a valid
/// signature. The coordinator checks the same when an advertisement arrives, to refuse a bad one
/// early and clearly.
/// </summary>
public sealed class SecAggAuthentication(X509Certificate2 ownCertificate, Func<X509Certificate2, CertificateCheck> validatePeer)
{
    /// <summary>For a site: its certificate with private key, and the consortium CA certificate it checks peers against.</summary>
    public static SecAggAuthentication ForSite(X509Certificate2 siteCertificateWithKey, X509Certificate2 caCertificate, TimeProvider? time = null) =>
        new(siteCertificateWithKey, c => SiteCertificateValidator.CheckWithoutRevocation(c, caCertificate, (time ?? TimeProvider.System).GetUtcNow()));

    internal AdvertiseKeys Sign(AdvertiseKeys keys)
    {
        using var key = ownCertificate.GetECDsaPrivateKey()
                        ?? throw new SecAggException(SecAggFailure.InvalidConfig, "the site certificate has no ECDSA private key to sign its keys with");
        return keys with { Certificate = ownCertificate.RawData, Signature = key.SignData(SignedBytes(keys), HashAlgorithmName.SHA256) };
    }

    /// <summary>Null when the advertisement is signed by the site it names, otherwise why not.</summary>
    public static string? Check(AdvertiseKeys keys, Func<X509Certificate2, CertificateCheck> validate)
    {
        if (keys.Certificate is null || keys.Signature is null) return $"the keys of '{keys.SiteId}' are not signed";
        X509Certificate2 certificate;
        try { certificate = X509CertificateLoader.LoadCertificate(keys.Certificate); }
        catch (CryptographicException) { return $"the certificate sent with the keys of '{keys.SiteId}' is not a certificate"; }
        using (certificate)
        {
            var check = validate(certificate);
            if (!check.Ok) return $"the certificate sent with the keys of '{keys.SiteId}' is refused: {check.Reason}";
            if (check.SiteId != keys.SiteId) return $"the keys advertised as '{keys.SiteId}' are signed with the certificate of '{check.SiteId}'";
            using var key = certificate.GetECDsaPublicKey();
            if (key is null || !key.VerifyData(SignedBytes(keys), keys.Signature, HashAlgorithmName.SHA256))
                return $"the signature on the keys of '{keys.SiteId}' does not verify: they are not the keys '{keys.SiteId}' signed";
        }
        return null;
    }

    internal string? Check(AdvertiseKeys keys) => Check(keys, validatePeer);

    private static byte[] SignedBytes(AdvertiseKeys k) =>
        SecAggCrypto.Label("advertise", k.SessionId, k.SiteId, Convert.ToHexString(k.CipherPublicKey), Convert.ToHexString(k.MaskPublicKey));
}
