using System.Numerics;

namespace FedRad.Dicom;

/// <summary>UIDs FedRad creates: "2.25." followed by a random UUID as a decimal integer (PS3.5 B.2).</summary>
public static class DicomUid
{
    /// <summary>FedRad's Implementation Class UID (file meta (0002,0012)).</summary>
    public const string ImplementationClassUid = "2.25.8467852625610507222821244416714270429";
    public const string ImplementationVersionName = "FEDRAD_1";

    /// <summary>A deterministic UID from any 16 bytes (e.g. a hash), so synthetic studies are reproducible.</summary>
    public static string FromGuid(Guid guid)
    {
        var bytes = guid.ToByteArray(bigEndian: true);
        return "2.25." + new BigInteger(bytes, isUnsigned: true, isBigEndian: true).ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>A deterministic UID derived from a name (SHA-256 of the text, truncated to a version-8 style UUID).</summary>
    public static string FromName(string name)
    {
        var hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(name));
        hash[6] = (byte)((hash[6] & 0x0F) | 0x80);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return FromGuid(new Guid(hash.AsSpan(0, 16), bigEndian: true));
    }
}
