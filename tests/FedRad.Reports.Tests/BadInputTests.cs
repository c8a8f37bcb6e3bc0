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

/// <summary>A report from stored files (<c>fedrad report --result --plan</c>).</summary>
public sealed class StoredResultTests : IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private readonly string _root = Directory.CreateTempSubdirectory("fedrad-report-files-").FullName;

    public void Dispose() => Directory.Delete(_root, true);

    private string Save(string name, string text)
    {
        var path = Path.Combine(_root, name);
        File.WriteAllText(path, text);
        return path;
    }

    private const string Plan = """
        { "model": "cox", "time": "time", "event": "event",
          "features": ["f1", "f2", "f3", "f4", "f5", "f6"], "validation": true }
        """;

    [Fact]
    public async Task A_stored_result_and_its_plan_make_the_report_with_the_plan_as_study_definition()
    {
        var fit = await SimFit.RunAsync(Fixtures.Cox(), ct: Ct);
        var results = FitReport.FromFiles(Save("analysis-7.json", fit.ToJsonString()), Save("plan.json", Plan));
        Assert.Equal("analysis-7", results.Name);
        Assert.Equal(Plan, results.Study.Text);
        Assert.Equal((double)fit["c_index"]!["pooled"]!, results.Discrimination.Pooled.Value);
        ValidationReportWriter.Write(results, Path.Combine(_root, "report"));
        Assert.Contains(results.Study.Sha256, File.ReadAllText(Path.Combine(_root, "report", "report.html")));
    }

    [Fact]
    public void An_unfinished_analysis_a_missing_file_or_a_broken_plan_are_named()
    {
        var plan = Save("plan.json", Plan);
        // `fedrad analysis status` prints the state, not a result, while the analysis runs
        var running = Save("status.txt", "analysis a1: running (3 steps)\n");
        var e = Assert.Throws<ReportInputException>(() => FitReport.FromFiles(running, plan));
        Assert.Equal($"{running}: not an analysis result (line 1, byte 1: 'a' is an invalid start of a value); an unfinished or failed analysis has no result to report", e.Message);

        var missing = Path.Combine(_root, "nowhere.json");
        e = Assert.Throws<ReportInputException>(() => FitReport.FromFiles(missing, plan));
        Assert.StartsWith($"cannot read the result file {missing}", e.Message);

        var broken = Save("broken.json", "{ \"model\": 3 }");
        e = Assert.Throws<ReportInputException>(() => FitReport.FromFiles(running, broken));
        Assert.StartsWith($"{broken}: not an analysis plan (line 1, byte 13: ", e.Message);

        var empty = Save("empty.json", "{}");
        e = Assert.Throws<ReportInputException>(() => FitReport.FromFiles(empty, plan));
        Assert.Equal($"{empty}: the analysis result has no 'model'", e.Message);
    }
}
