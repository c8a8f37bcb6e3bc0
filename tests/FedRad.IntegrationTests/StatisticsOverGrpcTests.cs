using System.Globalization;
using System.Text.Json.Nodes;
using FedRad.IntegrationTests.Infrastructure;

namespace FedRad.IntegrationTests;

/// <summary>
/// The exact federated statistics run by a coordinator process across four site-agent processes,
/// each holding one table of the R fixture (tests/data/r-fixtures, made by scripts/r/make-fixtures.R):
/// the result must equal R's analysis of the pooled data.
/// </summary>
public sealed class StatisticsOverGrpcTests(ITestOutputHelper log)
{
    private static readonly string[] Sites = ["A", "B", "C", "D"];
    private static readonly string[] Terms = ["f1", "f2", "f3", "f4", "f5", "f6", "age", "sex"];
    private static string Fixtures => Path.Combine(AppContext.BaseDirectory, "r-fixtures");

    private static readonly Lazy<Dictionary<(string, string, string), double>> R = new(() =>
        File.ReadLines(Path.Combine(Fixtures, "results.csv")).Skip(1).Select(l => l.Split(','))
            .ToDictionary(f => (f[0], f[1], f[2]), f => double.Parse(f[3], CultureInfo.InvariantCulture)));

    [Fact]
    public async Task A_logistic_analysis_across_site_processes_equals_R_on_the_pooled_data()
    {
        await using var cluster = new Cluster();
        await cluster.StartCoordinator();
        foreach (var s in Sites) cluster.StartSite(s, Path.Combine(Fixtures, "sites", s + ".csv"));
        await cluster.WaitForRegistered(Sites.Length);

        var (code, output) = await FedradProcess.Run(TimeSpan.FromMinutes(5), "analysis", "run", "--coordinator", cluster.Url, "--id", "glm-raw",
            "--site", "A", "--site", "B", "--site", "C", "--site", "D", "--model", "logistic", "--outcome", "y", "--features", string.Join(',', Terms), "--json");
        Assert.True(code == 0, output);
        var json = JsonNode.Parse(output[output.IndexOf('{')..])!;

        Assert.Equal(570, (int)json["n"]!);
        AssertRelative(R.Value[("glm_raw", "coef", "(Intercept)")], (double)json["intercept"]!, 1e-6);
        foreach (var t in Terms)
        {
            AssertRelative(R.Value[("glm_raw", "coef", t)], (double)json["coefficients"]![t]!, 1e-6);
            AssertRelative(R.Value[("glm_raw", "se", t)], (double)json["se"]![t]!, 1e-6);
        }
        Assert.Equal(R.Value[("auc_pooled", "auc", "value")], (double)json["auc"]!["pooled"]!, 1e-9);
        Assert.Equal(R.Value[("auc_pooled", "ci_low", "value")], (double)json["auc"]!["ci"]![0]!, 1e-4);
        Assert.Equal(R.Value[("auc_pooled", "ci_high", "value")], (double)json["auc"]!["ci"]![1]!, 1e-4);
        foreach (var s in Sites) Assert.Equal(R.Value[($"auc_site_{s}", "auc", "value")], (double)json["auc"]!["per_site"]![s]!, 1e-9);
        Assert.Equal(Sites, json["loso"]!.AsArray().Select(f => (string)f!["site"]!));

        // Nothing but aggregates crossed the wire: the coordinator's audit names the analysis, not rows.
        var audit = await File.ReadAllTextAsync(cluster.AuditLog);
        Assert.Contains("\"event\":\"AnalysisCompleted\"", audit);
    }

    [Fact]
    public async Task A_site_below_its_minimum_count_is_left_out_with_the_reason()
    {
        await using var cluster = new Cluster();
        await cluster.StartCoordinator();
        cluster.StartSite("A", Path.Combine(Fixtures, "sites", "A.csv"));
        cluster.StartSite("B", Path.Combine(Fixtures, "sites", "B.csv"));
        cluster.StartSite("C", Path.Combine(Fixtures, "sites", "C.csv"), "--min-cohort", "100000");
        await cluster.WaitForRegistered(3);

        var (code, output) = await FedradProcess.Run(TimeSpan.FromMinutes(5), "analysis", "run", "--coordinator", cluster.Url, "--id", "min-count",
            "--site", "A", "--site", "B", "--site", "C", "--model", "logistic", "--outcome", "y", "--features", "f1,f2", "--json");
        Assert.True(code == 0, output);
        var json = JsonNode.Parse(output[output.IndexOf('{')..])!;
        Assert.Equal(["A", "B"], json["sites"]!.AsArray().Select(s => (string)s!));
        Assert.Contains("100000", (string)json["excluded_sites"]!["C"]!);
        Assert.Contains(json["notes"]!.AsArray(), n => ((string)n!).Contains("site C") && ((string)n!).Contains("left out"));
    }

    [Fact]
    public async Task A_secure_pooled_logistic_analysis_equals_the_clear_one_and_the_sites_send_only_masked_vectors()
    {
        await using var cluster = new Cluster();
        await cluster.StartCoordinator();
        foreach (var s in Sites) cluster.StartSite(s, Path.Combine(Fixtures, "sites", s + ".csv"));
        await cluster.WaitForRegistered(Sites.Length);
        string[] Run(string id, params string[] extra) =>
            ["analysis", "run", "--coordinator", cluster.Url, "--id", id, "--site", "A", "--site", "B", "--site", "C", "--site", "D",
             "--model", "logistic", "--outcome", "y", "--features", string.Join(',', Terms), "--json", .. extra];

        var (code, output) = await FedradProcess.Run(TimeSpan.FromMinutes(5), Run("secure-glm", "--secure-aggregation"));
        Assert.True(code == 0, output + "\n" + string.Join("\n", cluster.Sites.Values.Select(p => p.Name + ":\n" + string.Join("\n", p.Output.Split('\n').TakeLast(20)))));
        var secure = JsonNode.Parse(output[output.IndexOf('{')..])!;
        (code, output) = await FedradProcess.Run(TimeSpan.FromMinutes(5), Run("clear-glm"));
        Assert.True(code == 0, output);
        var clear = JsonNode.Parse(output[output.IndexOf('{')..])!;

        Assert.True((bool)secure["secure_aggregation"]!);
        Assert.Equal((int)clear["n"]!, (int)secure["n"]!);
        Assert.Equal((int)clear["cases"]!, (int)secure["cases"]!);
        var deltas = new List<double> { Math.Abs((double)clear["intercept"]! - (double)secure["intercept"]!) };
        foreach (var t in Terms)
        {
            deltas.Add(Math.Abs((double)clear["coefficients"]![t]! - (double)secure["coefficients"]![t]!));
            deltas.Add(Math.Abs((double)clear["se"]![t]! - (double)secure["se"]![t]!));
        }
        log.WriteLine($"secure vs clear over gRPC: max |Δβ|, |ΔSE| {deltas.Max():E2}; Δ Brier {Math.Abs((double)clear["brier"]! - (double)secure["brier"]!):E2}");
        Assert.True(deltas.Max() < 1e-8, $"secure and clear fits differ by {deltas.Max():E2}");
        Assert.Equal((double)clear["brier"]!, (double)secure["brier"]!, 1e-8);
        Assert.Equal((double)clear["calibration"]!["slope"]!, (double)secure["calibration"]!["slope"]!, 1e-6);
        AssertRelative(R.Value[("glm_raw", "coef", "(Intercept)")], (double)secure["intercept"]!, 1e-6);
        Assert.Null(secure["auc"]);
        Assert.Empty(secure["loso"]!.AsArray());

        // Every statistics task of the secure analysis was answered with a masked vector, never an aggregate in the clear:
        // the coordinator held only the sums (and each site took part in every one).
        foreach (var site in cluster.Sites.Values)
        {
            var lines = site.Output.Split('\n').Where(l => l.Contains("Statistics task secure-glm/")).ToList();
            Assert.NotEmpty(lines);
            Assert.All(lines, l => Assert.Contains("under secure aggregation", l));
            Assert.Contains(site.Output.Split('\n'), l => l.Contains("Statistics task clear-glm/") && !l.Contains("under secure aggregation"));
        }
        Assert.Contains("Secure sum secure-glm/1: sum of A, B, C, D", cluster.Coordinator!.Output);
    }

    [Fact]
    public async Task A_secure_analysis_that_needs_per_site_answers_is_refused_before_any_site_is_asked()
    {
        await using var cluster = new Cluster();
        await cluster.StartCoordinator();
        cluster.StartSite("A", Path.Combine(Fixtures, "sites", "A.csv"));
        cluster.StartSite("B", Path.Combine(Fixtures, "sites", "B.csv"));
        await cluster.WaitForRegistered(2);

        // ComBat needs each site's batch sums: refused naming the request kind.
        var (code, output) = await FedradProcess.Run(TimeSpan.FromMinutes(2), "analysis", "run", "--coordinator", cluster.Url, "--id", "secure-combat",
            "--site", "A", "--site", "B", "--model", "logistic", "--outcome", "y", "--features", "f1,f2", "--harmonize", "combat", "--secure-aggregation");
        Assert.Equal(1, code);
        Assert.Contains("InvalidArgument", output);
        Assert.Contains("secure aggregation cannot run this analysis: request kind 'combat.design'", output);

        // Nothing was sent: the analysis does not exist at the coordinator, and no site was asked anything,
        // while the same plan in the clear does reach the sites (their logs name its tasks).
        var missing = await Assert.ThrowsAsync<Grpc.Core.RpcException>(async () => await cluster.Admin.GetAnalysisAsync(new FedRad.Protocol.V1.AnalysisRef { AnalysisId = "secure-combat" }));
        Assert.Equal(Grpc.Core.StatusCode.NotFound, missing.StatusCode);
        (code, output) = await FedradProcess.Run(TimeSpan.FromMinutes(2), "analysis", "run", "--coordinator", cluster.Url, "--id", "clear-combat",
            "--site", "A", "--site", "B", "--model", "logistic", "--outcome", "y", "--features", "f1,f2", "--harmonize", "combat", "--json");
        Assert.True(code == 0, output);
        Assert.All(cluster.Sites.Values, s =>
        {
            Assert.Contains("clear-combat/1/" + s.Name, s.Output);
            Assert.DoesNotContain("secure-", s.Output);
        });
    }

    private static void AssertRelative(double expected, double actual, double tolerance) =>
        Assert.True(Math.Abs(actual - expected) <= tolerance * Math.Max(Math.Abs(expected), 1e-12), $"expected {expected}, got {actual}");
}
