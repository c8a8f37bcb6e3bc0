using System.Formats.Asn1;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace FedRad.Privacy.Pki;

/// <summary>
/// A parsed and verified X.509 CRL (RFC 5280 §5): the serials the CA revoked, its number and the
/// time it must be replaced by. Parsing accepts only a list signed by the given CA with
/// ECDSA-SHA256 and issued under the CA's name; anything else is a <see cref="PkiException"/>.
/// </summary>
public sealed class RevocationList
{
    private const string EcdsaWithSha256 = "1.2.840.10045.4.3.2";
    private readonly HashSet<string> serials;

    private RevocationList(HashSet<string> serials, BigInteger number, DateTimeOffset thisUpdate, DateTimeOffset? nextUpdate)
    {
        this.serials = serials;
        Number = number;
        ThisUpdate = thisUpdate;
        NextUpdate = nextUpdate;
    }

    public BigInteger Number { get; }
    public DateTimeOffset ThisUpdate { get; }
    public DateTimeOffset? NextUpdate { get; }
    public IReadOnlyCollection<string> RevokedSerials => serials;

    public bool IsRevoked(string serialHex) => serials.Contains(serialHex.ToUpperInvariant());

    /// <summary>Parses a PEM (or DER) CRL and checks it was signed by <paramref name="ca"/>; <paramref name="source"/> names it in errors.</summary>
    public static RevocationList Parse(string pemOrBase64, X509Certificate2 ca, string source)
    {
        byte[] der;
        try
        {
            var fields = PemEncoding.Find(pemOrBase64);
            if (pemOrBase64[fields.Label] != "X509 CRL") throw new PkiException($"{source}: PEM block is '{pemOrBase64[fields.Label]}', not 'X509 CRL'");
            der = Convert.FromBase64String(pemOrBase64[fields.Base64Data]);
        }
        catch (ArgumentException) { throw new PkiException($"{source}: not a PEM revocation list"); }
        return Parse(der, ca, source);
    }

    public static RevocationList Parse(byte[] der, X509Certificate2 ca, string source)
    {
        try
        {
            var list = new AsnReader(der, AsnEncodingRules.DER).ReadSequence();
            var tbs = list.ReadEncodedValue();
            var algorithm = list.ReadSequence().ReadObjectIdentifier();
            var signature = list.ReadBitString(out _);
            if (algorithm != EcdsaWithSha256) throw new PkiException($"{source}: signed with {algorithm}, expected ECDSA with SHA-256");
            using (var key = ca.GetECDsaPublicKey() ?? throw new PkiException($"{source}: the CA has no ECDSA key"))
                if (!key.VerifyData(tbs.Span, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence))
                    throw new PkiException($"{source}: the signature does not verify against the CA '{ca.Subject}'");

            var fields = new AsnReader(tbs, AsnEncodingRules.DER).ReadSequence();
            if (fields.PeekTag().HasSameClassAndValue(Asn1Tag.Integer)) fields.ReadInteger(); // version v2
            fields.ReadSequence(); // signature algorithm, repeated
            var issuer = fields.ReadEncodedValue();
            if (!issuer.Span.SequenceEqual(ca.SubjectName.RawData)) throw new PkiException($"{source}: issued by another CA than '{ca.Subject}'");
            var thisUpdate = ReadTime(fields);
            DateTimeOffset? nextUpdate = null;
            if (fields.HasData && IsTime(fields.PeekTag())) nextUpdate = ReadTime(fields);
            var revoked = new HashSet<string>(StringComparer.Ordinal);
            if (fields.HasData && fields.PeekTag().HasSameClassAndValue(Asn1Tag.Sequence))
            {
                var entries = fields.ReadSequence();
                while (entries.HasData)
                {
                    var entry = entries.ReadSequence();
                    revoked.Add(Convert.ToHexString(entry.ReadIntegerBytes().Span));
                }
            }
            var number = BigInteger.Zero;
            if (fields.HasData)
            {
                var extensions = fields.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 0)).ReadSequence();
                while (extensions.HasData)
                {
                    var extension = extensions.ReadSequence();
                    var oid = extension.ReadObjectIdentifier();
                    if (extension.PeekTag().HasSameClassAndValue(Asn1Tag.Boolean)) extension.ReadBoolean();
                    var value = extension.ReadOctetString();
                    if (oid == "2.5.29.20") number = new AsnReader(value, AsnEncodingRules.DER).ReadInteger(); // cRLNumber
                }
            }
            return new RevocationList(revoked, number, thisUpdate, nextUpdate);
        }
        catch (AsnContentException e) { throw new PkiException($"{source}: malformed revocation list ({e.Message})"); }
    }

    private static bool IsTime(Asn1Tag tag) => tag.HasSameClassAndValue(Asn1Tag.UtcTime) || tag.HasSameClassAndValue(Asn1Tag.GeneralizedTime);

    private static DateTimeOffset ReadTime(AsnReader reader) =>
        reader.PeekTag().HasSameClassAndValue(Asn1Tag.UtcTime) ? reader.ReadUtcTime() : reader.ReadGeneralizedTime();
}
