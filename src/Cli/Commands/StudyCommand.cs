using System.CommandLine;
using FedRad.Cli.Infrastructure;
using FedRad.Cli.Reports;
using FedRad.Protocol.V1;
using Google.Protobuf;
using Grpc.Core;
using Spectre.Console;

namespace FedRad.Cli.Commands;

/// <summary>`fedrad study create|start|status`: define, launch and watch studies on a coordinator.</summary>
public static class StudyCommand
{
    public static Command Create()
    {
        var coordinator = new Option<string>("--coordinator") { Description = "coordinator gRPC address", DefaultValueFactory = _ => "http://127.0.0.1:5000", Recursive = true };
        var json = new Option<bool>("--json") { Description = "print JSON instead of a table", Recursive = true };

        var file = new Argument<FileInfo>("FILE") { Description = "study definition (JSON, fields of fedrad.v1.StudySpec)" };
        var create = new Command("create", "Create a study from a definition file") { file };
        create.SetAction(async (parse, ct) =>
        {
            var path = parse.GetValue(file)!;
            if (!path.Exists) return Error($"{path.FullName}: file not found");
            StudySpec spec;
            try { spec = JsonParser.Default.Parse<StudySpec>(await File.ReadAllTextAsync(path.FullName, ct)); }
            catch (InvalidProtocolBufferException e) { return Error($"{path.FullName}: {e.Message}"); }
            return await Call(parse.GetValue(coordinator)!, parse.GetValue(json), c => c.CreateStudyAsync(new CreateStudyRequest { Spec = spec }, cancellationToken: ct));
        });

        var id = new Argument<string>("ID") { Description = "study id" };
        var start = new Command("start", "Start a created study") { id };
        start.SetAction((parse, ct) => Call(parse.GetValue(coordinator)!, parse.GetValue(json), c => c.StartStudyAsync(new StudyRef { StudyId = parse.GetValue(id) }, cancellationToken: ct)));

        var statusId = new Argument<string>("ID") { Description = "study id" };
        var status = new Command("status", "Show a study's rounds and results") { statusId };
        status.SetAction((parse, ct) => Call(parse.GetValue(coordinator)!, parse.GetValue(json), c => c.GetStudyAsync(new StudyRef { StudyId = parse.GetValue(statusId) }, cancellationToken: ct)));

        return new Command("study", "Manage studies on a coordinator") { coordinator, json, create, start, status };
    }

    private static async Task<int> Call(string url, bool json, Func<AdminService.AdminServiceClient, AsyncUnaryCall<StudyStatus>> call)
    {
        using var channel = new AdminChannel(url);
        try
        {
            var status = await call(channel.Client);
            if (json) Console.WriteLine(JsonFormatter.Default.Format(status));
            else Print(status);
            return 0;
        }
        catch (RpcException e) { return Error($"{e.StatusCode}: {e.Status.Detail}"); }
    }

    public static void Print(StudyStatus s)
    {
        AnsiConsole.MarkupLine($"[bold]{Markup.Escape(s.Spec.StudyId)}[/]  {s.State}  round {s.CurrentRound}/{s.Spec.Rounds}");
        if (s.FailureReason.Length > 0) AnsiConsole.MarkupLine($"[red]{Markup.Escape(s.FailureReason)}[/]");
        var rounds = new Table().AddColumns("round", "kind", "state", "participants", "loss", "closed because");
        foreach (var r in s.Rounds)
            rounds.AddRow(r.Round.ToString(), r.Kind.ToString(), r.State, $"{r.Participants.Count}/{r.SelectedSites.Count}", double.IsNaN(r.Loss) ? "-" : r.Loss.ToString("F4"), Markup.Escape(r.CloseReason));
        AnsiConsole.Write(rounds);
        if (s.Evaluation is { } e)
        {
            var sites = new Table().AddColumns("site", "n", "AUC", "log-loss");
            foreach (var site in e.Sites) sites.AddRow(site.SiteId, site.N.ToString(), site.Auc.ToString("F3"), site.Loss.ToString("F4"));
            sites.AddRow("[bold]pooled[/]", e.PooledN.ToString(), e.PooledAuc.ToString("F3"), e.PooledLoss.ToString("F4"));
            AnsiConsole.Write(sites);
        }
    }

    private static int Error(string message)
    {
        Console.Error.WriteLine($"error: {message}");
        return 1;
    }
}
