using System.Globalization;
using FedRad.Statistics.Coordinator.Models;
using FedRad.Statistics.Coordinator.Validation;
using FedRad.Statistics.Protocol;

namespace FedRad.Statistics.Tests;

/// <summary>Pooled and per-site discrimination, calibration and leave-one-site-out validation
/// against pROC (DeLong) and survival::concordance on the pooled data.</summary>
public sealed class ValidationTests(ITestOutputHelper output)
{
    private readonly Agreement _agree = new(output);
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private void CompareAuc(string analysis, Estimate? e)
    {
        Assert.NotNull(e);
        _agree.Absolute("AUC", RFixture.Get(analysis, "auc"), e.Value, 1e-9);
        _agree.Relative("AUC DeLong variance", RFixture.Get(analysis, "var"), e.Variance, 1e-9);
        _agree.Absolute("AUC DeLong CI", RFixture.Get(analysis, "ci_low"), e.CiLow, 1e-4);
        _agree.Absolute("AUC DeLong CI", RFixture.Get(analysis, "ci_high"), e.CiHigh, 1e-4);
    }

    private void CompareC(string analysis, Estimate? e)
    {
        Assert.NotNull(e);
        _agree.Absolute("C-index", RFixture.Get(analysis, "c_index"), e.Value, 1e-9);
        _agree.Relative("C-index variance", RFixture.Get(analysis, "var"), e.Variance, 1e-9);
        _agree.Absolute("C-index CI", RFixture.Get(analysis, "ci_low"), e.CiLow, 1e-4);
        _agree.Absolute("C-index CI", RFixture.Get(analysis, "ci_high"), e.CiHigh, 1e-4);
    }

    [Fact]
    public async Task Pooled_and_per_site_AUC_with_DeLong_CI_equal_pROC()
    {
        var federation = RFixture.Federation();
        var fit = await LogisticRegression.FitAsync(federation, RFixture.LogisticTerms, "y", ct: Ct);
        var auc = await Discrimination.AucAsync(federation, ModelScore.Column, "y", ModelScore.With(new DataSpec(), fit), Ct);
        CompareAuc("auc_pooled", auc.Pooled);
        foreach (var s in RFixture.SiteNames) CompareAuc("auc_site_" + s, auc.PerSite[s]);
        output.WriteLine($"rank protocol rounds: {auc.Rounds}");

        // every reported pooled ROC point is a vertex of pROC's pooled curve: pROC's thresholds are
        // midpoints between consecutive scores, so FedRad's threshold t classifies like pROC's
        // nearest threshold below or above t (whichever lies on the same side of the scores)
        var roc = File.ReadLines(Path.Combine(RFixture.Directory, "roc_pooled.csv")).Skip(1)
            .Select(l => l.Split(',').Select(v => double.Parse(v.Replace("Inf", "Infinity"), CultureInfo.InvariantCulture)).ToArray()).ToArray();
        Assert.True(auc.PooledRoc.Count > 10, $"only {auc.PooledRoc.Count} ROC points");
        foreach (var point in auc.PooledRoc)
        {
            var below = roc.Where(x => x[0] < point.Threshold).MaxBy(x => x[0])!;
            var above = roc.Where(x => x[0] >= point.Threshold).MinBy(x => x[0])!;
            var match = new[] { below, above }.Any(r => Math.Abs(r[1] - point.Sensitivity) < 1e-12 && Math.Abs(r[2] - point.Specificity) < 1e-12);
            Assert.True(match, $"ROC point ({point.Threshold}, {point.Sensitivity}, {point.Specificity}) is not on pROC's curve");
        }
        Assert.Equal(auc.PooledRoc.OrderByDescending(p => p.Sensitivity).Select(p => p.Threshold), auc.PooledRoc.Select(p => p.Threshold));
        _agree.Print();
    }

    [Fact]
    public async Task Brier_score_of_the_pooled_model_equals_R()
    {
        var federation = RFixture.Federation();
        var fit = await LogisticRegression.FitAsync(federation, RFixture.LogisticTerms, "y", ct: Ct);
        var calibration = await Calibration.EvaluateAsync(federation, ModelScore.Column, "y", ModelScore.With(new DataSpec(), fit), Ct);
        _agree.Relative("Brier", RFixture.Get("brier_pooled", "brier"), calibration.Brier, 1e-9);
        // apparent calibration of a maximum-likelihood logistic model is exact: intercept 0, slope 1
        Assert.True(Math.Abs(calibration.Intercept) < 1e-9, $"calibration intercept {calibration.Intercept}");
        Assert.True(Math.Abs(calibration.Slope - 1) < 1e-9, $"calibration slope {calibration.Slope}");
        _agree.Print();
    }

    [Fact]
    public async Task Pooled_and_per_site_C_index_with_CI_equal_survival_concordance()
    {
        var federation = RFixture.Federation();
        var fit = await CoxRegression.FitAsync(federation, RFixture.Features, "time", "event", ct: Ct);
        var c = await Discrimination.ConcordanceAsync(federation, ModelScore.Column, "time", "event", ModelScore.With(new DataSpec(), fit), Ct);
        CompareC("cindex_pooled", c.Pooled);
        foreach (var s in RFixture.SiteNames) CompareC("cindex_site_" + s, c.PerSite[s]);
        output.WriteLine($"rank protocol rounds: {c.Rounds}");
        _agree.Print();
    }

    [Fact]
    public async Task Leave_one_site_out_logistic_validation_equals_R()
    {
        var loso = await LeaveOneSiteOut.LogisticAsync(RFixture.Federation(), RFixture.LogisticTerms, "y", ct: Ct);
        Assert.Equal(RFixture.SiteNames, loso.Select(l => l.Site));
        foreach (var fold in loso)
        {
            var analysis = "loso_logistic_" + fold.Site;
            Assert.Null(fold.Note);
            foreach (var name in RFixture.Names(analysis, "coef"))
                _agree.Relative("LOSO coefficient", RFixture.Get(analysis, "coef", name), fold.Fit!.Coefficient(name), 1e-6);
            CompareAuc(analysis, fold.Auc);
            _agree.Relative("LOSO Brier", RFixture.Get(analysis, "brier"), fold.Calibration!.Brier, 1e-9);
            _agree.Relative("LOSO calibration intercept", RFixture.Get(analysis, "calibration_intercept"), fold.Calibration.Intercept, 1e-6);
            _agree.Relative("LOSO calibration slope", RFixture.Get(analysis, "calibration_slope"), fold.Calibration.Slope, 1e-6);
        }
        _agree.Print();
    }

    [Fact]
    public async Task Leave_one_site_out_cox_validation_equals_R()
    {
        var loso = await LeaveOneSiteOut.CoxAsync(RFixture.Federation(), RFixture.Features, "time", "event", ct: Ct);
        Assert.Equal(RFixture.SiteNames, loso.Select(l => l.Site));
        foreach (var fold in loso)
        {
            var analysis = "loso_cox_" + fold.Site;
            Assert.Null(fold.Note);
            foreach (var name in RFixture.Names(analysis, "coef"))
                _agree.Relative("LOSO Cox coefficient", RFixture.Get(analysis, "coef", name), fold.Fit!.Coefficient(name), 1e-6);
            CompareC(analysis, fold.CIndex);
        }
        _agree.Print();
    }
}
