using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using FedRad.Cli.Reports;
using FedRad.Learning.Metrics;
using FedRad.Protocol.V1;
using FedRad.Reports;

namespace FedRad.IntegrationTests.Admin;

/// <summary>
/// The validation report of a FedAvg study says what the study ran: leave-one-site-out only when its folds are there
/// (with their AUC, CI and the forest plot), and a pooled AUC from binned scores, never "exactly as a centralised analysis".
/// </summary>
public sealed class StudyReportWordingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fedrad-wording-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (StudyStatus, EvaluationDetail) Study(bool loso)
    {
        var definition = $"study_id: s\nfeature_names: [a]\nsite_ids: [site-1, site-2]\nvalidation: {{leave_one_site_out: {(loso ? "true" : "false")}}}\n";
        var status = new StudyStatus
        {
            Spec = new StudySpec { StudyId = "s", Model = "logreg", LabelColumn = "y", Rounds = 5, Strategy = "fedavg", LeaveOneSiteOut = loso, Training = new TrainingConfig() },
            State = StudyState.Completed, Definition = definition,
            DefinitionSha256 = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(definition))),
            FinalModelId = "final",
        };
        status.Spec.FeatureNames.Add("a");
        status.EnrolledSites.AddRange(["site-1", "site-2"]);
        var detail = new EvaluationDetail { StudyId = "s" };
        var rng = new Random(4);
        foreach (var site in status.EnrolledSites)
        {
            var h = new ScoreHistogram();
            for (var i = 0; i < 120; i++)
            {
                var y = i % 3 == 0 ? 1 : 0;
                h.Add(Math.Clamp(0.4 + 0.25 * y + 0.2 * (rng.NextDouble() - 0.5), 0, 1), y);
            }
            var s = new SiteScoreHistogram { SiteId = site, Auc = h.Auc(), N = 120 };
            s.Positives.AddRange(h.Positives);
            s.Negatives.AddRange(h.Negatives);
            detail.Sites.Add(s);
        }
        if (loso)
            foreach (var (site, auc) in new[] { ("site-1", 0.81), ("site-2", 0.77) })
                status.LeaveOneSiteOut.Add(new LeaveOneSiteOutFold
                {
                    SiteId = site, State = "completed", N = 120, Auc = auc, AucCiLow = auc - 0.08, AucCiHigh = auc + 0.07,
                    TrainingSites = { site == "site-1" ? "site-2" : "site-1" },
                });
        return (status, detail);
    }

    private string Write(bool loso)
    {
        var (status, detail) = Study(loso);
        var dir = Path.Combine(_dir, loso ? "loso" : "plain");
        ValidationReportWriter.Write(StudyValidation.From(status, detail, DateTimeOffset.UnixEpoch), dir);
        return dir;
    }

    private static string Paragraph(string html, string id) =>
        WebUtility.HtmlDecode(Regex.Match(html, $"<p[^>]* id=\"{id}\">(.*?)</p>", RegexOptions.Singleline).Groups[1].Value);

    [Fact]
    public void A_FedAvg_study_has_a_calibration_plot_from_its_histograms_whose_groups_count_every_patient()
    {
        var (status, detail) = Study(loso: false);
        var dir = Write(loso: false);
        var html = WebUtility.HtmlDecode(File.ReadAllText(Path.Combine(dir, "report.html")));
        Assert.Contains("groups of equal width (0.1), merged from the sites' 100-bin histograms", html);
        Assert.False(File.Exists(Path.Combine(dir, "calibration.csv"))); // no Brier, intercept or slope from a FedAvg study
        Assert.DoesNotContain("<td>Brier score</td>", html); // the summary has no row of blanks
        var groups = File.ReadAllLines(Path.Combine(dir, "calibration_groups.csv")).Skip(1).Select(l => l.Split(',')).Where(c => c[0] == "pooled").ToList();
        // Every evaluated patient is in one group, and each group's positives are the histograms' positives in its probability range.
        Assert.Equal(detail.Sites.Sum(s => s.N), groups.Sum(c => int.Parse(c[5])));
        foreach (var c in groups)
        {
            var g = int.Parse(c[2]) - 1;
            var positives = detail.Sites.Sum(s => s.Positives.Skip(10 * g).Take(10).Sum());
            Assert.Equal(positives, double.Parse(c[6], System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    [Fact]
    public void Without_leave_one_site_out_the_report_says_it_was_not_run_and_that_the_pooled_AUC_is_binned()
    {
        var html = File.ReadAllText(Path.Combine(Write(loso: false), "report.html"));
        Assert.Contains("validated per site; leave-one-site-out validation was not run (the study definition did not ask for it: validation.leave_one_site_out).", Paragraph(html, "design"));
        Assert.DoesNotContain("by leave-one-site-out", html);
        var pooling = Paragraph(html, "pooling");
        Assert.Contains("through the sites' histograms of predicted probabilities in 100 bins of width 0.01", pooling);
        Assert.DoesNotContain("exactly as a centralised analysis", html);
        Assert.Equal("No leave-one-site-out validation (the study definition did not ask for it: validation.leave_one_site_out).", Paragraph(html, "loso-not-run"));
    }

    [Fact]
    public void With_leave_one_site_out_the_report_shows_each_fold_in_its_table_csv_and_forest_plot()
    {
        var dir = Write(loso: true);
        var html = File.ReadAllText(Path.Combine(dir, "report.html"));
        Assert.Contains("validated per site and by leave-one-site-out (internal-external validation).", Paragraph(html, "design"));
        Assert.Contains("through the sites' histograms of predicted probabilities in 100 bins", Paragraph(html, "pooling"));
        Assert.DoesNotContain("exactly as a centralised analysis", html);
        Assert.DoesNotContain("loso-not-run", html);
        var table = Regex.Match(html, "<table id=\"loso\">(.*?)</table>", RegexOptions.Singleline).Groups[1].Value;
        Assert.Contains("<td>site-1</td><td class=\"num\">0.810</td><td>[0.730, 0.880]</td>", table);
        Assert.Contains("<td>site-2</td><td class=\"num\">0.770</td><td>[0.690, 0.840]</td>", table);
        Assert.Contains("trained on site-2", table);
        var csv = File.ReadAllLines(Path.Combine(dir, "discrimination.csv"));
        Assert.Contains(csv, l => l.StartsWith("leave-one-site-out,site-1,AUC,0.81,", StringComparison.Ordinal));
        // The forest plot draws the folds under their own heading, with their estimates.
        var forest = Regex.Match(html, "<svg[^>]*>(?:(?!</svg>).)*leave-one-site-out \\(fitted without the site\\):(?:(?!</svg>).)*</svg>", RegexOptions.Singleline).Value;
        Assert.Contains("0.810 [0.730, 0.880]", WebUtility.HtmlDecode(forest));
        Assert.Contains(">site-2<", forest);
        Assert.Contains("Leave-one-site-out: for each site, the model trained on the other sites alone (the same 5 fedavg rounds", html);
    }
}
