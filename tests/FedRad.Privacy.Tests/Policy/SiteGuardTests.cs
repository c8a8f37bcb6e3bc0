using System.Text.Json.Nodes;
using FedRad.Privacy.DifferentialPrivacy;
using FedRad.Privacy.Audit;
using FedRad.Privacy.Policy;

namespace FedRad.Privacy.Tests.Policy;

public sealed class SiteGuardTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("fedrad-guard-").FullName;
    private string LogPath => Path.Combine(dir, "audit.jsonl");
    private string Approvals => Path.Combine(dir, "approvals");

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private SiteGuard Open(string policy = SitePolicyTests.Example) => SiteGuard.Open(SitePolicy.Parse(policy), "hospital-a", LogPath, Approvals);

    private static TaskDescription Train(int round, string study = "lung-nsclc-2", double sigma = 4.0) =>
        new($"{study}/r{round}/train", study, round, "train", "logreg", new DpStep(sigma));

    private List<JsonObject> Lines() => File.ReadAllLines(LogPath).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();

    [Fact]
    public void Rounds_beyond_the_maximum_and_replays_are_refused_and_the_history_survives_a_restart()
    {
        var guard = Open();
        for (var r = 1; r <= 2; r++)
        {
            Assert.True(guard.Admit(Train(r)).Allowed);
            guard.Completed(Train(r));
        }
        var replay = guard.Admit(Train(2));
        Assert.Equal("round 2 of study 'lung-nsclc-2' already ran a 'train' task here: a replay is refused", replay.Reason);

        var restarted = Open(); // history rebuilt from the audit log
        Assert.Equal(2, restarted.RoundsRun("lung-nsclc-2"));
        Assert.True(restarted.Admit(Train(3)).Allowed);
        restarted.Completed(Train(3));
        var fourth = restarted.Admit(Train(4));
        Assert.Equal(PolicyVerdict.Refused, fourth.Verdict);
        Assert.Equal("study 'lung-nsclc-2' already ran 3 rounds here, this site's maximum", fourth.Reason);
        // An evaluation in a round that already ran is no new round.
        Assert.True(restarted.Admit(new TaskDescription("e3", "lung-nsclc-2", 3, "evaluate", "logreg")).Allowed);

        var refusals = Lines().Where(l => (string)l["event"]! == "task.refused").ToList();
        Assert.Equal(2, refusals.Count);
        Assert.Equal("lung-nsclc-2/r4/train", (string)refusals[1]["data"]!["task"]!["task_id"]!);
        Assert.Contains("this site's maximum", (string)refusals[1]["data"]!["reason"]!);
        Assert.True(AuditLog.Verify(LogPath).Ok);
    }

    [Fact]
    public void The_privacy_budget_stops_a_study_before_the_round_that_would_exceed_it()
    {
        // ε = 4 at δ = 1e-5 for the whole site; σ = 2 per round spends ε ≈ 2.2 in the first round, 3.2 in two.
        var guard = Open(SitePolicyTests.Example.Replace("max_rounds: 3", "max_rounds: 100"));
        var epsilons = new List<double>();
        var round = 1;
        while (guard.Admit(Train(round, sigma: 2.0)) is { Allowed: true })
            epsilons.Add(guard.Completed(Train(round++, sigma: 2.0))!.Epsilon);
        Assert.Equal(2, epsilons.Count);
        var refused = Lines().Last();
        Assert.Equal("task.refused", (string)refused["event"]!);
        Assert.StartsWith("privacy budget exceeded: ε would go from", (string)refused["data"]!["reason"]!);

        var check = new RdpAccountant();
        check.Compose(new DpStep(2.0, Count: 2));
        Assert.Equal(check.Epsilon(1e-5).Epsilon, epsilons[^1], 1e-12);
        Assert.True(epsilons[^1] <= 4);
        check.Compose(new DpStep(2.0));
        Assert.True(check.Epsilon(1e-5).Epsilon > 4);

        // Site scope: another study draws from the same, spent budget.
        Assert.StartsWith("privacy budget exceeded", guard.Admit(Train(1, "lung-nsclc-3", sigma: 2.0)).Reason);
        // After a restart the budget is still spent.
        Assert.StartsWith("privacy budget exceeded", Open(SitePolicyTests.Example.Replace("max_rounds: 3", "max_rounds: 100")).Admit(Train(round, sigma: 2.0)).Reason);
        // Per-study scope: a new study starts with its own budget.
        var perStudy = Open(SitePolicyTests.Example.Replace("max_rounds: 3", "max_rounds: 100").Replace("  delta: 1e-5", "  delta: 1e-5\n  scope: study"));
        Assert.True(perStudy.Admit(Train(1, "lung-nsclc-3", sigma: 2.0)).Allowed);
    }

    [Fact]
    public void Manual_approval_holds_a_task_until_the_operator_approves_this_exact_task()
    {
        var guard = Open(SitePolicyTests.Example.Replace("manual_approval: false", "manual_approval: true"));
        var task = Train(1);
        var first = guard.Admit(task);
        Assert.Equal(PolicyVerdict.AwaitingApproval, first.Verdict);
        Assert.Equal("waiting for the site operator: fedrad site approve lung-nsclc-2/r1/train", first.Reason);
        Assert.Equal(PolicyVerdict.AwaitingApproval, guard.Admit(task).Verdict); // re-sent task: still waiting, not audited again
        var pending = Assert.Single(guard.Approvals.Pending());
        Assert.Equal(task, pending.Task);

        new ManualApprovals(Approvals).Decide(task.TaskId, approve: true, by: "dr.smith");
        var approved = guard.Admit(task);
        Assert.True(approved.Allowed);
        Assert.Contains("approved by dr.smith", approved.Reason);
        Assert.Empty(guard.Approvals.Pending());

        // The coordinator re-sends the same task id with other noise: the approval does not carry over.
        Assert.Equal(PolicyVerdict.AwaitingApproval, guard.Admit(task with { Privacy = new DpStep(3.0) }).Verdict);
        new ManualApprovals(Approvals).Decide(task.TaskId, approve: false, by: "dr.smith", reason: "noise too low");
        Assert.Equal("the site operator (dr.smith) rejected the task: noise too low", guard.Admit(task with { Privacy = new DpStep(3.0) }).Reason);
        Assert.Contains("no task 'other' is waiting", Assert.Throws<InvalidOperationException>(() => new ManualApprovals(Approvals).Decide("other", true, "x")).Message);

        var events = Lines().Select(l => (string)l["event"]!).ToList();
        Assert.Equal(["guard.opened", "task.awaiting-approval", "task.admitted", "task.awaiting-approval", "task.refused"], events);
    }

    [Fact]
    public void An_aggregate_below_the_minimum_cohort_is_refused_and_audited()
    {
        var guard = Open();
        var task = new TaskDescription("s1", "hn-2025", 1, "statistics", "moments");
        Assert.True(guard.Admit(task).Allowed);
        Assert.False(guard.CheckAggregate(task, "moments of feature 'suv_max' in stratum 'female'", 7).Allowed);
        var line = Lines().Last();
        Assert.Equal("aggregate.refused", (string)line["event"]!);
        Assert.Equal(7, (int)line["data"]!["patients"]!);
    }

    [Fact]
    public void A_guard_refuses_a_policy_for_another_site()
    {
        var e = Assert.Throws<PolicyFileException>(() => SiteGuard.Open(SitePolicy.Parse(SitePolicyTests.Example), "hospital-b", LogPath, Approvals));
        Assert.Contains("the policy is for site 'hospital-a', not 'hospital-b'", e.Message);
    }
}
