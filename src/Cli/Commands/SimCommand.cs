using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using FedRad.Reports;
using FedRad.Statistics.Coordinator;
using FedRad.Statistics.Data;
using FedRad.Statistics.Protocol;
using FedRad.Statistics.Simulation;

namespace FedRad.Cli.Commands;

/// <summary>
/// `fedrad sim fit|harmonize`: try an analysis plan on local tables (one CSV per site) with the
/// real federated protocol running in one process, before running it across hospitals.
/// </summary>
public static class SimCommand
{
    public static Command Create()
    {
        var sites = new Option<string[]>("--site") { Description = "a site's table (CSV; the site is named after the file); repeat per site", Required = true, Recursive = true };
        var json = new Option<bool>("--json") { Description = "print the result as JSON", Recursive = true };
        var minCount = new Option<int>("--min-count") { Description = "each site's minimum number of patients per aggregate", DefaultValueFactory = _ => 5, Recursive = true };
        var covariates = new Option<string?>("--covariates") { Description = "columns whose effects ComBat preserves, comma-separated", Recursive = true };
        var batchBy = new Option<string?>("--batch-by") { Description = "ComBat batch: 'site' or a column (e.g. scanner)", Recursive = true };
        var features = new Option<string?>("--features") { Description = "feature columns, comma-separated", Recursive = true };
        var allFeatures = new Option<bool>("--all-features") { Description = "every column except id and the outcome/excluded columns", Recursive = true };

        var model = new Option<string>("--model") { Description = "logistic or cox", Required = true };
        model.AcceptOnlyFromAmong("logistic", "cox");
        var outcome = new Option<string?>("--outcome") { Description = "0/1 outcome column (logistic)" };
        var time = new Option<string?>("--time") { Description = "follow-up time column (cox)" };
        var @event = new Option<string?>("--event") { Description = "0/1 event column (cox)" };
        var harmonize = new Option<string?>("--harmonize") { Description = "harmonise the features first: combat" };
        var penalty = new Option<string>("--penalty") { Description = "none, l2, l1 or elasticnet (glmnet's scaling)", DefaultValueFactory = _ => "none" };
        var lambda = new Option<double?>("--lambda") { Description = "penalty strength" };
        var alpha = new Option<double?>("--alpha") { Description = "elastic-net mixing (0 < alpha < 1)" };
        var stratify = new Option<bool>("--stratify-by-site") { Description = "cox: one baseline hazard per site" };
        var report = new Option<string?>("--report") { Description = "also write the validation report (report.html, CSV tables) into this folder" };
        var fit = new Command("fit", "Fit a logistic or Cox model federatedly and validate it (pooled, per site, leave-one-site-out)")
        {
            model, outcome, time, @event, harmonize, penalty, lambda, alpha, stratify, report,
        };
        fit.SetAction((parse, ct) => Run(parse.GetValue(json), ct, async progress =>
        {
            var reportDirectory = parse.GetValue(report);
            var options = new SimFitOptions
            {
                Sites = parse.GetValue(sites)!, Model = parse.GetValue(model)!, Outcome = parse.GetValue(outcome), Time = parse.GetValue(time),
                Event = parse.GetValue(@event), Features = List(parse.GetValue(features)), AllFeatures = parse.GetValue(allFeatures),
                Harmonize = parse.GetValue(harmonize), Covariates = List(parse.GetValue(covariates)) ?? [], BatchBy = parse.GetValue(batchBy),
                Penalty = parse.GetValue(penalty)!, Lambda = parse.GetValue(lambda), Alpha = parse.GetValue(alpha),
                StratifyBySite = parse.GetValue(stratify), MinimumCount = parse.GetValue(minCount), Validation = reportDirectory is not null,
            };
            var result = await SimFit.RunAsync(options, progress, ct);
            if (reportDirectory is not null)
            {
                var name = "simulation of " + string.Join(", ", options.Sites.Select(Path.GetFileNameWithoutExtension));
                var files = ValidationReportWriter.Write(FitReport.FromFit(result, options, FitReport.DefinitionOf(options), name), reportDirectory);
                progress.Report($"validation report: {files.First(f => f.EndsWith(ValidationReportWriter.HtmlFile, StringComparison.Ordinal))} (+ {files.Count - 1} files)");
            }
            return result;
        }));

        var output = new Option<string>("--out") { Description = "folder for the harmonised tables (one CSV per site)", Required = true };
        var exclude = new Option<string?>("--exclude") { Description = "columns copied unchanged with --all-features (outcomes, times), comma-separated" };
        var harmonizeCommand = new Command("harmonize", "Harmonise the sites' features with federated ComBat and write the harmonised tables") { output, exclude };
        harmonizeCommand.SetAction((parse, ct) => Run(parse.GetValue(json), ct, progress => SimHarmonize.RunAsync(new SimHarmonizeOptions
        {
            Sites = parse.GetValue(sites)!, OutputDirectory = parse.GetValue(output)!, BatchBy = parse.GetValue(batchBy),
            Covariates = List(parse.GetValue(covariates)) ?? [], Features = List(parse.GetValue(features)), AllFeatures = parse.GetValue(allFeatures),
            Exclude = List(parse.GetValue(exclude)) ?? [], MinimumCount = parse.GetValue(minCount),
        }, progress, ct)));

        return new Command("sim", "Simulate a federated statistical analysis on local CSV tables, one per site")
        {
            sites, json, minCount, covariates, batchBy, features, allFeatures, fit, harmonizeCommand,
        };
    }

    private static IReadOnlyList<string>? List(string? value) =>
        value?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static async Task<int> Run(bool json, CancellationToken ct, Func<IProgress<string>, Task<JsonObject>> analysis)
    {
        try
        {
            var result = await analysis(new SynchronousProgress(m => Console.Error.WriteLine($"fedrad sim: {m}")));
            Console.WriteLine(result.ToJsonString(new JsonSerializerOptions { WriteIndented = !json }));
            return 0;
        }
        catch (Exception e) when (e is StatisticsInputException or AnalysisFailedException or SiteRefusedException or ReportInputException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }

    /// <summary>Reports in order on the calling thread (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class SynchronousProgress(Action<string> report) : IProgress<string>
    {
        public void Report(string value) => report(value);
    }
}
