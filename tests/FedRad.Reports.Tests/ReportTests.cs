using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using FedRad.Statistics.Simulation;

namespace FedRad.Reports.Tests;

/// <summary>The validation report of a simulated analysis, read back from its files: what the
/// HTML shows, what the CSV tables hold (the engine's values, and R's), the figures.</summary>
public sealed class ReportTests : IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private readonly string _root = Directory.CreateTempSubdirectory("fedrad-report-").FullName;

    public void Dispose() => Directory.Delete(_root, true);

    private static async Task<(JsonObject Fit, ValidationResults Results)> RunAsync(SimFitOptions plan)
    {
        var fit = await SimFit.RunAsync(plan, ct: Ct);
        return (fit, FitReport.FromFit(fit, plan, FitReport.DefinitionOf(plan), "test study"));
    }

    /// <summary>Patients and positive outcomes (or events) per site, counted from the site files themselves.</summary>
    private static (int Patients, int Cases) Count(string site, string column)
    {
        var lines = File.ReadAllLines(Path.Combine(Fixtures.Directory, "sites", site + ".csv"));
        var index = Array.IndexOf(lines[0].Split(','), column);
        return (lines.Length - 1, lines.Skip(1).Count(l => l.Split(',')[index] == "1"));
    }

    private static double Cell(string text) => double.Parse(text, CultureInfo.InvariantCulture);

    [Fact]
    public async Task Logistic_report_shows_cohort_AUC_calibration_model_and_harmonisation_as_the_engine_and_R_give_them()
    {
        var (fit, results) = await RunAsync(Fixtures.Logistic());
        var dir = Path.Combine(_root, "report");
        var written = ValidationReportWriter.Write(results, dir);
        var report = new ReportFiles(dir);
        foreach (var file in new[] { "report.html", "cohort.csv", "discrimination.csv", "roc.csv", "calibration.csv", "calibration_groups.csv",
                     "leave_one_site_out.csv", "coefficients.csv", "feature_distributions.csv", "tripod.csv", "validation-results.json" })
            Assert.Contains(Path.Combine(dir, file), written);
        Assert.All(written, f => Assert.True(File.Exists(f), f));

        // cohort: every site with its patients and positives, as counted from the site files
        var cohort = report.HtmlTable("cohort");
        Assert.Equal(["site", "included", "patients", "positive outcomes", "note"], cohort[0]);
        foreach (var site in Fixtures.SiteNames)
        {
            var (patients, positives) = Count(site, "y");
            Assert.Contains(cohort, row => row[0] == site && row[1] == "yes" && row[2] == patients.ToString() && row[3] == positives.ToString());
            Assert.Contains(report.Csv("cohort.csv"), row => row["site"] == site && row["patients"] == patients.ToString() && row["positives"] == positives.ToString());
        }
        Assert.Contains(cohort, row => row[0] == "pooled" && row[2] == "570");

        // discrimination: the CSV holds the engine's values exactly, they equal pROC's, the HTML shows them to 3 decimals
        var discrimination = report.Csv("discrimination.csv");
        var pooled = discrimination.Single(r => r["scope"] == "pooled");
        Assert.Equal((double)fit["auc"]!["pooled"]!, Cell(pooled["value"]));
        Assert.Equal(Fixtures.Stat("auc_combat_pooled", "auc"), Cell(pooled["value"]), 1e-9);
        Assert.Equal(Fixtures.Stat("auc_combat_pooled", "ci_low"), Cell(pooled["ci_low"]), 1e-4);
        var html = report.HtmlTable("discrimination");
        Assert.Equal(["pooled", Cell(pooled["value"]).ToString("F3", CultureInfo.InvariantCulture),
            $"[{Cell(pooled["ci_low"]).ToString("F3", CultureInfo.InvariantCulture)}, {Cell(pooled["ci_high"]).ToString("F3", CultureInfo.InvariantCulture)}]", ""], html[1]);
        Assert.Contains(Cell(pooled["value"]).ToString("F3", CultureInfo.InvariantCulture), Regex.Match(report.Html, "<span id=\"pooled-auc\">(.*?)</span>").Groups[1].Value);
        // An exact analysis with leave-one-site-out folds: the wording says what was run.
        Assert.Contains("validated per site and by leave-one-site-out (internal-external validation).", Regex.Match(report.Html, "<p class=\"meta\" id=\"design\">(.*?)</p>", RegexOptions.Singleline).Groups[1].Value);
        Assert.Contains("pooled (all patients compared across sites, exactly as a centralised analysis)", Regex.Match(report.Html, "<p id=\"pooling\">(.*?)</p>").Groups[1].Value);
        foreach (var site in Fixtures.SiteNames)
        {
            var row = discrimination.Single(r => r["scope"] == "site" && r["site"] == site);
            Assert.Equal((double)fit["auc"]!["per_site"]![site]!, Cell(row["value"]));
            Assert.Equal(Fixtures.Stat("auc_combat_site_" + site, "auc"), Cell(row["value"]), 1e-9);
            Assert.Contains(html, h => h[0] == site && h[1] == Cell(row["value"]).ToString("F3", CultureInfo.InvariantCulture));
            var loso = discrimination.Single(r => r["scope"] == "leave-one-site-out" && r["site"] == site);
            Assert.Equal(Fixtures.Stat("loso_combat_" + site, "auc"), Cell(loso["value"]), 1e-9);
            Assert.Contains(report.HtmlTable("loso"), h => h[0] == site && h[1] == Cell(loso["value"]).ToString("F3", CultureInfo.InvariantCulture));
        }

        // ROC points: pooled and per site, as the engine computed them
        var roc = report.Csv("roc.csv");
        Assert.Equal(results.Discrimination.PooledRoc.Count, roc.Count(r => r["curve"] == "pooled"));
        Assert.Equal(results.Discrimination.PooledRoc.Select(p => p.Sensitivity), roc.Where(r => r["curve"] == "pooled").Select(r => Cell(r["sensitivity"])));
        foreach (var site in Fixtures.SiteNames) Assert.Equal(results.Discrimination.SiteRoc[site].Count, roc.Count(r => r["curve"] == site));

        // calibration groups: quintiles (site D has 4 patients in a decile), as R
        var groups = report.Csv("calibration_groups.csv").Where(r => r["scope"] == "pooled").ToArray();
        var expected = Fixtures.Table("calibration.csv").Where(r => r["scope"] == "pooled" && r["groups"] == "5").ToArray();
        Assert.Equal(expected.Select(r => r["n"]), groups.Select(r => r["patients"]));
        Assert.Equal(expected.Select(r => r["positives"]), groups.Select(r => r["positives"]));
        foreach (var (r, g) in expected.Zip(groups)) Assert.Equal(Fixtures.Number(r["mean_predicted"]), Cell(g["mean_predicted"]), 1e-12);
        Assert.Equal(expected.Select(r => r["n"]), report.HtmlTable("calibration-groups").Skip(1).Select(r => r[1]));

        // coefficients: the engine's, equal to glm on sva::ComBat's output
        var coefficients = report.Csv("coefficients.csv");
        Assert.Equal("(intercept)", coefficients[0]["term"]);
        Assert.Equal((double)fit["intercept"]!, Cell(coefficients[0]["estimate"]));
        Assert.Equal(Fixtures.Stat("glm_combat", "ci_low", "(Intercept)"), Cell(coefficients[0]["ci_low"]), 1e-6);
        Assert.Equal(Fixtures.Stat("glm_combat", "ci_high", "(Intercept)"), Cell(coefficients[0]["ci_high"]), 1e-6);
        Assert.Equal(Fixtures.Stat("glm_combat", "p", "(Intercept)"), Cell(coefficients[0]["p"]), 1e-8);
        foreach (var term in Fixtures.Features.Append("age").Append("sex"))
        {
            var row = coefficients.Single(r => r["term"] == term);
            Assert.Equal((double)fit["coefficients"]![term]!, Cell(row["estimate"]));
            var r = Fixtures.Stat("glm_combat", "coef", term);
            Assert.True(Math.Abs(Cell(row["estimate"]) - r) <= 1e-6 * Math.Abs(r), $"{term}: {row["estimate"]} vs R {r}");
            Assert.Contains(report.HtmlTable("coefficients"), h => h[0] == term && h[1] == Cell(row["estimate"]).ToString("G4", CultureInfo.InvariantCulture));
        }

        // feature distributions: the CSV cells are the sites' histograms, suppressed cells marked
        var cells = report.Csv("feature_distributions.csv");
        var rHistograms = Fixtures.Table("histograms.csv");
        foreach (var site in Fixtures.SiteNames)
        {
            var mine = cells.Where(c => c["feature"] == "f3" && c["site"] == site && c["stage"] == "after").Select(c => c["patients"]);
            var theirs = rHistograms.Where(c => c["feature"] == "f3" && c["site"] == site && c["stage"] == "after").Select(c => c["count"] == "NA" ? "suppressed" : c["count"]);
            Assert.Equal(theirs, mine);
        }

        // one figure per plot: ROC, calibration, forest, and before/after per harmonised feature
        var titles = report.Figures().Select(ReportFiles.Title).ToArray();
        Assert.Contains("ROC curves, pooled and per site", titles);
        Assert.Contains("Calibration by pooled risk group (5 groups)", titles);
        Assert.Contains("AUC by site: apparent and leave-one-site-out (95% CI)", titles);
        foreach (var f in Fixtures.Features)
        {
            Assert.Contains($"{f}: before harmonisation", titles);
            Assert.Contains($"{f}: after harmonisation", titles);
        }
        Assert.Equal(3 + 2 * Fixtures.Features.Length, titles.Length);

        AssertReproducibleAndSelfContained(report, results);
    }

    [Fact]
    public async Task Cox_report_shows_C_index_and_Kaplan_Meier_curves_by_risk_group_as_survival_gives_them()
    {
        var (fit, results) = await RunAsync(Fixtures.Cox());
        var dir = Path.Combine(_root, "cox");
        ValidationReportWriter.Write(results, dir);
        var report = new ReportFiles(dir);
        Assert.False(File.Exists(Path.Combine(dir, "roc.csv")));
        Assert.False(File.Exists(Path.Combine(dir, "calibration.csv")));

        foreach (var site in Fixtures.SiteNames)
        {
            var (patients, events) = Count(site, "event");
            Assert.Contains(report.HtmlTable("cohort"), row => row[0] == site && row[2] == patients.ToString() && row[3] == events.ToString());
        }
        var pooled = report.Csv("discrimination.csv").Single(r => r["scope"] == "pooled");
        Assert.Equal("C-index", pooled["measure"]);
        Assert.Equal((double)fit["c_index"]!["pooled"]!, Cell(pooled["value"]));
        Assert.Equal(Fixtures.Stat("cindex_pooled", "c_index"), Cell(pooled["value"]), 1e-9);
        Assert.Contains(Cell(pooled["value"]).ToString("F3", CultureInfo.InvariantCulture), Regex.Match(report.Html, "<span id=\"pooled-c-index\">(.*?)</span>").Groups[1].Value);

        // Kaplan-Meier: the CSV equals survfit by pooled risk tertile
        var km = report.Csv("kaplan_meier.csv");
        var expected = Fixtures.Table("km.csv").Where(r => r["groups"] == "3").ToArray();
        Assert.Equal(expected.Length, km.Count);
        foreach (var (r, k) in expected.Zip(km))
        {
            Assert.Equal(r["group"], k["group"]);
            Assert.Equal(Fixtures.Number(r["time"]), Cell(k["time"]));
            Assert.Equal(r["n_risk"], k["at_risk"]);
            Assert.Equal(Fixtures.Number(r["surv"]), Cell(k["survival"]), 1e-12);
        }
        Assert.Equal(["low", "intermediate", "high"], report.HtmlTable("km-groups").Skip(1).Select(r => r[0]));
        var riskTable = report.Csv("kaplan_meier_at_risk.csv");
        Assert.Equal("190", riskTable.Single(r => r["label"] == "low" && r["time"] == "0")["at_risk"]);

        var titles = report.Figures().Select(ReportFiles.Title).ToArray();
        Assert.Contains(titles, t => t.StartsWith("Kaplan-Meier curves by pooled risk group (log-rank p", StringComparison.Ordinal));
        Assert.Contains("C-index by site: apparent and leave-one-site-out (95% CI)", titles);
        Assert.DoesNotContain(titles, t => t.StartsWith("ROC", StringComparison.Ordinal));
        // number at risk under the curves: the tertiles' sizes at time 0
        var kmSvg = report.Figures().Single(f => ReportFiles.Title(f).StartsWith("Kaplan-Meier", StringComparison.Ordinal));
        Assert.Equal(3, kmSvg.Descendants().Count(e => e.Name.LocalName == "text" && e.Value == "190"));
        AssertReproducibleAndSelfContained(report, results);
    }

    private static void AssertReproducibleAndSelfContained(ReportFiles report, ValidationResults results)
    {
        var html = report.Html;
        // the study definition as given, and its hash, which a reader can recompute from the text shown
        var shown = WebUtility.HtmlDecode(Regex.Match(html, "<pre id=\"study-definition\">(.*?)</pre>", RegexOptions.Singleline).Groups[1].Value);
        Assert.Equal(results.Study.Text, shown);
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(shown)));
        Assert.Contains($"<code id=\"study-sha256\">{hash}</code>", html);
        Assert.Contains(results.Software.Version, html);
        Assert.Contains("\"validation\": true", shown);
        // one file: no script, stylesheet, image or font fetched from anywhere
        Assert.DoesNotContain("<script", html);
        Assert.DoesNotContain("<link", html);
        Assert.DoesNotContain("<img", html);
        Assert.DoesNotContain("http://", html);
        Assert.DoesNotContain("https://", html);
        Assert.DoesNotContain("url(", html);
        Assert.Contains(report.HtmlTable("tripod"), row => row[0] == "15a" && row[2] == "reported");
    }
}
