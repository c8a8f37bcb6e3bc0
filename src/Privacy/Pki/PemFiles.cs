using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace FedRad.Privacy.Pki;

/// <summary>
/// Certificates and private keys as PEM files. A private key is created with mode 0600 from the
/// start (never world-readable, not even for an instant), never overwrites an existing file, and
/// is refused on loading when group or others may read it (as ssh does).
/// </summary>
public static class PemFiles
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public static void WritePrivateKey(string path, ECDsa key)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = OwnerOnly;
        try
        {
            using var stream = new FileStream(path, options);
            using var writer = new StreamWriter(stream);
            writer.Write(PemEncoding.Write("PRIVATE KEY", key.ExportPkcs8PrivateKey()));
        }
        catch (IOException) when (File.Exists(path))
        {
            throw new PkiException($"{path}: a key file already exists there; refusing to overwrite it");
        }
    }

    public static void WriteCertificate(string path, X509Certificate2 certificate, bool overwrite = false)
    {
        if (!overwrite && File.Exists(path)) throw new PkiException($"{path}: a certificate already exists there; refusing to overwrite it");
        File.WriteAllText(path, certificate.ExportCertificatePem() + "\n");
    }

    public static X509Certificate2 ReadCertificate(string path)
    {
        if (!File.Exists(path)) throw new PkiException($"{path}: certificate file not found");
        var text = File.ReadAllText(path);
        try
        {
            var fields = PemEncoding.Find(text);
            if (text[fields.Label] != "CERTIFICATE") throw new PkiException($"{path}: PEM block is '{text[fields.Label]}', not 'CERTIFICATE'");
            return X509CertificateLoader.LoadCertificate(Convert.FromBase64String(text[fields.Base64Data]));
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException) { throw new PkiException($"{path}: not a PEM certificate ({e.Message})"); }
    }

    /// <summary>A certificate with its private key, for TLS; refuses a key file others can read.</summary>
    public static X509Certificate2 ReadCertificateWithKey(string certificatePath, string keyPath)
    {
        if (!File.Exists(certificatePath)) throw new PkiException($"{certificatePath}: certificate file not found");
        if (!File.Exists(keyPath)) throw new PkiException($"{keyPath}: private key file not found");
        CheckKeyPermissions(keyPath);
        try { return X509Certificate2.CreateFromPemFile(certificatePath, keyPath); }
        catch (CryptographicException e) { throw new PkiException($"{certificatePath} with {keyPath}: {e.Message}"); }
    }

    public static void CheckKeyPermissions(string keyPath)
    {
        if (OperatingSystem.IsWindows()) return;
        var mode = File.GetUnixFileMode(keyPath);
        if ((mode & ~(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute)) != 0)
            throw new PkiException($"{keyPath}: private key is accessible to other users (mode {Convert.ToString((int)mode, 8)}); run chmod 600 on it");
    }
}

/// <summary>A PKI file or operation that cannot go ahead; the message names the file and the problem.</summary>
public sealed class PkiException(string message) : Exception(message);
