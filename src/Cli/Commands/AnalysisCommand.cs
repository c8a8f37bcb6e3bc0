using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using FedRad.Cli.Infrastructure;
using FedRad.Protocol.V1;
using Grpc.Core;

namespace FedRad.Cli.Commands;

/// <summary>
/// `fedrad analysis run|status`: the exact federated statistics of `fedrad sim fit`, run by the
/// coordinator across real sites.
/// </summary>
public static class AnalysisCommand
{
    public static Command Create()
    {
        var coordinator = new Option<string>("--coordinator") { Description = "coordinator gRPC address", DefaultValueFactory = _ => "http://127.0.0.1:5000", Recursive = true };
        var json = new Option<bool>("--json") { Description = "print the result as compact JSON", Recursive = true };

        var id = new Option<string>("--id") { Description = "analysis id", Required = true };
        var sites = new Option<string[]>("--site") { Description = "a registered site id; repeat per site", Required = true };
        var timeout = new Option<int>("--request-timeout") { Description = "seconds a site may take to answer one request", DefaultValueFactory = _ => 300 };
        var secure = new Option<bool>("--secure-aggregation") { Description = "send only summable requests, through secure aggregation (plans that need per-site answers are refused)" };
        var plan = new FitPlanOptions();
        var run = new Command("run", "Run a federated logistic or Cox analysis across sites and wait for its result") { id, sites, timeout, secure };
        plan.AddTo(run);
        run.SetAction(async (parse, ct) =>
        {
            var fit = plan.Read(parse);
            var spec = new AnalysisSpec
            {
                AnalysisId = parse.GetValue(id)!, Model = fit.Model, Outcome = fit.Outcome ?? "", Time = fit.Time ?? "", Event = fit.Event ?? "",
                Harmonize = fit.Harmonize ?? "", BatchBy = fit.BatchBy ?? "", Penalty = fit.Penalty, StratifyBySite = fit.StratifyBySite,
                RequestTimeoutSeconds = parse.GetValue(timeout), SecureAggregation = parse.GetValue(secure),
            };
            if (fit.Lambda is { } l) spec.Lambda = l;
            if (fit.Alpha is { } a) spec.Alpha = a;
            spec.SiteIds.AddRange(parse.GetValue(sites)!);
            spec.Features.AddRange(fit.Features ?? []);
            spec.Covariates.AddRange(fit.Covariates);
            using var channel = new AdminChannel(parse.GetValue(coordinator)!);
            try
            {
                var status = await channel.Client.StartAnalysisAsync(spec, cancellationToken: ct);
                var shown = 0;
                while (status.State == "running")
                {
                    await Task.Delay(200, ct);
                    status = await channel.Client.GetAnalysisAsync(new AnalysisRef { AnalysisId = spec.AnalysisId }, cancellationToken: ct);
                    for (; shown < status.Progress.Count; shown++) Console.Error.WriteLine($"fedrad analysis: {status.Progress[shown]}");
                }
                return Print(status, parse.GetValue(json));
            }
            catch (RpcException e) { return Error($"{e.StatusCode}: {e.Status.Detail}"); }
        });

        var statusId = new Argument<string>("ID") { Description = "analysis id" };
        var status = new Command("status", "Show an analysis and its result") { statusId };
        status.SetAction(async (parse, ct) =>
        {
            using var channel = new AdminChannel(parse.GetValue(coordinator)!);
            try { return Print(await channel.Client.GetAnalysisAsync(new AnalysisRef { AnalysisId = parse.GetValue(statusId) }, cancellationToken: ct), parse.GetValue(json)); }
            catch (RpcException e) { return Error($"{e.StatusCode}: {e.Status.Detail}"); }
        });

        return new Command("analysis", "Exact federated statistics across the consortium's sites") { coordinator, json, run, status };
    }

    private static int Print(AnalysisStatus status, bool compact)
    {
        if (status.State == "failed") return Error($"analysis {status.AnalysisId} failed: {status.Error}");
        if (status.State != "completed") { Console.WriteLine($"analysis {status.AnalysisId}: {status.State} ({status.Progress.Count} steps)"); return 0; }
        Console.WriteLine(JsonNode.Parse(status.ResultJson)!.ToJsonString(new JsonSerializerOptions { WriteIndented = !compact }));
        return 0;
    }

    private static int Error(string message)
    {
        Console.Error.WriteLine($"error: {message}");
        return 1;
    }
}
