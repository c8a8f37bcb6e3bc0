using System.Globalization;
using System.Text.Json.Nodes;
using FedRad.Statistics.Simulation;

namespace FedRad.Statistics.Tests;

/// <summary>The simulation commands' JSON output against R, end to end from the site CSVs.</summary>
public sealed class SimulationTests(ITestOutputHelper output)
{
    private readonly Agreement _agree = new(output);
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static double D(JsonNode? n) => n!.GetValue<double>();

    private void CompareAuc(string analysis, JsonNode? value, JsonNode? ci)
    {
        _agree.Absolute("AUC", RFixture.Get(analysis, "auc"), D(value), 1e-9);
        _agree.Absolute("AUC CI", RFixture.Get(analysis, "ci_low"), D(ci![0]), 1e-4);
        _agree.Absolute("AUC CI", RFixture.Get(analysis, "ci_high"), D(ci[1]), 1e-4);
    }

    [Fact]
    public async Task Sim_fit_logistic_json_equals_R()
    {
        var json = await SimFit.RunAsync(new SimFitOptions
        {
            Sites = RFixture.SitePaths, Model = "logistic", Outcome = "y", Features = RFixture.LogisticTerms,
        }, ct: Ct);
        Assert.Equal("logistic", (string?)json["model"]);
        Assert.Equal(570, (int)json["n"]!);
        _agree.Relative("intercept", RFixture.Get("glm_raw", "coef", "(Intercept)"), D(json["intercept"]), 1e-6);
        foreach (var t in RFixture.LogisticTerms)
        {
            _agree.Relative("coefficient", RFixture.Get("glm_raw", "coef", t), D(json["coefficients"]![t]), 1e-6);
            _agree.Relative("se", RFixture.Get("glm_raw", "se", t), D(json["se"]![t]), 1e-6);
        }
        CompareAuc("auc_pooled", json["auc"]!["pooled"], json["auc"]!["ci"]);
        foreach (var s in RFixture.SiteNames) CompareAuc("auc_site_" + s, json["auc"]!["per_site"]![s], json["auc"]!["per_site_ci"]![s]);
        var loso = json["loso"]!.AsArray();
        Assert.Equal(RFixture.SiteNames, loso.Select(l => (string)l!["site"]!));
        foreach (var fold in loso)
        {
            var analysis = "loso_logistic_" + (string)fold!["site"]!;
            CompareAuc(analysis, fold["auc"], fold["auc_ci"]);
            _agree.Relative("LOSO calibration slope", RFixture.Get(analysis, "calibration_slope"), D(fold["calibration_slope"]), 1e-6);
        }
        Assert.Null(json["c_index"]);
        Assert.Empty(json["notes"]!.AsArray());
        _agree.Print();
    }

    [Fact]
    public async Task Sim_fit_with_ComBat_preserving_covariates_equals_R()
    {
        var json = await SimFit.RunAsync(new SimFitOptions
        {
            Sites = RFixture.SitePaths, Model = "logistic", Outcome = "y", Features = RFixture.LogisticTerms, Harmonize = "combat", Covariates = ["age", "sex"],
        }, ct: Ct);
        Assert.Equal(RFixture.Features, json["harmonization"]!["adjusted"]!.AsArray().Select(f => (string)f!));
        foreach (var t in RFixture.LogisticTerms)
            _agree.Relative("coefficient after ComBat", RFixture.Get("glm_combat", "coef", t), D(json["coefficients"]![t]), 1e-6);
        CompareAuc("auc_combat_pooled", json["auc"]!["pooled"], json["auc"]!["ci"]);
        foreach (var s in RFixture.SiteNames) CompareAuc("auc_combat_site_" + s, json["auc"]!["per_site"]![s], json["auc"]!["per_site_ci"]![s]);
        foreach (var fold in json["loso"]!.AsArray()) CompareAuc("loso_combat_" + (string)fold!["site"]!, fold["auc"], fold["auc_ci"]);
        _agree.Print();
    }

    [Fact]
    public async Task Sim_fit_cox_json_equals_R()
    {
        var json = await SimFit.RunAsync(new SimFitOptions
        {
            Sites = RFixture.SitePaths, Model = "cox", Time = "time", Event = "event", Features = RFixture.Features,
        }, ct: Ct);
        Assert.Null(json["intercept"]);
        foreach (var f in RFixture.Features)
        {
            _agree.Relative("Cox coefficient", RFixture.Get("cox_pooled", "coef", f), D(json["coefficients"]![f]), 1e-6);
            _agree.Relative("Cox se", RFixture.Get("cox_pooled", "se", f), D(json["se"]![f]), 1e-6);
        }
        var c = json["c_index"]!;
        _agree.Absolute("C-index", RFixture.Get("cindex_pooled", "c_index"), D(c["pooled"]), 1e-9);
        _agree.Absolute("C-index CI", RFixture.Get("cindex_pooled", "ci_low"), D(c["ci"]![0]), 1e-4);
        _agree.Absolute("C-index CI", RFixture.Get("cindex_pooled", "ci_high"), D(c["ci"]![1]), 1e-4);
        foreach (var s in RFixture.SiteNames)
            _agree.Absolute("C-index per site", RFixture.Get("cindex_site_" + s, "c_index"), D(c["per_site"]![s]), 1e-9);
        foreach (var fold in json["loso"]!.AsArray())
            _agree.Absolute("LOSO C-index", RFixture.Get("loso_cox_" + (string)fold!["site"]!, "c_index"), D(fold["c_index"]), 1e-9);
        Assert.Null(json["auc"]);
        _agree.Print();
    }

    [Fact]
    public async Task Sim_harmonize_by_a_scanner_column_spanning_sites_equals_sva_ComBat()
    {
        var dir = Directory.CreateTempSubdirectory("fedrad-scanner-").FullName;
        try
        {
            // each site's table with a text scanner column: every third patient (0-based) on GE
            var sites = RFixture.SitePaths.Select(path =>
            {
                var lines = File.ReadAllLines(path);
                var copy = Path.Combine(dir, Path.GetFileName(path));
                File.WriteAllLines(copy, lines.Select((l, i) => l + "," + (i == 0 ? "scanner" : (i - 1) % 3 == 0 ? "GE" : "Siemens")));
                return copy;
            }).ToArray();
            var output = Path.Combine(dir, "out");
            var json = await SimHarmonize.RunAsync(new SimHarmonizeOptions
            {
                Sites = sites, OutputDirectory = output, Features = RFixture.Features, Covariates = ["age", "sex"], BatchBy = "scanner",
            }, ct: Ct);
            Assert.Equal(["GE", "Siemens"], json["batches"]!.AsArray().Select(b => (string)b!));
            foreach (var row in RFixture.Wide("combat_scanner.csv"))
            {
                var written = Data.CsvTable.Read(Path.Combine(output, row.Site + ".csv"));
                for (var j = 0; j < RFixture.Features.Length; j++)
                    _agree.Relative("harmonised value, scanner batches", row.Values[j], written.Values(RFixture.Features[j])[row.Row], 1e-9);
            }
        }
        finally
        {
            Directory.Delete(dir, true);
        }
        _agree.Print();
    }

    [Fact]
    public async Task Sim_harmonize_writes_each_site_table_as_sva_ComBat_harmonises_it()
    {
        var dir = Directory.CreateTempSubdirectory("fedrad-harmonize-").FullName;
        try
        {
            var json = await SimHarmonize.RunAsync(new SimHarmonizeOptions
            {
                Sites = RFixture.SitePaths, OutputDirectory = dir, Features = RFixture.Features, Covariates = ["age", "sex"],
            }, ct: Ct);
            Assert.Equal(RFixture.SiteNames, json["files"]!.AsObject().Select(f => f.Key));
            var expected = RFixture.Wide("combat_cov.csv");
            foreach (var site in RFixture.SiteNames)
            {
                var written = Data.CsvTable.Read(Path.Combine(dir, site + ".csv"));
                var original = Data.CsvTable.Read(RFixture.SitePaths[Array.IndexOf(RFixture.SiteNames, site)]);
                Assert.Equal(original.Columns, written.Columns);
                Assert.Equal(original.Text("id"), written.Text("id"));
                Assert.Equal(original.Text("time"), written.Text("time"));
                foreach (var row in expected.Where(e => e.Site == site))
                    for (var j = 0; j < RFixture.Features.Length; j++)
                        _agree.Relative("harmonised value", row.Values[j], written.Values(RFixture.Features[j])[row.Row], 1e-9);
            }
        }
        finally
        {
            Directory.Delete(dir, true);
        }
        _agree.Print();
    }
}
