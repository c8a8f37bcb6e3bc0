using System.CommandLine;
using FedRad.Cli.Infrastructure;
using FedRad.Protocol.V1;
using Google.Protobuf;
using Grpc.Core;
using Spectre.Console;

namespace FedRad.Cli.Commands;

/// <summary>`fedrad sites list|approve|suspend`: the consortium's sites and their enrollment.</summary>
public static class SitesCommand
{
    public static Command Create()
    {
        var coordinator = new Option<string>("--coordinator") { Description = "coordinator gRPC address", DefaultValueFactory = _ => "http://127.0.0.1:5000", Recursive = true };
        var json = new Option<bool>("--json") { Description = "print JSON instead of a table", Recursive = true };
        var token = new Option<string?>("--token") { Description = $"admin token (default: ${AdminChannel.TokenVariable})", Recursive = true };

        var list = new Command("list", "Registered sites: approval, health, last heartbeat, agent version");
        list.SetAction((parse, ct) => Call(parse.GetValue(coordinator)!, parse.GetValue(token), async c =>
        {
            var sites = await c.ListSitesAsync(new ListSitesRequest(), cancellationToken: ct);
            if (parse.GetValue(json)) Console.WriteLine(JsonFormatter.Default.Format(sites));
            else
            {
                var table = new Table().AddColumns("site", "approval", "health", "last heartbeat (UTC)", "agent", "certificate");
                foreach (var s in sites.Sites)
                    table.AddRow(Markup.Escape(s.SiteId), s.Approval, s.Healthy ? "[green]healthy[/]" : "[red]silent[/]",
                        DateTimeOffset.FromUnixTimeMilliseconds(s.LastHeartbeatUnixMs).ToString("u"), Markup.Escape(s.AgentVersion), s.CertificateSerial);
                AnsiConsole.Write(table);
            }
        }));

        var approveId = new Argument<string>("ID") { Description = "site id" };
        var approve = new Command("approve", "Approve a pending (or suspended) site: it starts receiving tasks") { approveId };
        approve.SetAction((parse, ct) => Call(parse.GetValue(coordinator)!, parse.GetValue(token), async c =>
            Print(await c.ApproveSiteAsync(new SiteRef { SiteId = parse.GetValue(approveId) }, cancellationToken: ct), parse.GetValue(json))));

        var suspendId = new Argument<string>("ID") { Description = "site id" };
        var reason = new Option<string>("--reason") { Description = "why (recorded in the audit log)", Required = true };
        var suspend = new Command("suspend", "Suspend a site: its tasks wait and its results are refused") { suspendId, reason };
        suspend.SetAction((parse, ct) => Call(parse.GetValue(coordinator)!, parse.GetValue(token), async c =>
            Print(await c.SuspendSiteAsync(new SuspendSiteRequest { SiteId = parse.GetValue(suspendId), Reason = parse.GetValue(reason) }, cancellationToken: ct), parse.GetValue(json))));

        return new Command("sites", "The consortium's sites") { coordinator, json, token, list, approve, suspend };
    }

    private static void Print(SiteInfo site, bool json) =>
        Console.WriteLine(json ? JsonFormatter.Default.Format(site) : $"{site.SiteId}: {site.Approval}{(site.SuspensionReason.Length > 0 ? $" ({site.SuspensionReason})" : "")}");

    private static async Task<int> Call(string url, string? token, Func<AdminService.AdminServiceClient, Task> call)
    {
        using var channel = new AdminChannel(url, token);
        try
        {
            await call(channel.Client);
            return 0;
        }
        catch (RpcException e)
        {
            Console.Error.WriteLine($"error: {e.StatusCode}: {e.Status.Detail}");
            return 1;
        }
    }
}
