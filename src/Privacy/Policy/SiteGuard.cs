using System.Globalization;
using System.Text.Json;
using FedRad.Privacy.Audit;
using FedRad.Privacy.DifferentialPrivacy;

namespace FedRad.Privacy.Policy;

/// <summary>
/// The site agent's gate in front of every task: the site policy, what already ran here (rounds
/// per study, privacy spent), manual approval, and the hash-chained audit log that records each
/// decision. History is rebuilt from the audit log when the guard opens, so it survives restarts
/// and cannot drift from what the log says. Not thread-safe: the agent runs one task at a time
/// through it.
///
/// Sequence for a task: <see cref="Admit"/> (run only if Allowed; AwaitingApproval: ask again
/// later, the coordinator re-sends the task), <see cref="CheckAggregate"/> for every aggregate the
/// task would send, then <see cref="Completed"/> once the result was accepted (spends the round
/// and the privacy step), or <see cref="Failed"/>.
/// </summary>
public sealed class SiteGuard
{
    private readonly SitePolicy policy;
    private readonly AuditLog log;
    private readonly ManualApprovals approvals;
    private readonly Dictionary<string, HashSet<(string Kind, int Round)>> ran = new(StringComparer.Ordinal);
    private readonly Dictionary<string, PrivacyBudget> budgets = new(StringComparer.Ordinal);

    private SiteGuard(SitePolicy policy, AuditLog log, ManualApprovals approvals)
    {
        this.policy = policy;
        this.log = log;
        this.approvals = approvals;
    }

    public AuditLog Log => log;
    public ManualApprovals Approvals => approvals;

    /// <summary>Opens the guard of site <paramref name="siteId"/>; refuses a policy written for another site and a broken audit log.</summary>
    public static SiteGuard Open(SitePolicy policy, string siteId, string auditLogPath, string approvalsDirectory)
    {
        if (policy.SiteId is { } owner && owner != siteId)
            throw new PolicyFileException(policy.Source, 0, "site", $"the policy is for site '{owner}', not '{siteId}'");
        var log = AuditLog.Open(auditLogPath, out var entries);
        var guard = new SiteGuard(policy, log, new ManualApprovals(approvalsDirectory));
        foreach (var e in entries.Where(e => e.Event == "task.completed"))
        {
            var task = JsonSerializer.Deserialize<TaskDescription>(e.Data["task"], JsonOptions)!;
            guard.Remember(task);
        }
        log.Append("guard.opened", new { site = siteId, policy = policy.Source, max_rounds = policy.MaxRounds, min_cohort = policy.MinCohort, privacy = policy.Privacy });
        return guard;
    }

    /// <summary>The policy's answer for a task; audited, except a task that was already waiting for approval and still is.</summary>
    public PolicyDecision Admit(TaskDescription task)
    {
        var (decision, newlyPending) = Decide(task);
        if (decision.Verdict == PolicyVerdict.AwaitingApproval && !newlyPending) return decision;
        var @event = decision.Verdict switch
        {
            PolicyVerdict.Allowed => "task.admitted",
            PolicyVerdict.AwaitingApproval => "task.awaiting-approval",
            _ => "task.refused",
        };
        log.Append(@event, new { task, reason = decision.Reason });
        return decision;
    }

    /// <summary>Whether one aggregate of the task may leave the site (minimum cohort); a refusal is audited.</summary>
    public PolicyDecision CheckAggregate(TaskDescription task, string aggregate, int patients)
    {
        var decision = policy.CheckAggregate(patients, aggregate);
        if (!decision.Allowed) log.Append("aggregate.refused", new { task, aggregate, patients, reason = decision.Reason });
        return decision;
    }

    /// <summary>Records a task whose result left the site: the round counts and the privacy step is spent. Returns ε so far (null without DP).</summary>
    public PrivacySpent? Completed(TaskDescription task)
    {
        var spent = Remember(task);
        log.Append("task.completed", new { task, epsilon = spent?.Epsilon, delta = spent?.Delta });
        return spent;
    }

    /// <summary>Records a task that was admitted but did not produce a result (nothing is spent).</summary>
    public void Failed(TaskDescription task, string reason) => log.Append("task.failed", new { task, reason });

    /// <summary>ε spent so far by the budget a study's tasks draw from (null when the policy has no budget).</summary>
    public PrivacySpent? PrivacySpent(string studyId) =>
        policy.Privacy is null ? null : budgets.TryGetValue(BudgetKey(studyId), out var b) ? b.Spent : new PrivacySpent(0, policy.Privacy.Delta, double.NaN);

    public int RoundsRun(string studyId) => ran.TryGetValue(studyId, out var r) ? r.Select(x => x.Round).Distinct().Count() : 0;

    private (PolicyDecision Decision, bool NewlyPending) Decide(TaskDescription task)
    {
        var basic = policy.EvaluateStatic(task);
        if (!basic.Allowed) return (basic, false);
        if (ran.TryGetValue(task.StudyId, out var done))
        {
            if (done.Contains((task.Kind, task.Round)))
                return (PolicyDecision.Refuse($"round {task.Round} of study '{task.StudyId}' already ran a '{task.Kind}' task here: a replay is refused"), false);
            var rounds = done.Select(x => x.Round).ToHashSet();
            if (!rounds.Contains(task.Round) && rounds.Count >= policy.MaxRounds)
                return (PolicyDecision.Refuse($"study '{task.StudyId}' already ran {rounds.Count} rounds here, this site's maximum"), false);
        }
        if (task.Privacy is { } step && policy.Privacy is not null)
        {
            var budget = Budget(task.StudyId);
            var check = budget.CanRun(step);
            if (!check.Allowed) return (PolicyDecision.Refuse(check.Reason), false);
        }
        if (policy.ManualApproval)
        {
            switch (approvals.Decision(task))
            {
                case null:
                    var added = approvals.RequestApproval(task);
                    return (new PolicyDecision(PolicyVerdict.AwaitingApproval, $"waiting for the site operator: fedrad site approve {task.TaskId}"), added);
                case { Approved: false } no:
                    return (PolicyDecision.Refuse($"the site operator ({no.By}) rejected the task{(no.Reason is null ? "" : $": {no.Reason}")}"), false);
                case { } yes:
                    return (PolicyDecision.Allow(string.Create(CultureInfo.InvariantCulture, $"{basic.Reason}; approved by {yes.By} at {yes.At:u}")), false);
            }
        }
        return (basic, false);
    }

    private PrivacySpent? Remember(TaskDescription task)
    {
        if (!ran.TryGetValue(task.StudyId, out var done)) ran[task.StudyId] = done = [];
        done.Add((task.Kind, task.Round));
        if (task.Privacy is not { } step || policy.Privacy is null) return null;
        return Budget(task.StudyId).Record(step);
    }

    private PrivacyBudget Budget(string studyId)
    {
        var key = BudgetKey(studyId);
        if (!budgets.TryGetValue(key, out var budget)) budgets[key] = budget = new PrivacyBudget(policy.Privacy!.Epsilon, policy.Privacy.Delta);
        return budget;
    }

    private string BudgetKey(string studyId) => policy.Privacy?.Scope == BudgetScope.Study ? "study:" + studyId : "site";

    private static readonly JsonSerializerOptions JsonOptions = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
}
