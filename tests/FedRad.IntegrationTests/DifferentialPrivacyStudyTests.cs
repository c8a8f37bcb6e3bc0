using FedRad.IntegrationTests.Infrastructure;
using FedRad.Learning.Synthetic;
using FedRad.Protocol.V1;

namespace FedRad.IntegrationTests;

/// <summary>
/// Differential privacy in studies (docs/privacy.md §7): the study's ε becomes a noise multiplier, sites clip
/// and noise their updates (central: shares of one noise under secure aggregation), every round reports the ε
/// spent, and a site whose own budget the next round would exceed refuses it: the study stops with the reason.
/// </summary>
public sealed class DifferentialPrivacyStudyTests(ITestOutputHelper output)
{
    private const double Delta = 1e-5;

    [Fact]
    public async Task Epsilon_is_reported_after_each_round_and_a_study_stops_when_a_site_budget_would_be_exceeded()
    {
        await using var cluster = new Cluster();
        await cluster.StartCoordinator();
        var profiles = SyntheticCohort.Profiles(3);
        var dirs = new Dictionary<string, string>();
        foreach (var p in profiles) SyntheticCohort.WriteSite(p, dirs[p.SiteId] = Path.Combine(cluster.Root, "sites", p.SiteId));

        // The study may spend ε = 4 over 4 rounds; its σ is known once it is created. Two sites allow only what 2 rounds spend.
        var central = Spec("dp-central", rounds: 4, minSites: 2, new StudyPrivacy
        {
            SecureAggregation = true,
            DifferentialPrivacy = new DifferentialPrivacySpec { Epsilon = 4, Delta = Delta, ClipNorm = 1, Noise = "central" },
        });
        // Start the sites after the budget is known: create the study first (site agents are not needed for that).
        var created = await CreateWithoutSites(cluster, central);
        var sigma = created.Spec.Privacy.DifferentialPrivacy.NoiseMultiplier;
        Assert.True(sigma > 0);
        Assert.True(ReferenceEpsilon(sigma, 4) <= 4 + 1e-9 && ReferenceEpsilon(sigma * 0.999, 4) > 4);
        var budget = (ReferenceEpsilon(sigma, 2) + ReferenceEpsilon(sigma, 3)) / 2;
        output.WriteLine($"σ = {sigma:G6}; ε after 1..4 rounds: {string.Join(", ", Enumerable.Range(1, 4).Select(k => ReferenceEpsilon(sigma, k).ToString("G6")))}; site budget {budget:G6}");
        foreach (var site in new[] { "site-1", "site-2" })
        {
            var policy = Path.Combine(cluster.Root, $"policy-{site}.yaml");
            await File.WriteAllTextAsync(policy, $"""
                site: {site}
                studies: ["*"]
                tasks:
                  train: [logreg]
                  evaluate: [logreg]
                  standardise: [logreg]
                min_cohort: 5
                max_rounds: 50
                privacy: {"{"}epsilon: {budget.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}, delta: {Delta.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}, scope: study{"}"}
                """);
            cluster.Sites[site] = FedradProcess.Start(site, "site", "--coordinator", cluster.Url, "--site-id", site, "--data", dirs[site], "--policy", policy);
        }
        cluster.Sites["site-3"] = FedradProcess.Start("site-3", "site", "--coordinator", cluster.Url, "--site-id", "site-3", "--data", dirs["site-3"]);
        await cluster.WaitForRegistered(3);

        await cluster.Admin.StartStudyAsync(new StudyRef { StudyId = central.StudyId });
        var stopped = await cluster.WaitFor(central.StudyId, s => s.State is StudyState.Completed or StudyState.Failed, TimeSpan.FromSeconds(120));
        output.WriteLine(stopped.FailureReason);

        // Rounds 1 and 2 ran under secure aggregation with central noise; each reports the ε spent so far.
        Assert.Equal(StudyState.Failed, stopped.State);
        foreach (var k in new[] { 1, 2 })
        {
            var round = stopped.Rounds.Single(r => r.Round == k);
            Assert.Equal("completed", round.State);
            Assert.True(round.SecureAggregation);
            Assert.Equal(["site-1", "site-2", "site-3"], round.Participants);
            Assert.Equal(ReferenceEpsilon(sigma, k), round.DpEpsilon, 1e-9);
        }
        Assert.Equal(ReferenceEpsilon(sigma, 2), stopped.DpEpsilon, 1e-9);
        // Round 3 would take site-1 and site-2 past their budgets: they refuse it, below the threshold the study stops.
        Assert.StartsWith("round 3 failed: secure aggregation, Advertise phase", stopped.FailureReason);
        Assert.Contains("site-1: privacy budget exceeded: ε would go from", stopped.FailureReason);
        Assert.Contains("site-2: privacy budget exceeded", stopped.FailureReason);
        foreach (var site in new[] { "site-1", "site-2" })
        {
            var audit = await File.ReadAllTextAsync(Path.Combine(dirs[site], ".fedrad", "site-audit.jsonl"));
            Assert.Contains("privacy budget exceeded", audit);
        }

        // fedrad study status shows the privacy settings and the ε spent.
        var (code, text) = await FedradProcess.Run(TimeSpan.FromSeconds(60), "study", "status", central.StudyId, "--coordinator", cluster.Url);
        Assert.Contains("ε spent " + ReferenceEpsilon(sigma, 2).ToString("0.###", System.Globalization.CultureInfo.InvariantCulture) + " of 4", text);

        // Local noise without secure aggregation: a new study (the budgets are per study) of 2 rounds whose ε fits the sites' budgets runs to the end.
        var local = Spec("dp-local", rounds: 2, minSites: 3, new StudyPrivacy
        {
            DifferentialPrivacy = new DifferentialPrivacySpec { Epsilon = 3, Delta = Delta, ClipNorm = 1, Noise = "local" },
        });
        await cluster.Admin.CreateStudyAsync(new CreateStudyRequest { Spec = local });
        var localCreated = await cluster.Admin.StartStudyAsync(new StudyRef { StudyId = local.StudyId });
        var localSigma = localCreated.Spec.Privacy.DifferentialPrivacy.NoiseMultiplier;
        var done = await cluster.WaitFor(local.StudyId, s => s.State is StudyState.Completed or StudyState.Failed, TimeSpan.FromSeconds(120));
        Assert.True(done.State == StudyState.Completed, done.FailureReason + "\n" + string.Join("\n", cluster.Sites.Values.Select(p => p.Name + ":\n" + string.Join("\n", p.Output.Split('\n').TakeLast(30)))));
        var training = done.Rounds.Where(r => r.Kind == TaskKind.Train).ToList();
        Assert.All(training, r => Assert.False(r.SecureAggregation));
        Assert.All(training, r => Assert.Equal(["site-1", "site-2", "site-3"], r.Participants));
        Assert.All(training, r => Assert.True(double.IsNaN(r.Loss))); // no loss leaves a site under DP
        Assert.Equal(ReferenceEpsilon(localSigma, 2), done.DpEpsilon, 1e-9);
        Assert.True(done.DpEpsilon <= 3);
        output.WriteLine($"local study: σ = {localSigma:G6}, ε after 2 rounds {done.DpEpsilon:G6}");
    }

    private static StudySpec Spec(string id, int rounds, int minSites, StudyPrivacy privacy)
    {
        var spec = new StudySpec
        {
            StudyId = id, Model = "logreg", LabelColumn = SyntheticCohort.LabelColumn, Rounds = rounds, MinSites = minSites,
            RoundTimeoutSeconds = 20, Strategy = "fedavg", Privacy = privacy,
            Training = new TrainingConfig { LocalEpochs = 3, LearningRate = 0.1, L2 = 1e-3, BatchSize = 32, Seed = 3 },
        };
        spec.FeatureNames.AddRange(SyntheticCohort.FeatureNames);
        return spec;
    }

    private static async Task<StudyStatus> CreateWithoutSites(Cluster cluster, StudySpec spec) =>
        await cluster.Admin.CreateStudyAsync(new CreateStudyRequest { Spec = spec });

    /// <summary>ε(δ) of k Gaussian mechanisms with noise multiplier σ, computed here apart from the RdpAccountant: RDP kα/(2σ²), Balle et al. 2020's conversion, dp_accounting's orders.</summary>
    private static double ReferenceEpsilon(double sigma, int k)
    {
        double[] orders = [.. Enumerable.Range(1, 99).Select(x => 1 + x / 10.0), .. Enumerable.Range(11, 53).Select(x => (double)x), 128, 256, 512, 1024];
        return orders.Min(a => Math.Max(0, k * a / (2 * sigma * sigma) + Math.Log(1 - 1 / a) - Math.Log(Delta * a) / (a - 1)));
    }
}
