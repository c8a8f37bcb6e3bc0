using System.Globalization;
using System.Text.Json.Nodes;
using FedRad.Statistics.Coordinator;
using FedRad.Statistics.Coordinator.Models;
using FedRad.Statistics.Data;
using FedRad.Statistics.Protocol;
using FedRad.Statistics.Simulation;
using FedRad.Statistics.Site;

namespace FedRad.Statistics.Tests;

/// <summary>
/// Bad input: a clear message naming the site and the cause, and either the analysis goes on
/// without that site (saying so) or it stops; never a NaN reported as a result.
/// </summary>
public sealed class BadInputTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fedrad-bad-input-").FullName;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => Directory.Delete(_dir, true);

    /// <summary>Copies a fixture site, letting <paramref name="edit"/> change cells (row index, column → new text; null keeps).</summary>
    private string Copy(string site, Func<int, string, string, string?>? edit = null, string? asName = null, int? rows = null, IReadOnlyDictionary<string, Func<int, string[], string>>? addColumns = null)
    {
        var lines = File.ReadAllLines(Path.Combine(RFixture.Directory, "sites", site + ".csv"));
        var header = lines[0].Split(',');
        var output = new List<string> { string.Join(',', header.Concat(addColumns?.Keys ?? [])) };
        foreach (var (line, i) in lines.Skip(1).Select((l, i) => (l, i)).Take(rows ?? int.MaxValue))
        {
            var cells = line.Split(',');
            for (var j = 0; j < cells.Length; j++) cells[j] = edit?.Invoke(i, header[j], cells[j]) ?? cells[j];
            var extra = addColumns?.Values.Select(f => f(i, cells)) ?? [];
            output.Add(string.Join(',', cells.Concat(extra)));
        }
        var path = Path.Combine(_dir, (asName ?? site) + ".csv");
        File.WriteAllLines(path, output);
        return path;
    }

    private string[] CopyAll(Func<int, string, string, string?>? edit = null, IReadOnlyDictionary<string, Func<int, string[], string>>? addColumns = null) =>
        RFixture.SiteNames.Select(s => Copy(s, edit, addColumns: addColumns)).ToArray();

    private static Task<JsonObject> Logistic(IReadOnlyList<string> sites, IReadOnlyList<string>? features = null, string penalty = "none", double? lambda = null) =>
        SimFit.RunAsync(new SimFitOptions { Sites = sites, Model = "logistic", Outcome = "y", Features = features ?? RFixture.LogisticTerms, Penalty = penalty, Lambda = lambda }, ct: Ct);

    private static void NoNaN(JsonObject json)
    {
        var text = json.ToJsonString();
        Assert.DoesNotContain("NaN", text);
        Assert.DoesNotContain("Infinity", text);
    }

    [Fact]
    public async Task A_missing_value_stops_with_the_site_file_line_and_column()
    {
        var sites = CopyAll((i, column, cell) => i == 10 && column == "f3" && cell != "" ? "NA" : null);
        var e = await Assert.ThrowsAsync<StatisticsInputException>(() => Logistic(sites));
        Assert.Contains("site A", e.Message);
        Assert.Contains("A.csv", e.Message);
        Assert.Contains("'f3'", e.Message);
        Assert.Contains("missing", e.Message);
        Assert.Contains("line 12", e.Message);
    }

    [Fact]
    public async Task A_site_below_the_minimum_count_is_left_out_and_the_rest_still_equals_R()
    {
        var sites = RFixture.SitePaths.Append(Copy("A", asName: "E", rows: 3)).ToArray();
        var json = await Logistic(sites);
        Assert.Contains("3 patient(s), fewer than the site's minimum of 5", (string)json["excluded_sites"]!["E"]!);
        Assert.Contains(json["notes"]!.AsArray(), n => ((string)n!).StartsWith("site E (") && ((string)n!).Contains("left out"));
        Assert.Equal(RFixture.SiteNames, json["sites"]!.AsArray().Select(s => (string)s!));
        foreach (var t in RFixture.LogisticTerms)
        {
            var expected = RFixture.Get("glm_raw", "coef", t);
            Assert.True(Math.Abs(json["coefficients"]![t]!.GetValue<double>() - expected) <= 1e-6 * Math.Abs(expected));
        }
        NoNaN(json);
    }

    [Fact]
    public async Task A_site_with_too_few_positives_is_left_out_naming_the_cause()
    {
        var positives = 0;
        var e = Copy("A", (i, column, cell) => column == "y" ? (cell == "1" && ++positives <= 3 ? "1" : "0") : null, asName: "E");
        var json = await Logistic([.. RFixture.SitePaths, e]);
        Assert.Contains("3 positive outcome(s) in 'y', fewer than the site's minimum of 5", (string)json["excluded_sites"]!["E"]!);
        NoNaN(json);
    }

    [Fact]
    public async Task A_site_with_one_class_only_takes_part_but_has_no_AUC_and_is_not_validated()
    {
        var e = Copy("A", (_, column, _) => column == "y" ? "0" : null, asName: "E");
        var json = await Logistic([.. RFixture.SitePaths, e]);
        Assert.Contains("E", json["sites"]!.AsArray().Select(s => (string)s!));
        Assert.Null(json["auc"]!["per_site"]!["E"]);
        Assert.Contains(json["notes"]!.AsArray(), n => (string)n! == "site E: no AUC, all of its patients have outcome 0");
        var fold = json["loso"]!.AsArray().Single(f => (string)f!["site"]! == "E")!;
        Assert.Null(fold["auc"]);
        Assert.Contains("site E cannot be validated", (string)fold["note"]!);
        NoNaN(json);
    }

    [Fact]
    public async Task Collinear_features_stop_naming_them()
    {
        var sites = CopyAll(addColumns: new Dictionary<string, Func<int, string[], string>>
        {
            ["f7"] = (_, cells) => (double.Parse(cells[1], CultureInfo.InvariantCulture) + 2 * double.Parse(cells[2], CultureInfo.InvariantCulture)).ToString("R", CultureInfo.InvariantCulture),
        });
        var e = await Assert.ThrowsAsync<AnalysisFailedException>(() => Logistic(sites, ["f1", "f2", "f3", "f7"]));
        Assert.Contains("'f7'", e.Message);
        Assert.Contains("collinear", e.Message);
    }

    [Fact]
    public async Task A_constant_feature_stops_naming_it()
    {
        var sites = CopyAll(addColumns: new Dictionary<string, Func<int, string[], string>> { ["k"] = (_, _) => "1" });
        var e = await Assert.ThrowsAsync<AnalysisFailedException>(() => Logistic(sites, ["f1", "k"]));
        Assert.Contains("'k'", e.Message);
        Assert.Contains("constant", e.Message);
    }

    [Fact]
    public async Task Perfect_separation_stops_naming_the_sites_instead_of_reporting_infinite_coefficients()
    {
        var sites = CopyAll(addColumns: new Dictionary<string, Func<int, string[], string>>
        {
            ["z"] = (_, cells) => double.Parse(cells[1], CultureInfo.InvariantCulture) > 100 ? "1" : "0",
        });
        var e = await Assert.ThrowsAsync<AnalysisFailedException>(() =>
            SimFit.RunAsync(new SimFitOptions { Sites = sites, Model = "logistic", Outcome = "z", Features = ["f1", "f2"] }, ct: Ct));
        Assert.Contains("separation", e.Message);
        Assert.Contains("site A", e.Message);

        // with a penalty the estimates exist and are reported
        var json = await SimFit.RunAsync(new SimFitOptions { Sites = sites, Model = "logistic", Outcome = "z", Features = ["f1", "f2"], Penalty = "l2", Lambda = 0.01 }, ct: Ct);
        Assert.True(double.IsFinite(json["coefficients"]!["f1"]!.GetValue<double>()));
        Assert.Null(json["calibration"]);
        Assert.Contains(json["notes"]!.AsArray(), n => ((string)n!).StartsWith("no calibration: calibration slope:") && ((string)n!).Contains("separation"));
        NoNaN(json);
    }

    [Fact]
    public async Task Too_few_events_leave_a_site_out_or_stop_the_model()
    {
        var events = 0;
        var few = Copy("A", (_, column, cell) => column == "event" ? (cell == "1" && ++events <= 2 ? "1" : "0") : null, asName: "E");
        var json = await SimFit.RunAsync(new SimFitOptions
        {
            Sites = [.. RFixture.SitePaths, few], Model = "cox", Time = "time", Event = "event", Features = RFixture.Features,
        }, ct: Ct);
        Assert.Contains("2 event(s), fewer than the site's minimum of 5", (string)json["excluded_sites"]!["E"]!);
        NoNaN(json);

        var kept = 0;
        var sites = RFixture.SiteNames.Select(s => Copy(s, (_, column, cell) => column == "event" ? (s == "A" && cell == "1" && ++kept <= 5 ? "1" : "0") : null)).ToArray();
        var e = await Assert.ThrowsAsync<AnalysisFailedException>(() => SimFit.RunAsync(new SimFitOptions
        {
            Sites = sites, Model = "cox", Time = "time", Event = "event", Features = RFixture.Features,
        }, ct: Ct));
        Assert.Contains("too few events (5) for 6 feature(s)", e.Message);
    }

    [Fact]
    public async Task A_non_numeric_column_is_named_with_its_site_and_line_unless_it_is_id()
    {
        var sites = CopyAll(addColumns: new Dictionary<string, Func<int, string[], string>> { ["scanner"] = (i, _) => i % 2 == 0 ? "GE" : "Siemens" });
        var e = await Assert.ThrowsAsync<StatisticsInputException>(() =>
            SimFit.RunAsync(new SimFitOptions { Sites = sites, Model = "logistic", Outcome = "y", AllFeatures = true }, ct: Ct));
        Assert.Contains("site A", e.Message);
        Assert.Contains("'scanner' is not numeric", e.Message);
        Assert.Contains("line 2", e.Message);

        // the text id column alone is ignored by --all-features
        var json = await SimFit.RunAsync(new SimFitOptions { Sites = RFixture.SitePaths, Model = "logistic", Outcome = "y", AllFeatures = true }, ct: Ct);
        Assert.DoesNotContain("id", json["features"]!.AsArray().Select(f => (string)f!));
        Assert.Contains("f1", json["features"]!.AsArray().Select(f => (string)f!));
    }

    [Fact]
    public async Task An_outcome_that_is_not_0_or_1_is_named_with_its_line()
    {
        var sites = CopyAll((i, column, _) => i == 4 && column == "y" ? "2" : null);
        var e = await Assert.ThrowsAsync<StatisticsInputException>(() => Logistic(sites));
        Assert.Contains("A.csv line 6: 'y' is 2, expected 0 or 1", e.Message);
    }

    [Fact]
    public async Task File_problems_name_the_file()
    {
        var missing = Path.Combine(_dir, "nowhere.csv");
        Assert.Contains("nowhere.csv: file not found", (await Assert.ThrowsAsync<StatisticsInputException>(() => Logistic([missing]))).Message);

        var ragged = Path.Combine(_dir, "R.csv");
        File.WriteAllLines(ragged, ["id,f1,y", "a,1,0", "b,2", "c,3,1"]);
        Assert.Contains("R.csv: line 3 has 2 fields, the header has 3", (await Assert.ThrowsAsync<StatisticsInputException>(() => Logistic([ragged], ["f1"]))).Message);

        var other = Directory.CreateDirectory(Path.Combine(_dir, "other")).FullName;
        File.Copy(RFixture.SitePaths[0], Path.Combine(other, "A.csv"));
        var e = await Assert.ThrowsAsync<StatisticsInputException>(() => Logistic([RFixture.SitePaths[0], Path.Combine(other, "A.csv")]));
        Assert.Contains("two site files are named 'A'", e.Message);
    }

    [Fact]
    public async Task Inconsistent_options_are_refused_before_any_site_is_asked()
    {
        Assert.Contains("--penalty l1 needs --lambda", (await Assert.ThrowsAsync<StatisticsInputException>(() => Logistic(RFixture.SitePaths, penalty: "l1"))).Message);
        Assert.Contains("--model cox needs --time COLUMN and --event COLUMN", (await Assert.ThrowsAsync<StatisticsInputException>(() =>
            SimFit.RunAsync(new SimFitOptions { Sites = RFixture.SitePaths, Model = "cox", Features = RFixture.Features }, ct: Ct))).Message);
    }

    [Fact]
    public async Task A_site_refuses_aggregates_below_its_minimum_and_says_so()
    {
        var table = CsvTable.Read(Copy("A", rows: 4));
        var site = new StatisticsSite("A", table, new SiteOptions { MinimumCount = 5 });
        var e = Assert.Throws<SiteRefusedException>(() => site.Handle(new LogisticRequest { Features = ["f1"], Outcome = "y", Coefficients = [0, 0] }));
        Assert.Equal(RefusalCause.BelowMinimum, e.Refusal.Cause);
        Assert.Equal("site A: 4 patient(s), fewer than the site's minimum of 5", e.Message);

        var relaxed = new StatisticsSite("A", table, new SiteOptions { MinimumCount = 2 });
        Assert.Equal(4, relaxed.Handle(new MomentsRequest { Columns = ["f1"] }).Count);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task A_site_that_forbids_risk_set_sums_stops_the_pooled_cox_model_but_not_the_stratified_one()
    {
        var channels = RFixture.SiteNames.Select((s, i) => new InProcessSiteChannel(new StatisticsSite(s, CsvTable.Read(RFixture.SitePaths[i]),
            new SiteOptions { AllowRiskSetSums = s != "C" }))).ToArray();
        var federation = new Federation(channels);
        var e = await Assert.ThrowsAsync<SiteRefusedException>(() => CoxRegression.FitAsync(federation, RFixture.Features, "time", "event", ct: Ct));
        Assert.Equal("C", e.Refusal.Site);
        Assert.Equal(RefusalCause.NotPermitted, e.Refusal.Cause);

        var stratified = await CoxRegression.FitAsync(federation, RFixture.Features, "time", "event", stratifyBySite: true, ct: Ct);
        Assert.Equal(RFixture.Get("cox_stratified", "coef", "f2"), stratified.Coefficient("f2"), 1e-9);
    }
}
