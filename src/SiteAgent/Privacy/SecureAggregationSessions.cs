using FedRad.Privacy.SecureAggregation;
using FedRad.Protocol.V1;

namespace FedRad.SiteAgent.Privacy;

/// <summary>
/// This site's side of the secure-aggregation sessions it takes part in, one per (study, round), in
/// memory only (one per secure statistics request too: analysis and sequence): the secrets never touch the disk, and an agent that restarts mid-session has simply
/// dropped out of it, which the protocol tolerates. Each stage checks that the coordinator's message
/// belongs to the task's session; a stage whose session this agent does not hold is not answered.
/// </summary>
public sealed class SecureAggregationSessions(string siteId, SecAggAuthentication? authentication) : IDisposable
{
    private readonly Dictionary<string, (SecAggConfig Config, SecAggSite Site)> _sessions = new(StringComparer.Ordinal);

    /// <summary>A study's round: "{study}/{round}"; a secure statistics request (no study): its task id's first two segments, "{analysis}/{sequence}".</summary>
    private static string SessionId(SiteTask task) => task.Kind == TaskKind.Statistics ? string.Join('/', task.TaskId.Split('/').Take(2)) : $"{task.StudyId}/{task.Round}";

    /// <summary>What a new session supersedes: the study's earlier rounds, or the analysis's earlier requests.</summary>
    private static string Scope(SiteTask task) => task.Kind == TaskKind.Statistics ? task.TaskId.Split('/')[0] : task.StudyId;

    public bool Holds(SiteTask task) => _sessions.ContainsKey(SessionId(task));

    /// <summary>The session's threshold t (central DP noise is split among at least t survivors).</summary>
    public int Threshold(SiteTask task) => _sessions[SessionId(task)].Config.Threshold;

    /// <summary>ADVERTISE: a new session from the coordinator's config; the public keys to send.</summary>
    public SecAggReply Advertise(SiteTask task)
    {
        var config = SecAggJson.Deserialize<SecAggConfig>(task.Secagg.Message);
        if (config.SessionId != SessionId(task))
            throw new SecAggException(SecAggFailure.InvalidMessage, $"the session config is for '{config.SessionId}', the task for '{SessionId(task)}'");
        // A new round of a study (request of an analysis) ends this agent's part in its earlier sessions.
        foreach (var old in _sessions.Keys.Where(k => k.StartsWith(Scope(task) + "/", StringComparison.Ordinal)).ToList()) End(old);
        var site = new SecAggSite(config, siteId, authentication: authentication);
        _sessions[config.SessionId] = (config, site);
        return Reply(task, SecAggJson.Serialize(site.AdvertiseKeys()));
    }

    /// <summary>SHARE: this site's encrypted shares for every site of the key directory.</summary>
    public SecAggReply Share(SiteTask task) =>
        Reply(task, SecAggJson.Serialize(Site(task).ShareKeys(SecAggJson.Deserialize<KeyDirectory>(task.Secagg.Message))));

    /// <summary>MASK: the masked vector of this site's contribution.</summary>
    public ulong[] Mask(SiteTask task, double[] contribution) =>
        Site(task).MaskInput(contribution, SecAggJson.Deserialize<ShareInbox>(task.Secagg.Message)).Masked;

    /// <summary>UNMASK: the shares the coordinator needs; the session ends here.</summary>
    public SecAggReply Unmask(SiteTask task)
    {
        var response = Site(task).Unmask(SecAggJson.Deserialize<UnmaskingRequest>(task.Secagg.Message));
        End(SessionId(task));
        return Reply(task, SecAggJson.Serialize(response));
    }

    public void Dispose()
    {
        foreach (var k in _sessions.Keys.ToList()) End(k);
    }

    private SecAggSite Site(SiteTask task) => _sessions[SessionId(task)].Site;

    private void End(string session)
    {
        _sessions[session].Site.Dispose();
        _sessions.Remove(session);
    }

    private SecAggReply Reply(SiteTask task, string message) => new()
    {
        SiteId = siteId, TaskId = task.TaskId, StudyId = task.StudyId, Round = task.Round, Stage = task.Secagg.Stage, Message = message,
    };
}
