using System.Security.Cryptography.X509Certificates;
using FedRad.Privacy.Pki;
using FedRad.Privacy.SecureAggregation;
using FedRad.Privacy.Tests.Pki;

namespace FedRad.Privacy.Tests.SecureAggregation;

/// <summary>
/// Key advertisements signed with the sites' consortium certificates: a coordinator that swaps in
/// its own keys for a site, or invents a participant, is caught by the sites.
/// </summary>
public sealed class SignedKeysTests : IDisposable
{
    private readonly TempCa ca = new();
    private readonly Dictionary<string, X509Certificate2> certificates = [];
    private static readonly SecAggConfig Config = SessionHarness.MakeConfig(4, 3, 8);

    public SignedKeysTests()
    {
        foreach (var site in Config.Participants)
        {
            var issued = ca.Site(site);
            certificates[site] = issued.Certificate.CopyWithPrivateKey(issued.Key);
        }
    }

    public void Dispose() => ca.Dispose();

    private SecAggAuthentication Auth(string site) => SecAggAuthentication.ForSite(certificates[site], ca.Ca.Certificate);

    private static double[] Input(double v) => Enumerable.Repeat(v, 8).ToArray();

    [Fact]
    public void A_signed_session_gives_the_sum()
    {
        var validator = SiteCertificateValidator.FromDirectory(ca.CaDirectory);
        var result = new SessionHarness
        {
            Config = Config, Inputs = [Input(1), Input(2), Input(3), Input(4)], DropAfterSharing = ["site-d"],
            Authentication = Auth, CoordinatorValidator = validator.Validate,
        }.Run();
        Assert.Equal(Input(6), result.Sum);
    }

    [Fact]
    public void Sites_refuse_a_directory_in_which_the_coordinator_replaced_a_sites_keys()
    {
        var sites = Config.Participants.ToDictionary(p => p, p => new SecAggSite(Config, p, authentication: Auth(p)));
        var keys = Config.Participants.Select(p => sites[p].AdvertiseKeys()).ToList();
        // The coordinator's own keys under site-b's name, with site-b's certificate and signature copied over.
        var mine = new SecAggSite(Config, "site-b").AdvertiseKeys();
        var swapped = keys.Select(k => k.SiteId == "site-b" ? k with { CipherPublicKey = mine.CipherPublicKey, MaskPublicKey = mine.MaskPublicKey } : k).ToList();
        var e = Assert.Throws<SecAggException>(() => sites["site-a"].ShareKeys(new KeyDirectory(Config.SessionId, swapped)));
        Assert.Equal(SecAggFailure.Inconsistent, e.Failure);
        Assert.Contains("the signature on the keys of 'site-b' does not verify", e.Message);
        // The genuine directory still works: the refusal consumed nothing.
        sites["site-a"].ShareKeys(new KeyDirectory(Config.SessionId, keys));
    }

    [Fact]
    public void Sites_refuse_unsigned_keys_and_keys_signed_by_another_site_or_outside_the_consortium()
    {
        var sites = Config.Participants.ToDictionary(p => p, p => new SecAggSite(Config, p, authentication: Auth(p)));
        var keys = Config.Participants.Select(p => sites[p].AdvertiseKeys()).ToList();
        KeyDirectory With(AdvertiseKeys replaced) => new(Config.SessionId, keys.Select(k => k.SiteId == replaced.SiteId ? replaced : k).ToList());

        var unsigned = new SecAggSite(Config, "site-c").AdvertiseKeys();
        Assert.Contains("the keys of 'site-c' are not signed", Assert.Throws<SecAggException>(() => sites["site-a"].ShareKeys(With(unsigned))).Message);

        // site-d (or a coordinator holding its key) signing keys in site-c's name.
        var asD = new SecAggSite(Config, "site-c", authentication: Auth("site-d")).AdvertiseKeys();
        Assert.Contains("signed with the certificate of 'site-d'", Assert.Throws<SecAggException>(() => sites["site-a"].ShareKeys(With(asD))).Message);

        // A certificate for 'site-c' from a CA the consortium does not trust.
        using var rogue = new TempCa();
        var issued = rogue.Site("site-c");
        var forged = new SecAggSite(Config, "site-c", authentication: new SecAggAuthentication(issued.Certificate.CopyWithPrivateKey(issued.Key), _ => throw new InvalidOperationException())).AdvertiseKeys();
        var e = Assert.Throws<SecAggException>(() => sites["site-a"].ShareKeys(With(forged)));
        Assert.Contains("does not chain to the consortium CA", e.Message);

        // The coordinator refuses the same advertisements as they arrive.
        var coordinator = new SecAggCoordinator(Config, SiteCertificateValidator.FromDirectory(ca.CaDirectory).Validate);
        Assert.Equal(SecAggFailure.NotParticipant, Assert.Throws<SecAggException>(() => coordinator.Receive(forged)).Failure);
        Assert.Contains("not signed", Assert.Throws<SecAggException>(() => coordinator.Receive(unsigned)).Message);
        coordinator.Receive(keys[2]);
    }
}
