using System.Text.Json.Nodes;
using FedRad.Statistics.Simulation;

namespace FedRad.Reports.Tests;

/// <summary>Reports that cannot be made say why and leave nothing behind; an existing report folder is updated, not emptied.</summary>
public sealed class BadInputTests : IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private readonly string _root = Directory.CreateTempSubdirectory("fedrad-report-bad-").FullName;

    public void Dispose() => Directory.Delete(_root, true);

    private static async Task<(JsonObject Fit, SimFitOptions Plan)> FitAsync(bool validation)
    {
        var plan = Fixtures.Cox(validation: validation);
        return (await SimFit.RunAsync(plan, ct: Ct), plan);
    }

    [Fact]
    public async Task A_result_without_the_validation_section_is_refused_naming_the_option()
    {
        var (fit, plan) = await FitAsync(validation: false);
        var e = Assert.Throws<ReportInputException>(() => FitReport.FromFit(fit, plan, FitReport.DefinitionOf(plan), "study"));
        Assert.Contains("no 'validation' section", e.Message);
        Assert.Contains("--report", e.Message);
    }

    [Fact]
    public void A_result_of_an_unfinished_analysis_is_refused()
    {
        var plan = Fixtures.Cox();
        var e = Assert.Throws<ReportInputException>(() => FitReport.FromFit(new JsonObject(), plan, FitReport.DefinitionOf(plan), "study"));
        Assert.Contains("no 'model'", e.Message);
        var partial = new JsonObject { ["model"] = "cox", ["validation"] = new JsonObject { ["cohort"] = new JsonArray() }, ["n"] = 10, ["cases"] = 5 };
        e = Assert.Throws<ReportInputException>(() => FitReport.FromFit(partial, plan, FitReport.DefinitionOf(plan), "study"));
        Assert.Contains("no 'c_index': is the analysis finished?", e.Message);
    }

    [Fact]
    public async Task Results_with_no_pooled_value_write_nothing_and_name_every_problem()
    {
        var (fit, plan) = await FitAsync(validation: true);
        var good = FitReport.FromFit(fit, plan, FitReport.DefinitionOf(plan), "study");
        var unfinished = good with
        {
            Discrimination = good.Discrimination with { Pooled = new Metric(double.NaN, null, null) },
            Cohort = [.. good.Cohort, new SiteCohortRow("E", true, null, null, null)],
        };
        var dir = Path.Combine(_root, "never");
        var e = Assert.Throws<ReportInputException>(() => ValidationReportWriter.Write(unfinished, dir));
        Assert.Contains("the pooled C-index is not a number: is the study finished?", e.Message);
        Assert.Contains("site E is included but its number of patients is missing", e.Message);
        Assert.False(Directory.Exists(dir));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_root));

        // a NaN deeper inside (here a Kaplan-Meier step) is caught before anything is written too
        var km = good.KaplanMeier!;
        var broken = good with
        {
            KaplanMeier = km with { Curves = [km.Curves[0] with { Steps = [km.Curves[0].Steps[0] with { Survival = double.NaN }] }, .. km.Curves.Skip(1)] },
        };
        e = Assert.Throws<ReportInputException>(() => ValidationReportWriter.Write(broken, dir));
        Assert.Contains("not a number", e.Message);
        Assert.False(Directory.Exists(dir));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_root));
    }

    [Fact]
    public async Task Writing_again_into_a_report_folder_replaces_the_report_and_keeps_other_files()
    {
        var (fit, plan) = await FitAsync(validation: true);
        var results = FitReport.FromFit(fit, plan, FitReport.DefinitionOf(plan), "first");
        var dir = Path.Combine(_root, "report");
        ValidationReportWriter.Write(results, dir);
        File.WriteAllText(Path.Combine(dir, "my-notes.txt"), "keep me");
        ValidationReportWriter.Write(results with { Name = "second" }, dir);
        Assert.Contains("Validation report: second", File.ReadAllText(Path.Combine(dir, "report.html")));
        Assert.Equal("keep me", File.ReadAllText(Path.Combine(dir, "my-notes.txt")));
        Assert.Single(Directory.EnumerateFileSystemEntries(_root));

        var file = Path.Combine(_root, "a-file");
        File.WriteAllText(file, "");
        var e = Assert.Throws<ReportInputException>(() => ValidationReportWriter.Write(results, file));
        Assert.Contains("is a file", e.Message);
    }
}
