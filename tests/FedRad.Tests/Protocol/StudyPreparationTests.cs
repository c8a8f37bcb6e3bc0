using System.Globalization;
using FedRad.Protocol.V1;
using FedRad.SiteAgent.Hosting;
using FedRad.Tests.Infrastructure;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FedRad.Tests.Protocol;

/// <summary>
/// A study's preparation over four real site agents (the R fixture's sites A-D, cohort.csv each): the inclusion filter
/// runs at the sites, ComBat across the sites equals sva::ComBat on the pooled filtered table, the univariate-AUC
/// selection equals pROC's on the harmonised pooled table, and the standardisation round then computes the pooled
/// mean and SD of the selected harmonised features (the sites harmonise their own features with their own ComBat
/// parameters). Reference: scripts/r/make-preparation-fixtures.R (preparation.csv).
/// </summary>
public sealed class StudyPreparationTests(ITestOutputHelper output)
{
    private static readonly string[] Sites = ["A", "B", "C", "D"];
    private static string Fixtures => Path.Combine(AppContext.BaseDirectory, "r-fixtures");

    private const string Study = """
        study_id: prepared
        model: logreg
        feature_names: [f1, f2, f3, f4, f5, f6]
        label_column: y
        rounds: 2
        site_ids: [A, B, C, D]
        min_sites: 4
        round_timeout_seconds: 120
        cohort:
          inclusion:
            - {column: age, min: 50}
        harmonisation: {method: combat, batch_by: site, covariates: [age, sex]}
        feature_selection: {method: univariate_auc, max_features: 3}
        validation: {leave_one_site_out: true}
        """;

    private static Dictionary<(string, string), double> Reference() =>
        File.ReadLines(Path.Combine(Fixtures, "preparation.csv")).Skip(1).Select(l => l.Split(','))
            .ToDictionary(f => (f[0], f[1]), f => double.Parse(f[2], CultureInfo.InvariantCulture));

    private static async Task<List<IHost>> StartAgents(TestCoordinator c, Func<string, string> cohort)
    {
        var agents = new List<IHost>();
        foreach (var site in Sites)
        {
            var dir = Directory.CreateTempSubdirectory("fedrad-site-").FullName;
            File.WriteAllText(Path.Combine(dir, "cohort.csv"), cohort(site));
            var agent = SiteAgentHost.Build(new SiteAgentOptions { CoordinatorUrl = c.Url, SiteId = site, DataDirectory = dir }, l => l.SetMinimumLevel(LogLevel.Warning));
            await agent.StartAsync();
            agents.Add(agent);
        }
        await c.WaitForSites(Sites.Length);
        return agents;
    }

    private static string SiteTable(string site) => File.ReadAllText(Path.Combine(Fixtures, "sites", site + ".csv"));

    [Fact]
    public async Task Inclusion_ComBat_and_selection_equal_R_on_the_pooled_filtered_table()
    {
        await using var c = await TestCoordinator.Start();
        var agents = await StartAgents(c, SiteTable);
        try
        {
            await c.Admin.CreateStudyAsync(new CreateStudyRequest { Definition = Study, DefinitionName = "prepared.yaml" });
            await c.Admin.StartStudyAsync(new StudyRef { StudyId = "prepared" });
            var status = await c.WaitFor("prepared", s => s.State is StudyState.Completed or StudyState.Failed, 120);
            Assert.True(status.State == StudyState.Completed, status.FailureReason);
            var r = Reference();
            var p = status.Preparation;
            Assert.Equal("completed", p.State);

            // Inclusion at the sites: counts only.
            foreach (var site in Sites)
            {
                var s = p.Sites.Single(x => x.SiteId == site);
                Assert.Equal((r[("included", site)], r[("excluded", site)]), ((double)s.Included, (double)s.Excluded));
                Assert.Equal("", s.Refused);
            }

            // ComBat: every site's harmonised features (mean and SD computed at the site) equal sva::ComBat's.
            var worst = 0.0;
            foreach (var site in Sites)
                foreach (var shift in p.Sites.Single(x => x.SiteId == site).Harmonisation)
                {
                    var (mean, sd) = (r[("combat_mean", $"{site}:{shift.Feature}")], r[("combat_sd", $"{site}:{shift.Feature}")]);
                    worst = Math.Max(worst, Math.Max(Math.Abs(shift.MeanAfter - mean) / Math.Abs(mean), Math.Abs(shift.SdAfter - sd) / sd));
                    Assert.Equal(mean, shift.MeanAfter, Math.Abs(mean) * 1e-9);
                    Assert.Equal(sd, shift.SdAfter, sd * 1e-9);
                    Assert.NotEqual(shift.MeanBefore, shift.MeanAfter);
                }
            output.WriteLine($"ComBat per-site mean/SD vs sva::ComBat: largest relative difference {worst:E2}");

            // Every patient's harmonised features, as a site computes them from its own ComBat parameters (what each
            // task carries it), equal sva::ComBat's value for that patient.
            var fit = (await c.Grains.GetGrain<FedRad.Coordinator.Contracts.Grains.IStudyGrain>("prepared").GetView()).Preparation!.HarmonisationJson;
            var expected = File.ReadLines(Path.Combine(Fixtures, "preparation_combat.csv")).Skip(1).Select(l => l.Split(','))
                .ToDictionary(f => f[1], f => f[2..].Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray());
            var patients = 0;
            worst = 0;
            foreach (var site in Sites)
            {
                var task = new SiteTask { LabelColumn = "y", FeatureNames = { "f1", "f2", "f3", "f4", "f5", "f6" }, Harmonisation = FedRad.Coordinator.Studies.Preparation.ForSite(fit, site) };
                task.Inclusion.Add(new InclusionFilter { Column = "age", Min = 50 });
                var path = Path.Combine(Directory.CreateTempSubdirectory("fedrad-site-check-").FullName, "cohort.csv");
                File.WriteAllText(path, SiteTable(site));
                var harmonised = FedRad.SiteAgent.Cohorts.StudyCohort.ForModel(path, task, path, out _);
                var table = FedRad.Statistics.Data.CsvTable.Read(path);
                var ids = table.Text("id").Where((_, i) => table.Values("age")[i] >= 50).ToArray();
                Assert.Equal(ids.Length, harmonised.Count);
                for (var i = 0; i < ids.Length; i++, patients++)
                    for (var j = 0; j < 6; j++)
                    {
                        var want = expected[ids[i]][j];
                        worst = Math.Max(worst, Math.Abs(harmonised.X[i][j] - want) / Math.Abs(want));
                        Assert.Equal(want, harmonised.X[i][j], Math.Abs(want) * 1e-9);
                    }
            }
            Assert.Equal(expected.Count, patients);
            output.WriteLine($"ComBat per patient at the sites ({patients} patients x 6 features) vs sva::ComBat: largest relative difference {worst:E2}");

            // Selection: pooled AUC of every harmonised feature equals pROC's; the three furthest from 0.5 are kept.
            foreach (var (f, auc) in p.FeatureScores) Assert.Equal(r[("feature_auc", f)], auc, 1e-12);
            var selected = r.Keys.Where(k => k.Item1 == "selected").Select(k => k.Item2).ToArray();
            Assert.Equal(selected, p.SelectedFeatures);

            // The rounds use the selection: the standardisation round's pooled mean and SD are those of the selected
            // harmonised features over the filtered pooled table (each site applied its own ComBat parameters).
            var round0 = status.Rounds.Single(x => x.Round == 0);
            var model = await c.DownloadModel("A", round0.ResultModelId);
            Assert.Equal(selected.Length, model["feature_mean"].Values.Length);
            for (var j = 0; j < selected.Length; j++)
            {
                var (mean, sd) = (r[("pooled_mean", selected[j])], r[("pooled_sd", selected[j])]);
                Assert.Equal(mean, model["feature_mean"].Values[j], Math.Abs(mean) * 1e-9);
                Assert.Equal(sd, model["feature_scale"].Values[j], sd * 1e-9);
            }
            Assert.Equal(4, status.Evaluation.Sites.Count);
            Assert.Equal((long)selected.Length + 0, status.Preparation.SelectedFeatures.Count);
            Assert.Equal(Sites.Sum(s => (long)r[("included", s)]), status.Evaluation.PooledN);
            // Leave-one-site-out folds run on the prepared definition: each evaluates the site's included patients.
            Assert.Equal(Sites, status.LeaveOneSiteOut.Select(f => f.SiteId));
            Assert.All(status.LeaveOneSiteOut, f => Assert.Equal(("completed", (long)r[("included", f.SiteId)]), (f.State, f.N)));

            // The validation report shows the preparation: excluded counts, ComBat with per-site distributions
            // before and after, the selection with every feature's AUC; the model's features are the selected ones.
            var detail = await c.Admin.GetEvaluationDetailAsync(new StudyRef { StudyId = "prepared" });
            var results = FedRad.Cli.Reports.StudyValidation.From(status, detail, DateTimeOffset.UtcNow);
            Assert.Equal(selected, results.Model.Features);
            Assert.Equal(6, results.FeatureDistributions.Count);
            Assert.All(results.FeatureDistributions, d => Assert.Equal(Sites, d.Sites.Select(x => x.Site).Order()));
            Assert.All(results.FeatureDistributions.SelectMany(d => d.Sites), x => Assert.NotNull(x.After));
            Assert.Equal(["age", "sex"], results.Harmonisation!.Covariates);
            Assert.Equal("12 excluded by the study's inclusion filters", results.Cohort.Single(x => x.Site == "A").Note);
            var dir = Directory.CreateTempSubdirectory("fedrad-prepared-report-").FullName;
            FedRad.Reports.ValidationReportWriter.Write(results, dir);
            var html = File.ReadAllText(Path.Combine(dir, FedRad.Reports.ValidationReportWriter.HtmlFile));
            Assert.Contains("age ≥ 50", html);
            Assert.Contains("Feature selection (univariate_auc, before standardisation, on the harmonised pooled data): kept f1, f3, f5 of 6", html);
            Assert.Contains(FormattableString.Invariant($"f2 {r[("feature_auc", "f2")]:F3}"), html);
            Assert.Contains("ComBat (parametric empirical Bayes, federated), batch: site; covariates preserved: age, sex", html);
            Assert.Contains("Leave-one-site-out folds reuse the study", html);
        }
        finally
        {
            foreach (var a in agents) await a.StopAsync();
        }
    }

    [Fact]
    public async Task A_filter_on_a_column_a_site_lacks_is_refused_there_naming_the_column_and_the_file()
    {
        await using var c = await TestCoordinator.Start();
        // Site D's table has no age column: it refuses; A-C go on (min_sites 3) without it.
        var agents = await StartAgents(c, site => site == "D" ? DropColumn(SiteTable(site), "age") : SiteTable(site));
        try
        {
            var study = Study.Replace("study_id: prepared", "study_id: no-age").Replace("min_sites: 4", "min_sites: 3")
                .Replace("covariates: [age, sex]", "covariates: [sex]");
            await c.Admin.CreateStudyAsync(new CreateStudyRequest { Definition = study, DefinitionName = "no-age.yaml" });
            await c.Admin.StartStudyAsync(new StudyRef { StudyId = "no-age" });
            var status = await c.WaitFor("no-age", s => s.State is StudyState.Completed or StudyState.Failed, 120);
            Assert.True(status.State == StudyState.Completed, status.FailureReason);
            var d = status.Preparation.Sites.Single(x => x.SiteId == "D");
            Assert.Contains("inclusion filter names column 'age'", d.Refused);
            Assert.Contains("cohort.csv", d.Refused);
            Assert.Equal(["A", "B", "C"], status.EnrolledSites);
            Assert.DoesNotContain("D", status.Rounds.SelectMany(x => x.Participants));

            // With a minimum of four sites the study cannot go on: it fails and says why.
            var strict = Study.Replace("study_id: prepared", "study_id: no-age-strict");
            await c.Admin.CreateStudyAsync(new CreateStudyRequest { Definition = strict, DefinitionName = "strict.yaml" });
            await c.Admin.StartStudyAsync(new StudyRef { StudyId = "no-age-strict" });
            var failed = await c.WaitFor("no-age-strict", s => s.State is StudyState.Completed or StudyState.Failed, 120);
            Assert.Equal(StudyState.Failed, failed.State);
            Assert.Contains("3 of 4 sites have an eligible cohort, below the minimum of 4", failed.FailureReason);
            Assert.Contains("site D: ", failed.FailureReason);
            Assert.Contains("column 'age'", failed.FailureReason);
            Assert.Empty(failed.Rounds);
        }
        finally
        {
            foreach (var a in agents) await a.StopAsync();
        }
    }

    [Fact]
    public async Task The_R_reference_is_what_the_fixture_script_produces()
    {
        var output = Directory.CreateTempSubdirectory("fedrad-prep-fixtures-").FullName;
        Directory.CreateDirectory(Path.Combine(output, "sites"));
        foreach (var site in Sites) File.Copy(Path.Combine(Fixtures, "sites", site + ".csv"), Path.Combine(output, "sites", site + ".csv"));
        var script = Path.Combine(FedRad.Tests.Admin.StudyFileTests.RepoRoot(), "scripts", "r", "make-preparation-fixtures.R");
        using var r = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("Rscript", [script, output]) { RedirectStandardError = true })!;
        var error = await r.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await r.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.True(r.ExitCode == 0, "make-preparation-fixtures.R failed: " + error);
        foreach (var file in new[] { "preparation.csv", "preparation_combat.csv" })
            Assert.Equal(File.ReadAllText(Path.Combine(Fixtures, file)), File.ReadAllText(Path.Combine(output, file)));
    }

    private static string DropColumn(string csv, string column)
    {
        var lines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var i = Array.IndexOf(lines[0].Split(','), column);
        return string.Join('\n', lines.Select(l => string.Join(',', l.Split(',').Where((_, j) => j != i)))) + "\n";
    }
}
