using System.CommandLine;
using FedRad.Privacy.Audit;

namespace FedRad.Cli.Commands;

/// <summary>`fedrad audit verify FILE`: checks the hash chain of a coordinator's audit log.</summary>
public static class AuditCommand
{
    public static Command Create()
    {
        var file = new Argument<FileInfo>("FILE") { Description = "audit log (JSON lines) written by a coordinator" };
        var verify = new Command("verify", "Detect any edit, deletion or reordering of audit log lines") { file };
        verify.SetAction(parse =>
        {
            var path = parse.GetValue(file)!.FullName;
            var result = AuditLog.Verify(path);
            (result.Ok ? Console.Out : Console.Error).WriteLine(result.Ok ? result.Message(path) : $"error: {result.Message(path)}");
            return result.Ok ? 0 : 1;
        });
        return new Command("audit", "Coordinator audit logs") { verify };
    }
}
