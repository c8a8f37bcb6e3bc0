using System.CommandLine;
using FedRad.Reports;

namespace FedRad.Cli.Commands;

/// <summary>`fedrad report`: the validation report (report.html and CSV tables) of a finished
/// analysis, from its stored result and the plan it ran with.</summary>
public static class ReportCommand
{
    public static Command Create()
    {
        var result = new Option<string>("--result")
        {
            Description = "the analysis result (JSON printed by `fedrad sim fit --json` or `fedrad analysis status --json`; the plan must have had \"validation\": true)",
            Required = true,
        };
        var plan = new Option<string>("--plan") { Description = "the analysis plan it ran with (JSON: model, outcome or time/event, features, ...); kept verbatim as the study definition", Required = true };
        var name = new Option<string?>("--name") { Description = "the analysis name in the title (default: the result file's name)" };
        var output = new Option<string>("--out") { Description = "folder for report.html and the CSV tables", Required = true };
        var command = new Command("report", "Write the validation report of a finished analysis") { result, plan, name, output };
        command.SetAction(parse =>
        {
            try
            {
                var results = FitReport.FromFiles(parse.GetValue(result)!, parse.GetValue(plan)!, parse.GetValue(name));
                var files = ValidationReportWriter.Write(results, parse.GetValue(output)!);
                Console.Error.WriteLine($"fedrad report: wrote {files.Count} files");
                Console.WriteLine(files.First(f => f.EndsWith(ValidationReportWriter.HtmlFile, StringComparison.Ordinal)));
                return 0;
            }
            catch (ReportInputException e)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
        });
        return command;
    }
}
