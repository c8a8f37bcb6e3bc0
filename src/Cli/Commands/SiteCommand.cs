using System.CommandLine;
using FedRad.Privacy.Policy;
using FedRad.SiteAgent.Hosting;
using Microsoft.Extensions.Hosting;

namespace FedRad.Cli.Commands;

/// <summary>`fedrad site`: runs a hospital's site agent until stopped.</summary>
public static class SiteCommand
{
    public static Command Create()
    {
        var coordinator = new Option<string>("--coordinator") { Description = "coordinator gRPC address (several silos of one cluster: comma-separated)", Required = true };
        var siteId = new Option<string>("--site-id") { Description = "this site's id", Required = true };
        var data = new Option<string>("--data") { Description = "folder holding the site's cohort.csv", Required = true };
        var minCohort = new Option<int>("--min-cohort") { Description = "refuse any result computed from fewer patients", DefaultValueFactory = _ => 5 };

        var spectCalibration = new Option<string>("--spect-calibration") { Description = "the site's SPECT camera calibration (YAML): SPECT (NM) features in SUV instead of counts", DefaultValueFactory = _ => "" };

        var health = new Option<string>("--health-urls") { Description = "local HTTP address(es) for the agent's /healthz, e.g. http://127.0.0.1:8081", DefaultValueFactory = _ => "" };

        var cert = new Option<string>("--cert") { Description = "this site's certificate (PEM, fedrad pki issue-site): connect with mutual TLS", DefaultValueFactory = _ => "" };
        var key = new Option<string>("--key") { Description = "its private key (PEM, mode 0600)", DefaultValueFactory = _ => "" };
        var ca = new Option<string>("--ca") { Description = "the consortium CA certificate (PEM)", DefaultValueFactory = _ => "" };

        var policy = new Option<string>("--policy") { Description = "the site's policy file: what may run on this site's data", DefaultValueFactory = _ => "" };
        var siteAudit = new Option<string>("--site-audit-log") { Description = "the site's own audit log of policy decisions (default: DATA/.fedrad/site-audit.jsonl)", DefaultValueFactory = _ => "" };
        var approvals = new Option<string>("--approvals") { Description = "folder of manual approvals (default: DATA/.fedrad/approvals)", DefaultValueFactory = _ => "" };

        var command = new Command("site", "Run a site agent") { policy, siteAudit, approvals,  coordinator, siteId, data, minCohort, spectCalibration, health, cert, key, ca };
        command.SetAction(async (parse, ct) =>
        {
            var host = SiteAgentHost.Build(new SiteAgentOptions
            {
                CoordinatorUrl = parse.GetValue(coordinator)!,
                SiteId = parse.GetValue(siteId)!,
                DataDirectory = parse.GetValue(data)!,
                MinCohortSize = parse.GetValue(minCohort),
                SpectCalibrationPath = parse.GetValue(spectCalibration)!,
                HealthUrls = parse.GetValue(health)!,
                PolicyPath = parse.GetValue(policy)!,
                SiteAuditLogPath = parse.GetValue(siteAudit)!,
                ApprovalsDirectory = parse.GetValue(approvals)!,
                CertificatePath = parse.GetValue(cert)!,
                KeyPath = parse.GetValue(key)!,
                CaCertificatePath = parse.GetValue(ca)!,
            });
            await host.RunAsync(ct);
            return 0;
        });
        command.Subcommands.Add(Approve(true));
        command.Subcommands.Add(Approve(false));
        command.Subcommands.Add(Pending());
        command.Subcommands.Add(Audit());
        return command;
    }

    private static Option<string> ApprovalsOption() =>
        new("--approvals") { Description = "the agent's approvals folder (default DATA/.fedrad/approvals)", Required = true };

    /// <summary>`fedrad site approve|reject TASK`: the site operator's decision on a task that waits for manual approval.</summary>
    private static Command Approve(bool approve)
    {
        var task = new Argument<string>("TASK") { Description = "task id, as the agent's log and `fedrad site pending` show it" };
        var dir = ApprovalsOption();
        var by = new Option<string>("--by") { Description = "who decides (recorded)", DefaultValueFactory = _ => Environment.UserName };
        var reason = new Option<string?>("--reason") { Description = "why (required to reject)", Required = !approve };
        var command = new Command(approve ? "approve" : "reject", approve ? "Let a waiting task run on this site's data" : "Refuse a waiting task") { task, dir, by, reason };
        command.SetAction(parse =>
        {
            try
            {
                var record = new ManualApprovals(parse.GetValue(dir)!).Decide(parse.GetValue(task)!, approve, parse.GetValue(by)!, parse.GetValue(reason));
                Console.WriteLine($"{record.TaskId}: {(record.Approved ? "approved" : "rejected")} by {record.By}");
                return 0;
            }
            catch (InvalidOperationException e) { Console.Error.WriteLine($"error: {e.Message}"); return 1; }
        });
        return command;
    }

    private static Command Pending()
    {
        var dir = ApprovalsOption();
        var command = new Command("pending", "Tasks waiting for this site's manual approval") { dir };
        command.SetAction(parse =>
        {
            foreach (var p in new ManualApprovals(parse.GetValue(dir)!).Pending())
                Console.WriteLine($"{p.Task.TaskId}\t{p.Task.Kind} {p.Task.Model}\tstudy {p.Task.StudyId} round {p.Task.Round}\tsince {p.Since:u}");
            return 0;
        });
        return command;
    }

    private static Command Audit()
    {
        var file = new Argument<FileInfo>("FILE") { Description = "the site's audit log (default DATA/.fedrad/site-audit.jsonl)" };
        var verify = new Command("verify", "Check the hash chain of this site's audit log") { file };
        verify.SetAction(parse =>
        {
            var path = parse.GetValue(file)!.FullName;
            var result = FedRad.Privacy.Audit.AuditLog.Verify(path);
            (result.Ok ? Console.Out : Console.Error).WriteLine(result.Ok ? result.Message(path) : $"error: {result.Message(path)}");
            return result.Ok ? 0 : 1;
        });
        return new Command("audit", "The site's own audit log") { verify };
    }
}
