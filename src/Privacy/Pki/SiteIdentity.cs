using System.Formats.Asn1;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;

namespace FedRad.Privacy.Pki;

/// <summary>
/// How a site id is bound into its certificate: the subject alternative name URI
/// <c>fedrad:site:&lt;id&gt;</c> (the binding the coordinator trusts) and the same id as common name
/// (for people reading the certificate). Site ids follow the coordinator's rule: 1-64 letters,
/// digits, '.', '_' or '-'.
/// </summary>
public static partial class SiteIdentity
{
    public const string UriPrefix = "fedrad:site:";

    public static bool IsValidSiteId(string? id) => id is not null && SiteIdPattern().IsMatch(id);

    public static string UriOf(string siteId) => UriPrefix + siteId;

    /// <summary>The site id of a certificate, or null with the reason it has none.</summary>
    public static string? SiteIdOf(X509Certificate2 certificate, out string problem)
    {
        var ids = SanUris(certificate).Where(u => u.StartsWith(UriPrefix, StringComparison.Ordinal)).Select(u => u[UriPrefix.Length..]).ToList();
        if (ids.Count == 0) { problem = $"the certificate carries no '{UriPrefix}<id>' subject alternative name"; return null; }
        if (ids.Count > 1) { problem = $"the certificate names {ids.Count} sites ({string.Join(", ", ids)}); a site certificate names one"; return null; }
        var id = ids[0];
        if (!IsValidSiteId(id)) { problem = $"'{id}' in the subject alternative name is not a valid site id"; return null; }
        var cn = certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false);
        if (cn != id) { problem = $"the common name '{cn}' differs from the site id '{id}' in the subject alternative name"; return null; }
        problem = "";
        return id;
    }

    /// <summary>The uniformResourceIdentifier entries of the subject alternative name extension.</summary>
    internal static List<string> SanUris(X509Certificate2 certificate)
    {
        var uris = new List<string>();
        var san = certificate.Extensions["2.5.29.17"];
        if (san is null) return uris;
        var names = new AsnReader(san.RawData, AsnEncodingRules.DER).ReadSequence();
        var uriTag = new Asn1Tag(TagClass.ContextSpecific, 6); // GeneralName uniformResourceIdentifier [6] IA5String
        while (names.HasData)
        {
            var tag = names.PeekTag();
            if (tag.HasSameClassAndValue(uriTag)) uris.Add(names.ReadCharacterString(UniversalTagNumber.IA5String, uriTag));
            else names.ReadEncodedValue();
        }
        return uris;
    }

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex SiteIdPattern();
}
