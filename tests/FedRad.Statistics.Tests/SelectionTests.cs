using FedRad.Statistics.Coordinator.Selection;

namespace FedRad.Statistics.Tests;

/// <summary>Feature selection against R (t.test, pROC, coxph, cor-based reference selections, glmnet).</summary>
public sealed class SelectionTests(ITestOutputHelper output)
{
    private readonly Agreement _agree = new(output);
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string[] Ranked(string analysis, string quantity) =>
        RFixture.Names(analysis, quantity).OrderBy(n => RFixture.Get(analysis, quantity, n)).ToArray();

    [Fact]
    public async Task Welch_t_tests_equal_R_t_test()
    {
        var tests = await UnivariateTests.WelchAsync(RFixture.Federation(), RFixture.Features, "y", ct: Ct);
        foreach (var t in tests)
        {
            _agree.Relative("Welch t", RFixture.Get("welch", "t", t.Feature), t.T, 1e-9);
            _agree.Relative("Welch df", RFixture.Get("welch", "df", t.Feature), t.DegreesOfFreedom, 1e-9);
            _agree.Relative("Welch p", RFixture.Get("welch", "p", t.Feature), t.P, 1e-6);
        }
        _agree.Print();
    }

    [Fact]
    public async Task Feature_AUCs_equal_pROC_and_correlation_filter_and_mRMR_equal_the_R_reference()
    {
        var federation = RFixture.Federation();
        var auc = await UnivariateTests.FeatureAucAsync(federation, RFixture.Features, "y", ct: Ct);
        foreach (var (f, a) in auc) _agree.Absolute("feature AUC", RFixture.Get("feature_auc", "auc", f), a, 1e-9);

        var relevance = auc.ToDictionary(a => a.Key, a => Math.Abs(a.Value - 0.5));
        var kept = await FeatureSelection.CorrelationFilterAsync(federation, RFixture.Features, relevance, 0.5, ct: Ct);
        Assert.Equal(Ranked("correlation_filter", "kept"), kept);
        Assert.True(kept.Count < RFixture.Features.Length, "the filter should drop a correlated feature (f5 follows f1)");

        var mrmr = await FeatureSelection.MrmrAsync(federation, RFixture.Features, "y", 4, ct: Ct);
        Assert.Equal(Ranked("mrmr", "selected"), mrmr);
        _agree.Print();
    }

    [Fact]
    public async Task Univariate_cox_models_equal_coxph()
    {
        var models = await UnivariateTests.CoxAsync(RFixture.Federation(), RFixture.Features, "time", "event", ct: Ct);
        foreach (var m in models)
        {
            _agree.Relative("univariate Cox coefficient", RFixture.Get("univariate_cox", "coef", m.Feature), m.Coefficient, 1e-6);
            _agree.Relative("univariate Cox p", RFixture.Get("univariate_cox", "p", m.Feature), m.P, 1e-6);
        }
        _agree.Print();
    }

    [Fact]
    public async Task Lasso_selects_the_features_glmnet_keeps()
    {
        var (selected, _) = await FeatureSelection.LassoLogisticAsync(RFixture.Federation(), RFixture.LogisticTerms, "y", RFixture.Get("glmnet_l1", "lambda"), ct: Ct);
        var expected = RFixture.LogisticTerms.Where(t => RFixture.Get("glmnet_l1", "coef", t) != 0).ToArray();
        Assert.Equal(expected, selected);
        Assert.True(selected.Count is > 0 and < 8);
    }
}
