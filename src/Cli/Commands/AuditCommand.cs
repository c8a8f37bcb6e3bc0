using System.CommandLine;
using FedRad.Coordinator.Events;

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
            var result = AuditChain.Verify(parse.GetValue(file)!.FullName);
            (result.Ok ? Console.Out : Console.Error).WriteLine(result.Ok ? result.Message : $"error: {result.Message}");
            return result.Ok ? 0 : 1;
        });
        return new Command("audit", "Coordinator audit logs") { verify };
    }
}
