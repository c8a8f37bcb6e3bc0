using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using FedRad.Privacy.Pki;

namespace FedRad.Cli.Commands;

/// <summary>
/// `fedrad pki init|issue-site|issue-coordinator|revoke|crl|list`: the consortium CA that mutual
/// TLS between sites and the coordinator trusts (docs/privacy.md). Keys are written with mode 0600
/// and never overwritten.
/// </summary>
public static class PkiCommand
{
    public static Command Create()
    {
        var crlDays = new Option<int>("--crl-days") { Description = "days until the revocation list must be renewed (fedrad pki crl)", DefaultValueFactory = _ => 30 };

        var initOut = new Option<string>("--out") { Description = "new CA directory (ca.crt, ca.key, crl.pem, issued.jsonl)", Required = true };
        var name = new Option<string>("--name") { Description = "the consortium's name (CA common name)", DefaultValueFactory = _ => "FedRad consortium CA" };
        var caDays = new Option<int>("--days") { Description = "CA validity in days", DefaultValueFactory = _ => 3650 };
        var init = new Command("init", "Create the consortium CA") { initOut, name, caDays, crlDays };
        init.SetAction(parse => Run(() =>
        {
            var days = Positive(parse.GetValue(caDays), "--days");
            var now = DateTimeOffset.UtcNow;
            using var ca = ConsortiumCa.Create(parse.GetValue(name)!, now.AddMinutes(-5), now.AddDays(days));
            var dir = parse.GetValue(initOut)!;
            ca.Save(dir, TimeSpan.FromDays(Positive(parse.GetValue(crlDays), "--crl-days")));
            Console.WriteLine($"created CA '{ca.Certificate.Subject}' in {Path.GetFullPath(dir)}, valid until {ca.Certificate.NotAfter.ToUniversalTime():u}");
            Console.WriteLine($"  {ConsortiumCa.KeyFile} is the consortium's most sensitive file (mode 0600): keep this directory offline and backed up");
        }));

        var caDir = new Option<string>("--ca") { Description = "CA directory made by `fedrad pki init`", Required = true };
        var outDir = new Option<string>("--out") { Description = "output directory for the certificate, its key and ca.crt", Required = true };
        var days = new Option<int>("--days") { Description = "certificate validity in days", DefaultValueFactory = _ => 365 };

        var siteId = new Option<string>("--site-id") { Description = "the site id the certificate binds (as the site registers)", Required = true };
        var issueSite = new Command("issue-site", "Issue a site (TLS client) certificate: site.crt, site.key, ca.crt") { siteId, caDir, outDir, days };
        issueSite.SetAction(parse => Run(() =>
        {
            using var ca = ConsortiumCa.Load(parse.GetValue(caDir)!);
            ca.CheckExportTarget(parse.GetValue(outDir)!, "site");
            var issued = ca.IssueSite(parse.GetValue(siteId)!, DateTimeOffset.UtcNow.AddMinutes(-5), Until(ca, parse.GetValue(days)));
            Export(ca, issued, parse.GetValue(outDir)!, "site");
        }));

        var host = new Option<string[]>("--host") { Description = "DNS name or IP address sites dial; repeat per name", Required = true };
        var issueCoordinator = new Command("issue-coordinator", "Issue the coordinator's (TLS server) certificate: coordinator.crt, coordinator.key, ca.crt") { host, caDir, outDir, days };
        issueCoordinator.SetAction(parse => Run(() =>
        {
            using var ca = ConsortiumCa.Load(parse.GetValue(caDir)!);
            ca.CheckExportTarget(parse.GetValue(outDir)!, "coordinator");
            var issued = ca.IssueCoordinator(parse.GetValue(host)!, DateTimeOffset.UtcNow.AddMinutes(-5), Until(ca, parse.GetValue(days)));
            Export(ca, issued, parse.GetValue(outDir)!, "coordinator");
        }));

        var serial = new Option<string?>("--serial") { Description = "serial number (hex) of the certificate to revoke" };
        var certificate = new Option<string?>("--cert") { Description = "the certificate file (PEM) to revoke" };
        var reason = new Option<string>("--reason") { Description = "unspecified, key-compromise, superseded or cessation-of-operation", DefaultValueFactory = _ => "unspecified" };
        var revoke = new Command("revoke", "Revoke a certificate; the coordinator re-reads crl.pem without restarting") { serial, certificate, caDir, reason, crlDays };
        revoke.SetAction(parse => Run(() =>
        {
            using var ca = ConsortiumCa.Load(parse.GetValue(caDir)!);
            var target = (parse.GetValue(serial), parse.GetValue(certificate)) switch
            {
                ({ } s, null) => s,
                (null, { } file) => IssuedBy(ca, file).SerialNumber,
                _ => throw new PkiException("give exactly one of --serial and --cert"),
            };
            var entry = ca.Revoke(target, Reason(parse.GetValue(reason)!), TimeSpan.FromDays(Positive(parse.GetValue(crlDays), "--crl-days")));
            Console.WriteLine($"revoked {entry.Kind.ToString().ToLowerInvariant()} '{entry.Name}' (serial {entry.Serial}); {Path.Combine(ca.Directory!, ConsortiumCa.CrlFile)} re-signed");
            Console.WriteLine("  copy crl.pem to the coordinator's --crl path: it takes effect on the next call, without restart");
        }));

        var crl = new Command("crl", "Re-sign the revocation list with a new next-update time (before the current one passes)") { caDir, crlDays };
        crl.SetAction(parse => Run(() =>
        {
            using var ca = ConsortiumCa.Load(parse.GetValue(caDir)!);
            ca.RenewRevocationList(TimeSpan.FromDays(Positive(parse.GetValue(crlDays), "--crl-days")));
            var list = RevocationList.Parse(File.ReadAllText(Path.Combine(ca.Directory!, ConsortiumCa.CrlFile)), ca.Certificate, ConsortiumCa.CrlFile);
            Console.WriteLine($"revocation list number {list.Number}: {list.RevokedSerials.Count} revoked, next update {list.NextUpdate:u}");
        }));

        var list = new Command("list", "List the certificates the CA issued and whether they are revoked") { caDir };
        list.SetAction(parse => Run(() =>
        {
            using var ca = ConsortiumCa.Load(parse.GetValue(caDir)!);
            var revoked = RevocationList.Parse(File.ReadAllText(Path.Combine(ca.Directory!, ConsortiumCa.CrlFile)), ca.Certificate, ConsortiumCa.CrlFile);
            foreach (var e in ca.Issued())
            {
                var state = revoked.IsRevoked(e.Serial) ? "revoked" : e.NotAfter < DateTimeOffset.UtcNow ? "expired" : "valid";
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{e.Serial}  {e.Kind.ToString().ToLowerInvariant(),-11}  {e.Name,-24}  until {e.NotAfter:yyyy-MM-dd}  {state}"));
            }
        }));

        return new Command("pki", "Consortium certificate authority for mutual TLS") { init, issueSite, issueCoordinator, revoke, crl, list };
    }

    private static void Export(ConsortiumCa ca, IssuedCertificate issued, string directory, string name)
    {
        ca.Export(issued, directory, name);
        Console.WriteLine($"issued {issued.Entry.Kind.ToString().ToLowerInvariant()} certificate '{issued.Certificate.Subject}' serial {issued.Entry.Serial}, valid until {issued.Entry.NotAfter:u}");
        Console.WriteLine($"  {Path.Combine(Path.GetFullPath(directory), name + ".crt")}, {name}.key (mode 0600), ca.crt");
        issued.Key.Dispose();
    }

    private static X509Certificate2 IssuedBy(ConsortiumCa ca, string path)
    {
        var certificate = PemFiles.ReadCertificate(path);
        // The serial must also be in the CA's issue log (ConsortiumCa.Revoke checks it).
        if (!certificate.IssuerName.RawData.AsSpan().SequenceEqual(ca.Certificate.SubjectName.RawData))
            throw new PkiException($"{path}: issued by '{certificate.Issuer}', not by this CA '{ca.Certificate.Subject}'");
        return certificate;
    }

    private static DateTimeOffset Until(ConsortiumCa ca, int days)
    {
        var until = DateTimeOffset.UtcNow.AddDays(Positive(days, "--days"));
        return until > ca.Certificate.NotAfter ? throw new PkiException($"--days {days} would outlive the CA (valid until {ca.Certificate.NotAfter.ToUniversalTime():u})") : until;
    }

    private static int Positive(int value, string option) => value > 0 ? value : throw new PkiException($"{option} must be positive, not {value}");

    private static X509RevocationReason Reason(string reason) => reason switch
    {
        "unspecified" => X509RevocationReason.Unspecified,
        "key-compromise" => X509RevocationReason.KeyCompromise,
        "superseded" => X509RevocationReason.Superseded,
        "cessation-of-operation" => X509RevocationReason.CessationOfOperation,
        _ => throw new PkiException($"--reason '{reason}' is not one of unspecified, key-compromise, superseded, cessation-of-operation"),
    };

    private static int Run(Action action)
    {
        try
        {
            action();
            return 0;
        }
        catch (Exception e) when (e is PkiException or IOException or UnauthorizedAccessException or CryptographicException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }
}
