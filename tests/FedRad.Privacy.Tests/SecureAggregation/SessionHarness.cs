using FedRad.Privacy.SecureAggregation;

namespace FedRad.Privacy.Tests.SecureAggregation;

/// <summary>
/// Runs one session in process: the coordinator and every site exchange the real messages, each
/// through its JSON form as it would travel. Sites listed in a drop set stop answering from that
/// phase on.
/// </summary>
internal sealed class SessionHarness
{
    public required SecAggConfig Config { get; init; }
    public required double[][] Inputs { get; init; }
    public ulong Seed { get; init; } = 1;
    public HashSet<string> DropBeforeSharing { get; init; } = [];
    public HashSet<string> DropAfterSharing { get; init; } = [];
    public HashSet<string> DropBeforeUnmasking { get; init; } = [];
    /// <summary>Lets a test see or persist the coordinator between phases.</summary>
    public Func<SecAggCoordinator, SecAggCoordinator> BetweenPhases { get; init; } = c => c;
    /// <summary>Signed advertisements: each site's authentication, and the coordinator's check.</summary>
    public Func<string, SecAggAuthentication?> Authentication { get; init; } = _ => null;
    public Func<System.Security.Cryptography.X509Certificates.X509Certificate2, FedRad.Privacy.Pki.CertificateCheck>? CoordinatorValidator { get; init; }

    public Dictionary<string, MaskedInput> MaskedInputs { get; } = [];
    public Dictionary<string, SecAggSite> Sites { get; } = [];

    public SecAggResult Run()
    {
        var coordinator = new SecAggCoordinator(Config, CoordinatorValidator);
        for (var i = 0; i < Config.Participants.Count; i++)
            Sites[Config.Participants[i]] = new SecAggSite(Config, Config.Participants[i], new SeededRandom(Seed * 1000 + (ulong)i), Authentication(Config.Participants[i]));

        foreach (var (id, site) in Sites) coordinator.Receive(Wire(site.AdvertiseKeys()));
        coordinator = BetweenPhases(coordinator);
        var directory = Wire(coordinator.CloseAdvertising());

        foreach (var (id, site) in Sites)
            if (!DropBeforeSharing.Contains(id)) coordinator.Receive(Wire(site.ShareKeys(directory)));
        coordinator = BetweenPhases(coordinator);
        var inboxes = coordinator.CloseSharing();

        foreach (var (id, inbox) in inboxes)
        {
            if (DropAfterSharing.Contains(id)) continue;
            var masked = Wire(Sites[id].MaskInput(Inputs[Config.ShareIndex(id) - 1], Wire(inbox)));
            MaskedInputs[id] = masked;
            coordinator.Receive(masked);
        }
        coordinator = BetweenPhases(coordinator);
        var request = Wire(coordinator.CloseMasking());

        foreach (var id in request.Survivors)
            if (!DropBeforeUnmasking.Contains(id)) coordinator.Receive(Wire(Sites[id].Unmask(request)));
        coordinator = BetweenPhases(coordinator);
        return coordinator.Finish();
    }

    private static T Wire<T>(T message) where T : class => SecAggJson.Deserialize<T>(SecAggJson.Serialize(message));

    public static SecAggConfig MakeConfig(int sites, int threshold, int length, int fractionBits = 24) =>
        new("study-1/round-3", Enumerable.Range(0, sites).Select(i => $"site-{(char)('a' + i)}").ToList(), threshold, length, fractionBits);

    /// <summary>The exact sum of the fixed-point values of the given sites, computed independently of the library.</summary>
    public static double[] FixedPointSum(double[][] inputs, IEnumerable<int> sites, int fractionBits)
    {
        var scale = Math.ScaleB(1.0, fractionBits);
        var sum = new long[inputs[0].Length];
        foreach (var s in sites)
            for (var i = 0; i < sum.Length; i++) sum[i] += (long)Math.Round(inputs[s][i] * scale, MidpointRounding.ToEven);
        return sum.Select(v => v / scale).ToArray();
    }
}
