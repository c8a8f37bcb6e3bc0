using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace FedRad.Privacy.Policy;

/// <summary>A task waiting for the site operator, as <c>fedrad site approve</c> lists it.</summary>
public sealed record PendingTask(TaskDescription Task, string TaskHash, DateTimeOffset Since);

/// <summary>The operator's answer to one task, bound to the task's content by its hash.</summary>
public sealed record ApprovalRecord(string TaskId, string TaskHash, bool Approved, string By, string? Reason, DateTimeOffset At);

/// <summary>
/// Manual approval at the site through a folder the agent and the operator's command share:
/// the agent writes <c>&lt;h&gt;.pending.json</c> for a task it holds back, the operator's command
/// writes <c>&lt;h&gt;.decision.json</c> (h = SHA-256 of the task id, so any id is a safe file name).
/// A decision names the hash of the task's content, so a coordinator that re-sends the same task id
/// with different content (another study, model or noise level) needs a new approval.
/// </summary>
public sealed class ManualApprovals(string directory)
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };

    public string Directory { get; } = directory;

    public static string TaskHash(TaskDescription task) =>
        Convert.ToHexStringLower(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(task, Json)));

    /// <summary>The approval decision for this exact task, or null when there is none (yet).</summary>
    public ApprovalRecord? Decision(TaskDescription task)
    {
        var path = PathFor(task.TaskId, "decision");
        if (!File.Exists(path)) return null;
        var record = JsonSerializer.Deserialize<ApprovalRecord>(File.ReadAllText(path), Json);
        return record is not null && record.TaskHash == TaskHash(task) ? record : null;
    }

    /// <summary>Puts the task before the operator; false when exactly this task already waits.</summary>
    public bool RequestApproval(TaskDescription task)
    {
        System.IO.Directory.CreateDirectory(Directory);
        var path = PathFor(task.TaskId, "pending");
        var hash = TaskHash(task);
        if (File.Exists(path) && JsonSerializer.Deserialize<PendingTask>(File.ReadAllText(path), Json)?.TaskHash == hash) return false;
        WriteAtomically(path, JsonSerializer.Serialize(new PendingTask(task, hash, DateTimeOffset.UtcNow), Json));
        return true;
    }

    public IReadOnlyList<PendingTask> Pending() =>
        !System.IO.Directory.Exists(Directory) ? [] :
        System.IO.Directory.GetFiles(Directory, "*.pending.json").Select(f => JsonSerializer.Deserialize<PendingTask>(File.ReadAllText(f), Json)!)
            .Where(p => Decision(p.Task) is null).OrderBy(p => p.Since).ToList();

    /// <summary>The operator's decision on a pending task (by its id), for the content it was shown.</summary>
    public ApprovalRecord Decide(string taskId, bool approve, string by, string? reason = null)
    {
        var path = PathFor(taskId, "pending");
        if (!File.Exists(path)) throw new InvalidOperationException($"no task '{taskId}' is waiting for approval in {Directory}");
        var pending = JsonSerializer.Deserialize<PendingTask>(File.ReadAllText(path), Json)!;
        var record = new ApprovalRecord(taskId, pending.TaskHash, approve, by, reason, DateTimeOffset.UtcNow);
        WriteAtomically(PathFor(taskId, "decision"), JsonSerializer.Serialize(record, Json));
        return record;
    }

    private string PathFor(string taskId, string kind) =>
        Path.Combine(Directory, $"{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(taskId)))}.{kind}.json");

    private static void WriteAtomically(string path, string text)
    {
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, text);
        File.Move(temporary, path, overwrite: true);
    }
}
