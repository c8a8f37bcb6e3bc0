using FedRad.Statistics.Analyses;
using FedRad.Statistics.Coordinator.Validation;
using FedRad.Statistics.Protocol;
using FedRad.Statistics.Simulation;

namespace FedRad.Reports.Tests;

/// <summary>The federated aggregates of the validation report against R on the pooled data:
/// risk groups, calibration by risk group (binom.test), per-site ROC (pROC), Kaplan-Meier by risk
/// group (survfit, survdiff), per-site histograms before/after ComBat (sva).</summary>
public sealed class AggregateTests(ITestOutputHelper output)
{
    private readonly Agreement _agree = new(output);
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("age")]
    [InlineData("sex")]
    [InlineData("time")]
    public async Task Risk_groups_of_tied_scores_have_the_sizes_R_gives(string column)
    {
        var federation = Fixtures.Sites().Federation();
        foreach (var groups in new[] { 10, 3, 2 })
        {
            var cuts = await RiskGroups.FindCutsAsync(federation, column, groups, new DataSpec(), Ct);
            var expected = Fixtures.Table("risk_groups.csv").Where(r => r["score"] == column && r["groups"] == groups.ToString())
                .Select(r => int.Parse(r["n"])).ToArray();
            Assert.Equal(expected, cuts.Sizes);
            output.WriteLine($"{column}, {groups} groups: {string.Join(" ", cuts.Sizes)} in {cuts.Rounds} rounds");
        }
    }

    [Fact]
    public async Task Calibration_by_risk_decile_equals_R_and_per_site_ROC_points_lie_on_pROC_curves()
    {
        // site D has 4 patients in the fourth pooled decile: with a minimum of 4 deciles go through
        var json = await SimFit.RunAsync(Fixtures.Logistic(minimumCount: 4), ct: Ct);
        var detail = ValidationDetail.FromJson(json["validation"]!);
        CompareCalibration(detail.Calibration!, 10);

        // each per-site point is a vertex of pROC's curve of that site: pROC's thresholds are midpoints
        // between the site's scores, so FedRad's threshold classifies like pROC's nearest threshold below or above
        var roc = Fixtures.Table("roc_site.csv");
        foreach (var site in Fixtures.SiteNames)
        {
            var points = detail.SiteRoc![site];
            Assert.True(points.Count >= 20, $"site {site}: only {points.Count} ROC points");
            var r = roc.Where(x => x["site"] == site).Select(x => (T: Fixtures.Number(x["threshold"]), Se: Fixtures.Number(x["sensitivity"]), Sp: Fixtures.Number(x["specificity"]))).ToArray();
            foreach (var p in points)
            {
                var below = r.Where(x => x.T < p.Threshold).MaxBy(x => x.T);
                var above = r.Where(x => x.T >= p.Threshold).MinBy(x => x.T);
                Assert.True(new[] { below, above }.Any(x => Math.Abs(x.Se - p.Sensitivity) < 1e-12 && Math.Abs(x.Sp - p.Specificity) < 1e-12),
                    $"site {site}: ROC point ({p.Threshold}, {p.Sensitivity}, {p.Specificity}) is not on pROC's curve");
            }
            output.WriteLine($"site {site}: {points.Count} ROC points, pROC has {r.Length}");
        }
        _agree.Print();
    }

    [Fact]
    public async Task A_site_below_its_minimum_in_a_risk_decile_makes_the_calibration_plot_use_quintiles()
    {
        var json = await SimFit.RunAsync(Fixtures.Logistic(minimumCount: 5), ct: Ct);
        CompareCalibration(ValidationDetail.FromJson(json["validation"]!).Calibration!, 5);
        var notes = json["notes"]!.AsArray().Select(n => (string)n!).ToArray();
        Assert.Contains(notes, n => n.Contains("10 risk groups refused by site D") && n.Contains("risk group 4 of 10 has 4 patient(s)"));
        _agree.Print();
    }

    private void CompareCalibration(CalibrationCurveResult calibration, int groups)
    {
        Assert.Equal(groups, calibration.Groups);
        foreach (var scope in new[] { "pooled" }.Concat(Fixtures.SiteNames))
        {
            var expected = Fixtures.Table("calibration.csv").Where(r => r["scope"] == scope && r["groups"] == groups.ToString()).ToArray();
            var actual = scope == "pooled" ? calibration.Pooled : calibration.PerSite[scope];
            Assert.Equal(expected.Select(r => int.Parse(r["group"])), actual.Select(g => g.Group));
            foreach (var (r, g) in expected.Zip(actual))
            {
                Assert.Equal(int.Parse(r["n"]), g.Count);
                Assert.Equal(int.Parse(r["positives"]), g.Positives);
                _agree.Relative("mean predicted risk", Fixtures.Number(r["mean_predicted"]), g.MeanPredicted, 1e-9);
                _agree.Absolute("observed proportion", Fixtures.Number(r["observed"]), g.Observed, 1e-15);
                _agree.Absolute("binom.test CI", Fixtures.Number(r["ci_low"]), g.ObservedCiLow, 1e-9);
                _agree.Absolute("binom.test CI", Fixtures.Number(r["ci_high"]), g.ObservedCiHigh, 1e-9);
            }
        }
    }

    [Fact]
    public async Task Feature_histograms_before_and_after_ComBat_equal_R_with_small_cells_suppressed()
    {
        var json = await SimFit.RunAsync(Fixtures.Logistic(), ct: Ct);
        var distributions = ValidationDetail.FromJson(json["validation"]!).Distributions!;
        Assert.Equal(Fixtures.Features, distributions.Select(d => d.Feature));
        var edges = Fixtures.Table("edges.csv");
        var cells = Fixtures.Table("histograms.csv");
        var suppressed = 0;
        foreach (var d in distributions)
        {
            var expectedEdges = edges.Where(e => e["feature"] == d.Feature).Select(e => Fixtures.Number(e["edge"])).ToArray();
            Assert.Equal(expectedEdges.Length, d.Edges.Count);
            foreach (var (e, a) in expectedEdges.Zip(d.Edges)) _agree.Relative("grid edge", e, a, 1e-12);
            foreach (var site in d.Sites)
                foreach (var stage in new[] { "before", "after" })
                {
                    var expected = cells.Where(c => c["feature"] == d.Feature && c["site"] == site.Site && c["stage"] == stage)
                        .Select(c => c["count"] == "NA" ? (int?)null : int.Parse(c["count"])).ToArray();
                    var actual = stage == "before" ? site.Before : site.After!;
                    Assert.Equal(expected, actual);
                    suppressed += actual.Count(c => c is null);
                }
        }
        Assert.True(suppressed > 0, "the fixture should exercise suppression");
        output.WriteLine($"{suppressed} suppressed cells, all as R's rule");
        _agree.Print();
    }

    [Fact]
    public async Task Kaplan_Meier_by_risk_tertile_risk_table_and_log_rank_equal_survival()
    {
        var json = await SimFit.RunAsync(Fixtures.Cox(), ct: Ct);
        var km = ValidationDetail.FromJson(json["validation"]!).KaplanMeier!;
        CompareKaplanMeier(km, 3);
        _agree.Print();
    }

    [Fact]
    public async Task A_site_below_its_minimum_in_a_risk_tertile_makes_the_Kaplan_Meier_curves_use_halves()
    {
        var sizes = Fixtures.Table("km_sizes.csv");
        int Smallest(int groups) => sizes.Where(r => r["groups"] == groups.ToString()).Min(r => int.Parse(r["n"]));
        var minimum = Smallest(3) + 1;
        Assert.True(Smallest(2) >= minimum);
        var json = await SimFit.RunAsync(Fixtures.Cox(minimumCount: minimum), ct: Ct);
        CompareKaplanMeier(ValidationDetail.FromJson(json["validation"]!).KaplanMeier!, 2);
        Assert.Contains(json["notes"]!.AsArray().Select(n => (string)n!), n => n.Contains("Kaplan-Meier: 3 risk groups refused by site D"));
        _agree.Print();
    }

    private void CompareKaplanMeier(KaplanMeierResult km, int groups)
    {
        Assert.Equal(groups, km.Curves.Count);
        var rows = Fixtures.Table("km.csv").Where(r => r["groups"] == groups.ToString()).ToArray();
        foreach (var curve in km.Curves)
        {
            var expected = rows.Where(r => r["group"] == curve.Group.ToString()).ToArray();
            Assert.Equal(expected.Select(r => Fixtures.Number(r["time"])), curve.Steps.Select(s => s.Time));
            foreach (var (r, s) in expected.Zip(curve.Steps))
            {
                Assert.Equal(int.Parse(r["n_risk"]), s.AtRisk);
                Assert.Equal(int.Parse(r["n_event"]), s.Events);
                _agree.Relative("KM survival", Fixtures.Number(r["surv"]), s.Survival, 1e-12);
                // survfit: std.err Inf and no CI once the curve reaches 0; FedRad: null
                if (r["std_err"] == "Inf") Assert.True(s.StdErr is null && s.Lower is null && s.Upper is null);
                else
                {
                    _agree.Relative("KM std.err", Fixtures.Number(r["std_err"]), s.StdErr!.Value, 1e-12);
                    _agree.Relative("KM CI", Fixtures.Number(r["lower"]), s.Lower!.Value, 1e-12);
                    _agree.Relative("KM CI", Fixtures.Number(r["upper"]), s.Upper!.Value, 1e-12);
                }
            }
            var table = Fixtures.Table("risk_table.csv").Where(r => r["groups"] == groups.ToString() && r["group"] == curve.Group.ToString())
                .ToDictionary(r => Fixtures.Number(r["time"]), r => int.Parse(r["n_risk"]));
            for (var k = 0; k < km.RiskTableTimes.Count; k++) Assert.Equal(table[km.RiskTableTimes[k]], km.RiskTable[curve.Group - 1][k]);
        }
        var logrank = Fixtures.Table("logrank.csv").Where(r => r["groups"] == groups.ToString()).ToArray();
        _agree.Relative("log-rank chi-square", Fixtures.Number(logrank[0]["chisq"]), km.LogRank!.ChiSquare, 1e-10);
        Assert.Equal(groups - 1, km.LogRank.DegreesOfFreedom);
        _agree.Relative("log-rank p", Fixtures.Number(logrank[0]["p"]), km.LogRank.P, 1e-9);
        foreach (var r in logrank)
        {
            var g = int.Parse(r["group"]) - 1;
            _agree.Relative("log-rank expected", Fixtures.Number(r["expected"]), km.LogRank.Expected[g], 1e-12);
            Assert.Equal(Fixtures.Number(r["observed"]), km.LogRank.Observed[g]);
        }
        output.WriteLine($"risk table times: {string.Join(", ", km.RiskTableTimes)}; log-rank p = {km.LogRank.P:E3} (R {logrank[0]["p"]})");
    }
}
