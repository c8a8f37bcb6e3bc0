using FedRad.Statistics.Coordinator;
using FedRad.Statistics.Coordinator.Harmonisation;
using FedRad.Statistics.Coordinator.Models;
using FedRad.Statistics.Protocol;

namespace FedRad.Statistics.Tests;

/// <summary>Federated standardisation and ComBat against R (colMeans/sd/cor, sva::ComBat).</summary>
public sealed class HarmonisationTests(ITestOutputHelper output)
{
    private readonly Agreement _agree = new(output);

    [Fact]
    public async Task Pooled_means_sds_and_correlations_equal_R()
    {
        var m = await PooledMoments.ComputeAsync(RFixture.Federation(), RFixture.Features, ct: TestContext.Current.CancellationToken);
        for (var j = 0; j < RFixture.Features.Length; j++)
        {
            var f = RFixture.Features[j];
            _agree.Relative($"mean[{f}]", RFixture.Get("moments", "mean", f), m.Mean[j], 1e-12);
            _agree.Relative($"sd[{f}]", RFixture.Get("moments", "sd", f), m.SampleSd[j], 1e-12);
            for (var k = 0; k < RFixture.Features.Length; k++)
                _agree.Absolute($"correlation[{f}]", RFixture.Get("correlation", f, RFixture.Features[k]), m.Correlation[j][k], 1e-12);
        }
        _agree.Print();
    }

    /// <summary>Each site applies the fitted adjustment to its own table; every value is compared with R's.</summary>
    private async Task CompareComBat(string file, string[] covariates)
    {
        var sites = RFixture.Sites();
        var federation = sites.Federation();
        var combat = await ComBat.FitAsync(federation, RFixture.Features, covariates, null, TestContext.Current.CancellationToken);
        Assert.Empty(combat.Unadjusted);
        var expected = RFixture.Wide(file);
        var compared = 0;
        foreach (var (name, _, table, _) in sites.Sites)
        {
            var site = new Site.StatisticsSite(name, table);
            var own = site.Harmonised(combat.Adjustment);
            var harmonised = RFixture.Features.Select(f => own.Values(f)).ToArray();
            foreach (var row in expected.Where(e => e.Site == name))
                for (var j = 0; j < RFixture.Features.Length; j++)
                {
                    _agree.Relative($"ComBat {file}", row.Values[j], harmonised[j][row.Row], 1e-9);
                    compared++;
                }
        }
        Assert.Equal(570 * 6, compared);
        _agree.Print();
    }

    [Fact]
    public Task ComBat_by_site_equals_sva_ComBat() => CompareComBat("combat_nocov.csv", []);

    [Fact]
    public Task ComBat_preserving_age_and_sex_equals_sva_ComBat_with_mod() => CompareComBat("combat_cov.csv", ["age", "sex"]);

    [Fact]
    public async Task Logistic_regression_on_harmonised_features_equals_glm_after_ComBat()
    {
        var federation = RFixture.Federation();
        var combat = await ComBat.FitAsync(federation, RFixture.Features, ["age", "sex"], null, TestContext.Current.CancellationToken);
        var fit = await LogisticRegression.FitAsync(federation, RFixture.LogisticTerms, "y", data: new DataSpec { Harmonisation = combat.Adjustment },
            ct: TestContext.Current.CancellationToken);
        foreach (var name in RFixture.Names("glm_combat", "coef"))
        {
            _agree.Relative($"glm after ComBat coefficient[{name}]", RFixture.Get("glm_combat", "coef", name), fit.Coefficient(name), 1e-6);
            _agree.Relative($"glm after ComBat standard error[{name}]", RFixture.Get("glm_combat", "se", name), fit.StandardErrors![fit.IndexOf(name)], 1e-6);
        }
        _agree.Print();
    }
}
