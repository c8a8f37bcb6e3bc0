using System.Text.Json;
using FedRad.Privacy.DifferentialPrivacy;
using FedRad.Privacy.Policy;
using FedRad.Protocol.V1;
using FedRad.SiteAgent.Hosting;

namespace FedRad.SiteAgent.Policy;

/// <summary>
/// Where the site's policy is enforced: every task the coordinator sends passes here before it runs.
/// With a policy file (--policy) the site's <see cref="SiteGuard"/> decides (allowed studies, task kinds
/// and models, minimum cohort, maximum rounds, privacy budget, manual approval) and writes every
/// decision to the site's own hash-chained audit log. Without one, every task is allowed.
/// </summary>
public sealed class TaskGate
{
    private readonly SiteGuard? _guard;

    public SitePolicy? Policy { get; }

    private TaskGate(SitePolicy? policy, SiteGuard? guard)
    {
        Policy = policy;
        _guard = guard;
    }

    public static TaskGate Open(SiteAgentOptions o)
    {
        if (o.PolicyPath.Length == 0) return new TaskGate(null, null);
        var policy = SitePolicy.Load(o.PolicyPath);
        var audit = o.SiteAuditLogPath.Length > 0 ? o.SiteAuditLogPath : Path.Combine(o.DataDirectory, ".fedrad", "site-audit.jsonl");
        var approvals = o.ApprovalsDirectory.Length > 0 ? o.ApprovalsDirectory : Path.Combine(o.DataDirectory, ".fedrad", "approvals");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(audit))!);
        return new TaskGate(policy, SiteGuard.Open(policy, o.SiteId, audit, approvals));
    }

    public PolicyDecision Admit(SiteTask task) => _guard?.Admit(Describe(task)) ?? PolicyDecision.Allow("no site policy configured");

    public void Completed(SiteTask task) => _guard?.Completed(Describe(task));

    public void Failed(SiteTask task, string reason) => _guard?.Failed(Describe(task), reason);

    /// <summary>
    /// How the policy sees a task: its kind and model (for statistics, the request's kind), and for a training task
    /// under differential privacy the Gaussian mechanism it spends (sampling rate 1: the site cannot verify that the
    /// coordinator samples sites secretly, so it claims no amplification).
    /// </summary>
    public static TaskDescription Describe(SiteTask t) => new(t.TaskId, t.StudyId, t.Round, t.Kind switch
    {
        TaskKind.Train => "train",
        TaskKind.Evaluate => "evaluate",
        TaskKind.Standardise => "standardise",
        _ => "statistics",
    }, t.Kind == TaskKind.Statistics ? StatisticsKind(t.StatisticsRequest) : t.Model,
        t.Kind == TaskKind.Train && t.Privacy is { DpMode.Length: > 0, NoiseMultiplier: > 0 } dp ? new DpStep(dp.NoiseMultiplier) : null);

    private static string StatisticsKind(string json)
    {
        try { return JsonDocument.Parse(json).RootElement.TryGetProperty("kind", out var k) ? k.GetString() ?? "" : ""; }
        catch (JsonException) { return ""; }
    }
}
