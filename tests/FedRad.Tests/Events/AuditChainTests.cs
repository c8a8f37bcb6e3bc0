using FedRad.Coordinator.Contracts.Events;
using FedRad.Coordinator.Events;
using FedRad.Privacy.Audit;

namespace FedRad.Tests.Events;

/// <summary>The audit log's hash chain detects any edit, deletion or reordering, and a repeated event is written once.</summary>
public sealed class AuditChainTests
{
    private static string WriteLog(int events)
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("fedrad-audit-").FullName, "audit.jsonl");
        var writer = new AuditLogWriter(path);
        for (var i = 0; i < events; i++)
            writer.Append(Guid.NewGuid(), new RoundStarted("s", i, "Train", ["a", "b"], DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddSeconds(i)), DateTimeOffset.UnixEpoch.AddSeconds(i));
        return path;
    }

    [Fact]
    public void An_untouched_log_verifies_and_a_restarted_writer_continues_the_chain()
    {
        var path = WriteLog(5);
        new AuditLogWriter(path).Append(Guid.NewGuid(), new SiteHealthy("a", DateTimeOffset.UnixEpoch), DateTimeOffset.UnixEpoch);
        var result = AuditLog.Verify(path);
        Assert.True(result.Ok, result.Message(path));
        Assert.Equal(6, result.Lines);
    }

    [Fact]
    public void An_edited_line_is_detected_with_its_number()
    {
        var path = WriteLog(5);
        var lines = File.ReadAllLines(path);
        lines[2] = lines[2].Replace("\"round\":2", "\"round\":7");
        File.WriteAllLines(path, lines);
        var result = AuditLog.Verify(path);
        Assert.False(result.Ok);
        Assert.Equal(3, result.BadLine);
        Assert.Contains("was edited", result.Reason);
    }

    [Fact]
    public void A_deleted_line_is_detected()
    {
        var path = WriteLog(5);
        File.WriteAllLines(path, File.ReadAllLines(path).Where((_, i) => i != 1));
        var result = AuditLog.Verify(path);
        Assert.False(result.Ok);
        Assert.Equal(2, result.BadLine);
        Assert.Contains("sequence number 3, expected 2", result.Reason);
    }

    [Fact]
    public void Reordered_lines_are_detected()
    {
        var path = WriteLog(5);
        var lines = File.ReadAllLines(path);
        (lines[3], lines[4]) = (lines[4], lines[3]);
        File.WriteAllLines(path, lines);
        Assert.False(AuditLog.Verify(path).Ok);
    }

    [Fact]
    public void A_line_rewritten_with_a_fresh_hash_still_breaks_the_link_to_the_next_line()
    {
        var path = WriteLog(4);
        var lines = File.ReadAllLines(path);
        var at = lines[1].LastIndexOf(",\"hash\":\"", StringComparison.Ordinal);
        var body = lines[1][..at].Replace("\"round\":1", "\"round\":9") + "}";
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(body)));
        lines[1] = body[..^1] + ",\"hash\":\"" + hash + "\"}";
        File.WriteAllLines(path, lines);
        var result = AuditLog.Verify(path);
        Assert.False(result.Ok);
        Assert.Equal(3, result.BadLine);
        Assert.Contains("does not follow line 2", result.Reason);
    }

    [Fact]
    public void An_event_delivered_twice_is_written_once()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("fedrad-audit-").FullName, "audit.jsonl");
        var id = Guid.NewGuid();
        var evt = new SiteRegistered("a", "1", DateTimeOffset.UnixEpoch);
        Assert.True(new AuditLogWriter(path).Append(id, evt, evt.At));
        Assert.False(new AuditLogWriter(path).Append(id, evt, evt.At)); // after a restart too
        Assert.Single(File.ReadAllLines(path));
    }
}
