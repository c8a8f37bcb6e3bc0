using FedRad.IntegrationTests.Infrastructure;
using FedRad.Learning.Synthetic;
using FedRad.Protocol.V1;

namespace FedRad.IntegrationTests;

/// <summary>
/// Site sovereignty: a site's policy file decides what runs on its data. A refused task is
/// declined with the reason (the round goes on without the site) and recorded in the site's own
/// audit log; a site with manual approval runs a task only after its operator approves it.
/// </summary>
public sealed class SitePolicyTests
{
    [Fact]
    public async Task A_site_declines_what_its_policy_forbids_and_waits_for_its_operator_where_required()
    {
        await using var cluster = new Cluster();
        await cluster.StartCoordinator();
        var profiles = SyntheticCohort.Profiles(3);
        var dirs = new Dictionary<string, string>();
        foreach (var p in profiles)
        {
            dirs[p.SiteId] = Path.Combine(cluster.Root, p.SiteId);
            SyntheticCohort.WriteSite(p, dirs[p.SiteId]);
        }
        var policy2 = Path.Combine(cluster.Root, "policy-2.yaml");
        await File.WriteAllTextAsync(policy2, """
            site: site-2
            studies: [allowed-*]
            tasks:
              train: [logreg]
              evaluate: [logreg]
              standardise: [logreg]
            min_cohort: 5
            max_rounds: 50
            manual_approval: false
            """);
        var policy3 = Path.Combine(cluster.Root, "policy-3.yaml");
        await File.WriteAllTextAsync(policy3, """
            site: site-3
            studies: ["*"]
            tasks:
              train: [logreg]
              evaluate: [logreg]
              standardise: [logreg]
            min_cohort: 5
            max_rounds: 50
            manual_approval: true
            """);
        var approvals3 = Path.Combine(cluster.Root, "approvals-3");
        cluster.Sites["site-1"] = FedradProcess.Start("site-1", "site", "--coordinator", cluster.Url, "--site-id", "site-1", "--data", dirs["site-1"]);
        cluster.Sites["site-2"] = FedradProcess.Start("site-2", "site", "--coordinator", cluster.Url, "--site-id", "site-2", "--data", dirs["site-2"], "--policy", policy2);
        cluster.Sites["site-3"] = FedradProcess.Start("site-3", "site", "--coordinator", cluster.Url, "--site-id", "site-3", "--data", dirs["site-3"], "--policy", policy3, "--approvals", approvals3);
        await cluster.WaitForRegistered(3);

        // site-2's policy does not allow this study: it declines, the study goes on with site-1.
        await Start(cluster, "forbidden-1", ["site-1", "site-2"], minSites: 1);
        var forbidden = await cluster.WaitFor("forbidden-1", s => s.State is StudyState.Completed or StudyState.Failed, TimeSpan.FromSeconds(60));
        Assert.Equal(StudyState.Completed, forbidden.State);
        Assert.All(forbidden.Rounds, r => Assert.Equal(["site-1"], r.Participants));
        Assert.All(forbidden.Rounds, r => Assert.Contains(r.StrategyLog, l => l.StartsWith("site 'site-2' declined:") && l.Contains("forbidden-1")));
        Assert.All(forbidden.Rounds, r => Assert.StartsWith("all sites answered or declined", r.CloseReason));
        var audit2 = Path.Combine(dirs["site-2"], ".fedrad", "site-audit.jsonl");
        Assert.Contains("forbidden-1", await File.ReadAllTextAsync(audit2));
        var (verify, verified) = await FedradProcess.Run(TimeSpan.FromSeconds(60), "site", "audit", "verify", audit2);
        Assert.True(verify == 0, verified);

        // site-3 holds every task until its operator approves it.
        await Start(cluster, "allowed-1", ["site-1", "site-3"], minSites: 2);
        await Task.Delay(TimeSpan.FromSeconds(4));
        var waiting = await cluster.Admin.GetStudyAsync(new StudyRef { StudyId = "allowed-1" });
        Assert.Equal(StudyState.Running, waiting.State);
        Assert.Equal(0, waiting.CurrentRound); // the standardisation round waits for site-3
        var approved = 0;
        var deadline = DateTime.UtcNow.AddSeconds(150);
        StudyStatus status;
        do
        {
            var (_, pending) = await FedradProcess.Run(TimeSpan.FromSeconds(60), "site", "pending", "--approvals", approvals3);
            foreach (var task in pending.Split('\n').Where(l => l.StartsWith("allowed-1/")).Select(l => l.Split('\t')[0]))
            {
                var (code, output) = await FedradProcess.Run(TimeSpan.FromSeconds(60), "site", "approve", task, "--approvals", approvals3, "--by", "test-operator");
                Assert.True(code == 0, output);
                approved++;
            }
            await Task.Delay(500);
            status = await cluster.Admin.GetStudyAsync(new StudyRef { StudyId = "allowed-1" });
        } while (status.State == StudyState.Running && DateTime.UtcNow < deadline);
        Assert.Equal(StudyState.Completed, status.State);
        Assert.All(status.Rounds, r => Assert.Equal(["site-1", "site-3"], r.Participants));
        Assert.Equal(status.Rounds.Count, approved); // one approval per task: standardisation, training, evaluation
    }

    private static async Task Start(Cluster cluster, string id, string[] sites, int minSites)
    {
        var spec = new StudySpec { StudyId = id, Model = "logreg", LabelColumn = SyntheticCohort.LabelColumn, Rounds = 1, MinSites = minSites, RoundTimeoutSeconds = 120 };
        spec.FeatureNames.AddRange(SyntheticCohort.FeatureNames);
        spec.SiteIds.AddRange(sites);
        await cluster.Admin.CreateStudyAsync(new CreateStudyRequest { Spec = spec });
        await cluster.Admin.StartStudyAsync(new StudyRef { StudyId = id });
    }
}
