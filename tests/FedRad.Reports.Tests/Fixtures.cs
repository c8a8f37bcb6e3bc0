using System.Globalization;
using FedRad.Statistics.Simulation;
using FedRad.Statistics.Site;

namespace FedRad.Reports.Tests;

/// <summary>The synthetic sites of scripts/r/make-fixtures.R and the R references of
/// scripts/r/make-report-fixtures.R, copied next to the tests.</summary>
internal static class Fixtures
{
    public static readonly string[] SiteNames = ["A", "B", "C", "D"];
    public static readonly string[] Features = ["f1", "f2", "f3", "f4", "f5", "f6"];

    public static string Directory => AppContext.BaseDirectory;

    public static IReadOnlyList<string> SitePaths => SiteNames.Select(s => Path.Combine(Directory, "sites", s + ".csv")).ToArray();

    public static SimulatedSites Sites(int minimumCount = 5) => SimulatedSites.Load(SitePaths, new SiteOptions { MinimumCount = minimumCount });

    /// <summary>Rows of an R fixture CSV as column name to text.</summary>
    public static IReadOnlyList<Dictionary<string, string>> Table(string file)
    {
        var lines = File.ReadAllLines(Path.Combine(Directory, "r-fixtures", file));
        var header = lines[0].Split(',');
        return lines.Skip(1).Select(l => header.Zip(l.Split(',')).ToDictionary(p => p.First, p => p.Second)).ToArray();
    }

    public static double Number(string text) => text switch
    {
        "Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        "NA" => double.NaN,
        _ => double.Parse(text, CultureInfo.InvariantCulture),
    };

    /// <summary>R results of the statistics fixtures (analysis, quantity, name) -> value.</summary>
    public static double Stat(string analysis, string quantity, string name = "value")
    {
        foreach (var line in File.ReadLines(Path.Combine(Directory, "stats", "results.csv")).Skip(1))
        {
            var f = line.Split(',');
            if (f[0] == analysis && f[1] == quantity && f[2] == name) return double.Parse(f[3], CultureInfo.InvariantCulture);
        }
        throw new KeyNotFoundException($"no R result {analysis}/{quantity}/{name}");
    }

    /// <summary>The logistic plan of the report tests: f1..f6, age, sex after ComBat preserving age and sex.</summary>
    public static SimFitOptions Logistic(int minimumCount = 5, bool validation = true) => new()
    {
        Sites = SitePaths, Model = "logistic", Outcome = "y", Features = [.. Features, "age", "sex"], Harmonize = "combat",
        Covariates = ["age", "sex"], Validation = validation, MinimumCount = minimumCount,
    };

    /// <summary>The pooled (unstratified) Cox model of f1..f6.</summary>
    public static SimFitOptions Cox(int minimumCount = 5, bool validation = true) => new()
    {
        Sites = SitePaths, Model = "cox", Time = "time", Event = "event", Features = Features, Validation = validation, MinimumCount = minimumCount,
    };
}

/// <summary>Compares with a tolerance and records the largest difference per quantity (printed).</summary>
internal sealed class Agreement(ITestOutputHelper output)
{
    private readonly Dictionary<string, double> _max = new();

    public void Absolute(string quantity, double expected, double actual, double tol)
    {
        var diff = Math.Abs(actual - expected);
        _max[quantity] = Math.Max(_max.GetValueOrDefault(quantity), diff);
        Assert.True(diff <= tol, $"{quantity}: FedRad {actual:R} vs R {expected:R}, difference {diff:E2} > {tol:E0}");
    }

    public void Relative(string quantity, double expected, double actual, double tol)
    {
        var diff = Math.Abs(actual - expected) / Math.Max(Math.Abs(expected), 1e-300);
        _max[quantity] = Math.Max(_max.GetValueOrDefault(quantity), diff);
        Assert.True(diff <= tol, $"{quantity}: FedRad {actual:R} vs R {expected:R}, relative difference {diff:E2} > {tol:E0}");
    }

    public void Print()
    {
        foreach (var (k, v) in _max.OrderBy(k => k.Key)) output.WriteLine($"max difference to R, {k}: {v:E2}");
    }
}
