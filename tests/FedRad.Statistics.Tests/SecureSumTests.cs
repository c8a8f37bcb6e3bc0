using FedRad.Privacy.SecureAggregation;
using FedRad.Statistics.Analyses;
using FedRad.Statistics.Data;
using FedRad.Statistics.Coordinator;
using FedRad.Statistics.Coordinator.Models;
using FedRad.Statistics.Coordinator.Validation;
using FedRad.Statistics.Protocol;
using FedRad.Statistics.Simulation;

namespace FedRad.Statistics.Tests;

/// <summary>
/// The summable statistics requests (SecureSum) through real secure-aggregation sessions of the
/// Privacy library, in process: the pooled fits equal R and the same fits in the clear within the
/// fixed-point resolution, and what the summing side receives per site is only a masked vector.
/// (Over gRPC, through the coordinator and site agents: FedRad.IntegrationTests StatisticsOverGrpcTests.)
/// </summary>
public sealed class SecureSumTests(ITestOutputHelper output)
{
    private const int FractionBits = 32;

    /// <summary>All sites as one channel: each request is one session; only the unmasked sum comes back, decoded as one aggregate.</summary>
    private sealed class SecureSumChannel(IReadOnlyList<InProcessSiteChannel> sites, string? dropAfterSharing = null) : ISiteChannel
    {
        private int _sequence;

        public string Site => "secure-sum";

        /// <summary>Every vector received from a site (masked), with the plain encoding the site computed, for the test to compare.</summary>
        public List<(ulong[] Masked, double[] Plain)> Received { get; } = [];

        public async Task<TAggregate> SendAsync<TAggregate>(SiteRequest<TAggregate> request, CancellationToken cancellationToken = default)
            where TAggregate : SiteAggregate
        {
            if (SecureSum.Refusal(request) is { } reason) throw new InvalidOperationException(reason);
            var names = sites.Select(s => s.Site).ToList();
            var config = new SecAggConfig($"analysis-1/{++_sequence}", names, SecAggConfig.MajorityThreshold(names.Count), SecureSum.Length(request), FractionBits);
            var coordinator = new SecAggCoordinator(config);
            var parties = names.ToDictionary(n => n, n => new SecAggSite(config, n));
            foreach (var p in parties.Values) coordinator.Receive(p.AdvertiseKeys());
            var directory = coordinator.CloseAdvertising();
            foreach (var p in parties.Values) coordinator.Receive(p.ShareKeys(directory));
            foreach (var (name, inbox) in coordinator.CloseSharing())
            {
                if (name == dropAfterSharing) continue;
                var plain = SecureSum.Encode(request, await sites.Single(s => s.Site == name).SendAsync(request, cancellationToken));
                var masked = parties[name].MaskInput(plain, inbox);
                Received.Add((masked.Masked, plain));
                coordinator.Receive(masked);
            }
            var unmask = coordinator.CloseMasking();
            foreach (var s in unmask.Survivors) coordinator.Receive(parties[s].Unmask(unmask));
            var result = coordinator.Finish();
            foreach (var p in parties.Values) p.Dispose();
            return SecureSum.Decode(request, result.Sum, Site);
        }
    }

    private static SecureSumChannel Secure(string? drop = null) => new(RFixture.Sites().Sites.Select(s => s.Channel).ToList(), drop);

    [Fact]
    public async Task Secure_pooled_logistic_regression_equals_the_clear_fit_and_glm()
    {
        var ct = TestContext.Current.CancellationToken;
        var clear = await LogisticRegression.FitAsync(RFixture.Federation(), RFixture.LogisticTerms, "y", ct: ct);
        var channel = Secure();
        var secure = await LogisticRegression.FitAsync(new Federation([channel]), RFixture.LogisticTerms, "y", ct: ct);

        Assert.Equal(clear.Count, secure.Count);
        Assert.Equal(clear.Cases, secure.Cases);
        var maxCoef = clear.Coefficients.Zip(secure.Coefficients, (a, b) => Math.Abs(a - b)).Max();
        var maxSe = clear.StandardErrors!.Zip(secure.StandardErrors!, (a, b) => Math.Abs(a - b) / a).Max();
        output.WriteLine($"secure vs clear: max |Δβ| {maxCoef:E2}, max relative ΔSE {maxSe:E2}, Δ log-likelihood {Math.Abs(clear.LogLikelihood - secure.LogLikelihood):E2}; {channel.Received.Count} masked vectors over {secure.Iterations} iterations");
        Assert.True(maxCoef < 1e-6, $"coefficients differ by {maxCoef}");
        Assert.True(maxSe < 1e-6, $"standard errors differ by {maxSe}");
        Assert.Equal(-2 * clear.LogLikelihood, -2 * secure.LogLikelihood, 1e-5);
        var glmDeviance = RFixture.Get("glm_raw", "deviance", "model");
        Assert.True(Math.Abs(-2 * secure.LogLikelihood - glmDeviance) <= 1e-7 * glmDeviance, $"deviance {-2 * secure.LogLikelihood} vs glm {glmDeviance}");

        // Calibration (Brier, intercept and slope: logistic fits on the score) is made of sums too.
        var scored = ModelScore.With(new DataSpec(), clear);
        var clearCalibration = await Calibration.EvaluateAsync(RFixture.Federation(), ModelScore.Column, "y", scored, ct);
        var secureCalibration = await Calibration.EvaluateAsync(new Federation([channel]), ModelScore.Column, "y", scored, ct);
        output.WriteLine($"calibration secure vs clear: Δ Brier {Math.Abs(clearCalibration.Brier - secureCalibration.Brier):E2}, Δ intercept {Math.Abs(clearCalibration.Intercept - secureCalibration.Intercept):E2}, Δ slope {Math.Abs(clearCalibration.Slope - secureCalibration.Slope):E2}");
        Assert.Equal(clearCalibration.Brier, secureCalibration.Brier, 1e-8);
        Assert.Equal(clearCalibration.Intercept, secureCalibration.Intercept, 1e-6);
        Assert.Equal(clearCalibration.Slope, secureCalibration.Slope, 1e-6);

        // What the summing side got from each site is the masked vector, never the site's own encoded aggregate.
        var scale = Math.ScaleB(1.0, FractionBits);
        foreach (var (masked, plain) in channel.Received)
        {
            var encoded = plain.Select(x => unchecked((ulong)(long)Math.Round(x * scale, MidpointRounding.ToEven))).ToArray();
            Assert.True(masked.Zip(encoded).Count(p => p.First == p.Second) <= 1, "a masked vector equals the site's plain aggregate in more than one element");
        }
    }

    [Fact]
    public async Task Secure_pooled_moments_equal_the_clear_ones_and_a_site_dropping_after_sharing_keys_leaves_the_sum_of_the_others()
    {
        var ct = TestContext.Current.CancellationToken;
        var clear = await PooledMoments.ComputeAsync(RFixture.Federation(), RFixture.Features, ct: ct);
        var secure = await PooledMoments.ComputeAsync(new Federation([Secure()]), RFixture.Features, ct: ct);
        Assert.Equal(clear.Count, secure.Count);
        var maxMean = clear.Mean.Zip(secure.Mean, (a, b) => Math.Abs(a - b)).Max();
        var maxCross = clear.CentredCrossProducts.SelectMany((r, i) => r.Select((v, j) => Math.Abs(v - secure.CentredCrossProducts[i][j]))).Max();
        output.WriteLine($"moments secure vs clear: max |Δmean| {maxMean:E2}, max |Δ centred cross-product| {maxCross:E2}");
        Assert.True(maxMean < 1e-8 && maxCross < 1e-6, $"means differ by {maxMean}, cross-products by {maxCross}");

        // Site D drops after sharing keys: its masks are removed with the others' shares; the sum is that of A, B and C.
        var abc = RFixture.Sites().Federation(["A", "B", "C"]);
        var withoutD = await PooledMoments.ComputeAsync(abc, RFixture.Features, ct: ct);
        var dropped = await PooledMoments.ComputeAsync(new Federation([Secure(drop: "D")]), RFixture.Features, ct: ct);
        Assert.Equal(withoutD.Count, dropped.Count);
        Assert.True(withoutD.Mean.Zip(dropped.Mean, (a, b) => Math.Abs(a - b)).Max() < 1e-8);
    }

    [Fact]
    public async Task A_secure_analysis_reports_the_pooled_fit_and_calibration_and_refuses_plans_that_need_per_site_answers()
    {
        var ct = TestContext.Current.CancellationToken;
        var plan = new FitOptions { Model = "logistic", Outcome = "y", Features = RFixture.LogisticTerms };
        var clear = await FederatedFit.RunAsync(plan, RFixture.Sites().Endpoints, ct: ct);
        var secure = await FederatedFit.RunAsync(plan with { SecureAggregation = true }, [new SiteEndpoint("secure-sum", "all sites", Secure())], ct: ct);
        foreach (var f in RFixture.LogisticTerms)
            Assert.Equal((double)clear["coefficients"]![f]!, (double)secure["coefficients"]![f]!, 1e-8);
        Assert.Equal((int)clear["n"]!, (int)secure["n"]!);
        Assert.Equal((double)clear["brier"]!, (double)secure["brier"]!, 1e-10);
        Assert.Equal((double)clear["calibration"]!["slope"]!, (double)secure["calibration"]!["slope"]!, 1e-8);
        Assert.Null(secure["auc"]);
        Assert.Empty(secure["loso"]!.AsArray());
        Assert.Contains(secure["notes"]!.AsArray(), n => ((string)n!).Contains("'rank.bins'"));

        async Task<string> Refused(FitOptions o) =>
            (await Assert.ThrowsAsync<StatisticsInputException>(() => FederatedFit.RunAsync(o with { SecureAggregation = true }, [new SiteEndpoint("secure-sum", "all sites", Secure())], ct: ct))).Message;
        Assert.Contains("'combat.design'", await Refused(plan with { Harmonize = "combat" }));
        Assert.Contains("'cox.event-times'", await Refused(new FitOptions { Model = "cox", Time = "time", Event = "event", Features = RFixture.Features }));
        Assert.Contains("'score.counts'", await Refused(plan with { Validation = true }));
        Assert.Contains("penalised", await Refused(plan with { Penalty = "l2", Lambda = 0.1 }));
    }

    [Fact]
    public void Requests_that_need_each_sites_own_answer_are_refused_naming_their_kind()
    {
        var combat = SecureSum.Refusal(new ComBatDesignRequest { Features = ["f1"], Covariates = [], BatchColumn = null });
        Assert.Contains("'combat.design'", combat);
        Assert.Contains("'eligibility'", SecureSum.Refusal(new EligibilityRequest { Columns = ["f1"], Harmonise = true }));
        Assert.Null(SecureSum.Refusal(new LogisticRequest { Features = ["f1"], Outcome = "y", Coefficients = [0, 0] }));
        Assert.Null(SecureSum.Refusal(new MomentsRequest { Columns = ["f1"], GroupBy = "y" }));
        var error = Assert.Throws<ArgumentException>(() => SecureSum.Length(new EventTimesRequest { Time = "t", Event = "e" }));
        Assert.Contains("'cox.event-times'", error.Message);
    }
}
