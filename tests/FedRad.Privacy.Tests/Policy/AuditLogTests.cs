using System.Security.Cryptography;
using System.Text;
using FedRad.Privacy.Audit;

namespace FedRad.Privacy.Tests.Policy;

public sealed class AuditLogTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("fedrad-audit-").FullName;
    private string PathOf => System.IO.Path.Combine(dir, "audit.jsonl");

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private AuditLog Write(int lines)
    {
        var log = AuditLog.Open(PathOf, out _);
        for (var i = 1; i <= lines; i++) log.Append("task.refused", new { task = $"t{i}", reason = $"reason {i}" });
        return log;
    }

    [Fact]
    public void Each_line_carries_its_own_sha256_and_the_one_of_the_line_before_and_the_chain_verifies()
    {
        var log = Write(4);
        var lines = File.ReadAllLines(PathOf);
        Assert.Contains($"\"prev\":\"{AuditLog.Genesis}\"", lines[0]);
        var hashes = new List<string>();
        foreach (var line in lines)
        {
            // The hash is the last field; it covers the line without it.
            var at = line.LastIndexOf(",\"hash\":\"", StringComparison.Ordinal);
            var body = line[..at] + "}";
            var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(body)));
            Assert.Equal($",\"hash\":\"{hash}\"}}", line[at..]);
            hashes.Add(hash);
        }
        for (var i = 1; i < lines.Length; i++) Assert.Contains($"\"prev\":\"{hashes[i - 1]}\"", lines[i]);
        var check = AuditLog.Verify(PathOf);
        Assert.True(check.Ok);
        Assert.Equal(4, check.Lines);
        Assert.Equal(log.HeadHash, check.HeadHash);
        // Reopening continues the chain.
        AuditLog.Open(PathOf, out var entries).Append("task.admitted", new { task = "t5" });
        Assert.Equal(4, entries.Count);
        Assert.True(AuditLog.Verify(PathOf).Ok);
    }

    [Fact]
    public void An_edited_removed_or_cut_line_is_found_with_its_number()
    {
        Write(5);
        var original = File.ReadAllLines(PathOf);

        File.WriteAllLines(PathOf, original.Select((l, i) => i == 1 ? l.Replace("reason 2", "reason 9") : l));
        var edited = AuditLog.Verify(PathOf);
        Assert.False(edited.Ok);
        Assert.Equal(2, edited.BadLine);
        Assert.Contains("does not match its hash", edited.Reason);
        Assert.Contains("line 2", Assert.Throws<AuditLogException>(() => AuditLog.Open(PathOf, out _)).Message);

        // The last line edited is caught too: every line carries its own hash.
        File.WriteAllLines(PathOf, original.Select((l, i) => i == 4 ? l.Replace("reason 5", "reason 0") : l));
        Assert.Equal(5, AuditLog.Verify(PathOf).BadLine);

        File.WriteAllLines(PathOf, original.Where((_, i) => i != 2));
        var removed = AuditLog.Verify(PathOf);
        Assert.Equal(3, removed.BadLine);
        Assert.Contains("sequence number 4, expected 3", removed.Reason);

        File.WriteAllText(PathOf, string.Join("\n", original) + "\n" + original[0][..20]);
        var cut = AuditLog.Verify(PathOf);
        Assert.Equal(6, cut.BadLine);
        Assert.Contains("incomplete", cut.Reason);

        File.WriteAllLines(PathOf, original.Take(2).Append("{not json").Concat(original.Skip(3)));
        Assert.Contains("not an audit entry", AuditLog.Verify(PathOf).Reason);
    }
}
