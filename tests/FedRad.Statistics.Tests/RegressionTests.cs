using FedRad.Statistics.Coordinator.Models;

namespace FedRad.Statistics.Tests;

/// <summary>Federated regression models against glm, glmnet and coxph on the pooled data.</summary>
public sealed class RegressionTests(ITestOutputHelper output)
{
    private readonly Agreement _agree = new(output);

    private void CompareWald(string analysis, RegressionFit fit)
    {
        foreach (var name in RFixture.Names(analysis, "coef"))
        {
            var j = fit.IndexOf(name);
            _agree.Relative($"{analysis} coefficient[{name}]", RFixture.Get(analysis, "coef", name), fit.Coefficients[j], 1e-6);
            _agree.Relative($"{analysis} standard error[{name}]", RFixture.Get(analysis, "se", name), fit.StandardErrors![j], 1e-6);
            _agree.Relative($"{analysis} p-value[{name}]", RFixture.Get(analysis, "p", name), fit.P![j], 1e-6);
            _agree.Absolute($"{analysis} CI[{name}]", RFixture.Get(analysis, "ci_low", name), fit.CiLow![j], 1e-4);
            _agree.Absolute($"{analysis} CI[{name}]", RFixture.Get(analysis, "ci_high", name), fit.CiHigh![j], 1e-4);
        }
        _agree.Print();
    }

    [Fact]
    public async Task Logistic_regression_equals_glm()
    {
        var fit = await LogisticRegression.FitAsync(RFixture.Federation(), RFixture.LogisticTerms, "y", ct: TestContext.Current.CancellationToken);
        CompareWald("glm_raw", fit);
        _agree.Relative("glm deviance", RFixture.Get("glm_raw", "deviance", "model"), -2 * fit.LogLikelihood, 1e-9);
    }

    [Theory]
    [InlineData("l1")]
    [InlineData("l2")]
    [InlineData("enet")]
    public async Task Penalised_logistic_regression_equals_glmnet(string kind)
    {
        var analysis = "glmnet_" + kind;
        var penalty = new Penalty(RFixture.Get(analysis, "lambda"), RFixture.Get(analysis, "alpha"));
        var fit = await LogisticRegression.FitAsync(RFixture.Federation(), RFixture.LogisticTerms, "y", penalty, ct: TestContext.Current.CancellationToken);
        foreach (var name in RFixture.Names(analysis, "coef"))
        {
            var expected = RFixture.Get(analysis, "coef", name);
            var actual = fit.Coefficient(name);
            if (expected == 0) Assert.True(actual == 0, $"{analysis}[{name}]: glmnet has exactly 0, FedRad {actual:R}");
            else _agree.Relative($"{analysis} coefficient[{name}]", expected, actual, 1e-6);
        }
        Assert.Null(fit.StandardErrors);
        _agree.Print();
    }

    [Fact]
    public async Task Pooled_cox_regression_equals_coxph()
    {
        var fit = await CoxRegression.FitAsync(RFixture.Federation(), RFixture.Features, "time", "event", ct: TestContext.Current.CancellationToken);
        CompareWald("cox_pooled", fit);
        _agree.Relative("coxph log-likelihood", RFixture.Get("cox_pooled", "loglik", "model"), fit.LogLikelihood, 1e-9);
    }

    [Fact]
    public async Task Site_stratified_cox_regression_equals_coxph_with_strata()
    {
        var fit = await CoxRegression.FitAsync(RFixture.Federation(), RFixture.Features, "time", "event", stratifyBySite: true, ct: TestContext.Current.CancellationToken);
        CompareWald("cox_stratified", fit);
        _agree.Relative("coxph strata log-likelihood", RFixture.Get("cox_stratified", "loglik", "model"), fit.LogLikelihood, 1e-9);
    }

    [Theory]
    [InlineData("l1")]
    [InlineData("enet")]
    public async Task Penalised_cox_regression_equals_glmnet(string kind)
    {
        var analysis = "glmnet_cox_" + kind;
        var penalty = new Penalty(RFixture.Get(analysis, "lambda"), RFixture.Get(analysis, "alpha"));
        // untied follow-up times: glmnet's Cox likelihood equals coxph's Breslow likelihood only without ties
        var fit = await CoxRegression.FitAsync(RFixture.Federation(), RFixture.Features, "time_exact", "event", penalty: penalty, ct: TestContext.Current.CancellationToken);
        foreach (var name in RFixture.Names(analysis, "coef"))
        {
            var expected = RFixture.Get(analysis, "coef", name);
            var actual = fit.Coefficient(name);
            if (expected == 0) Assert.True(actual == 0, $"{analysis}[{name}]: glmnet has exactly 0, FedRad {actual:R}");
            else _agree.Relative($"{analysis} coefficient[{name}]", expected, actual, 1e-6);
        }
        _agree.Print();
    }
}
