using System.CommandLine;
using FedRad.Cli.Infrastructure;
using FedRad.Cli.Reports;
using FedRad.Protocol.V1;
using FedRad.Reports;
using Grpc.Core;

namespace FedRad.Cli.Commands;

/// <summary>
/// `fedrad report`: the validation report (report.html and CSV tables) of a completed study on a
/// coordinator (`fedrad report ID --out DIR`), or of a finished analysis from its stored result and
/// the plan it ran with (`--result FILE --plan FILE`).
/// </summary>
public static class ReportCommand
{
    public static Command Create()
    {
        var studyId = new Argument<string?>("ID") { Description = "a completed study on the coordinator", Arity = ArgumentArity.ZeroOrOne };
        var coordinator = new Option<string>("--coordinator") { Description = "coordinator gRPC address (with ID)", DefaultValueFactory = _ => "http://127.0.0.1:5000" };
        var token = new Option<string?>("--token") { Description = $"admin token, statistician or operator (default: ${AdminChannel.TokenVariable})" };
        var result = new Option<string?>("--result")
        {
            Description = "instead of ID: the analysis result (JSON printed by `fedrad sim fit --json` or `fedrad analysis status --json`; the plan must have had \"validation\": true)",
        };
        var plan = new Option<string?>("--plan") { Description = "with --result: the analysis plan it ran with (JSON: model, outcome or time/event, features, ...); kept verbatim as the study definition" };
        var name = new Option<string?>("--name") { Description = "with --result: the analysis name in the title (default: the result file's name)" };
        var output = new Option<string>("--out") { Description = "folder for report.html and the CSV tables", Required = true };
        var command = new Command("report", "Write the validation report of a completed study (ID) or of a finished analysis (--result, --plan)") { studyId, coordinator, token, result, plan, name, output };
        command.SetAction(async (parse, ct) =>
        {
            try
            {
                ValidationResults results;
                if (parse.GetValue(studyId) is { } id)
                {
                    if (parse.GetValue(result) is not null || parse.GetValue(plan) is not null) return Error("give either a study ID or --result and --plan, not both");
                    results = await FromStudy(parse.GetValue(coordinator)!, parse.GetValue(token), id, ct);
                }
                else if (parse.GetValue(result) is { } r && parse.GetValue(plan) is { } p) results = FitReport.FromFiles(r, p, parse.GetValue(name));
                else return Error("give a study ID (a completed study on --coordinator), or --result and --plan (a stored analysis)");
                var files = ValidationReportWriter.Write(results, parse.GetValue(output)!);
                Console.Error.WriteLine($"fedrad report: wrote {files.Count} files");
                Console.WriteLine(files.First(f => f.EndsWith(ValidationReportWriter.HtmlFile, StringComparison.Ordinal)));
                return 0;
            }
            catch (ReportInputException e) { return Error(e.Message); }
            catch (RpcException e) { return Error($"{e.StatusCode}: {e.Status.Detail}"); }
        });
        return command;
    }

    /// <summary>The study's status and evaluation aggregates; an unfinished study is refused before anything is written.</summary>
    private static async Task<ValidationResults> FromStudy(string url, string? token, string id, CancellationToken ct)
    {
        using var channel = new AdminChannel(url, token);
        var status = await channel.Client.GetStudyAsync(new StudyRef { StudyId = id }, cancellationToken: ct);
        if (status.State != StudyState.Completed)
            throw new ReportInputException($"study '{id}' is {status.State.ToString().ToLowerInvariant()}{(status.FailureReason.Length > 0 ? $" ({status.FailureReason})" : "")}: no report is written until it has completed");
        var detail = await channel.Client.GetEvaluationDetailAsync(new StudyRef { StudyId = id }, cancellationToken: ct);
        return StudyValidation.From(status, detail, DateTimeOffset.UtcNow);
    }

    private static int Error(string message)
    {
        Console.Error.WriteLine($"error: {message}");
        return 1;
    }
}
