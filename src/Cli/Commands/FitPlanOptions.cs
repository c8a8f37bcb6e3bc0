using System.CommandLine;
using FedRad.Statistics.Analyses;

namespace FedRad.Cli.Commands;

/// <summary>The options that describe an analysis plan (model, columns, harmonisation, penalty).</summary>
public sealed class FitPlanOptions
{
    public Option<string> Model { get; } = new("--model") { Description = "logistic or cox", Required = true };
    public Option<string?> Outcome { get; } = new("--outcome") { Description = "0/1 outcome column (logistic)" };
    public Option<string?> Time { get; } = new("--time") { Description = "follow-up time column (cox)" };
    public Option<string?> Event { get; } = new("--event") { Description = "0/1 event column (cox)" };
    public Option<string?> Features { get; } = new("--features") { Description = "feature columns, comma-separated" };
    public Option<string?> Harmonize { get; } = new("--harmonize") { Description = "harmonise the features first: combat" };
    public Option<string?> Covariates { get; } = new("--covariates") { Description = "columns whose effects ComBat preserves, comma-separated" };
    public Option<string?> BatchBy { get; } = new("--batch-by") { Description = "ComBat batch: 'site' or a column (e.g. scanner)" };
    public Option<string> Penalty { get; } = new("--penalty") { Description = "none, l2, l1 or elasticnet (glmnet's scaling)", DefaultValueFactory = _ => "none" };
    public Option<double?> Lambda { get; } = new("--lambda") { Description = "penalty strength" };
    public Option<double?> Alpha { get; } = new("--alpha") { Description = "elastic-net mixing (0 < alpha < 1)" };
    public Option<bool> StratifyBySite { get; } = new("--stratify-by-site") { Description = "cox: one baseline hazard per site" };

    public FitPlanOptions() => Model.AcceptOnlyFromAmong("logistic", "cox");

    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { Model, Outcome, Time, Event, Features, Harmonize, Covariates, BatchBy, Penalty, Lambda, Alpha, StratifyBySite })
            command.Options.Add(o);
    }

    public FitOptions Read(ParseResult parse) => new()
    {
        Model = parse.GetValue(Model)!, Outcome = parse.GetValue(Outcome), Time = parse.GetValue(Time), Event = parse.GetValue(Event),
        Features = List(parse.GetValue(Features)), Harmonize = parse.GetValue(Harmonize), Covariates = List(parse.GetValue(Covariates)) ?? [],
        BatchBy = parse.GetValue(BatchBy), Penalty = parse.GetValue(Penalty)!, Lambda = parse.GetValue(Lambda), Alpha = parse.GetValue(Alpha),
        StratifyBySite = parse.GetValue(StratifyBySite),
    };

    public static IReadOnlyList<string>? List(string? value) =>
        value?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
