using System.Globalization;
using FedRad.Statistics.Coordinator;
using FedRad.Statistics.Simulation;
using FedRad.Statistics.Site;

namespace FedRad.Statistics.Tests;

/// <summary>The R reference results made by scripts/r/make-fixtures.R (copied next to the tests).</summary>
internal static class RFixture
{
    public static readonly string[] SiteNames = ["A", "B", "C", "D"];
    public static readonly string[] Features = ["f1", "f2", "f3", "f4", "f5", "f6"];
    public static readonly string[] LogisticTerms = [.. Features, "age", "sex"];

    public static string Directory => Path.Combine(AppContext.BaseDirectory, "r-fixtures");

    public static IReadOnlyList<string> SitePaths => SiteNames.Select(s => Path.Combine(Directory, "sites", s + ".csv")).ToArray();

    private static readonly Lazy<Dictionary<(string, string, string), double>> Results = new(() => LoadResults(Path.Combine(Directory, "results.csv")));

    public static Dictionary<(string, string, string), double> LoadResults(string path)
    {
        var d = new Dictionary<(string, string, string), double>();
        foreach (var line in File.ReadLines(path).Skip(1))
        {
            var f = line.Split(',');
            d[(f[0], f[1], f[2])] = double.Parse(f[3], CultureInfo.InvariantCulture);
        }
        return d;
    }

    public static double Get(string analysis, string quantity, string name = "value") =>
        Results.Value.TryGetValue((analysis, quantity, name), out var v) ? v : throw new KeyNotFoundException($"no R result {analysis}/{quantity}/{name}");

    public static IReadOnlyList<string> Names(string analysis, string quantity) =>
        Results.Value.Keys.Where(k => k.Item1 == analysis && k.Item2 == quantity).Select(k => k.Item3).ToArray();

    public static SimulatedSites Sites(SiteOptions? options = null) => SimulatedSites.Load(SitePaths, options);

    public static Federation Federation() => Sites().Federation();

    /// <summary>A wide CSV of R values: site,row,f1..f6.</summary>
    public static IReadOnlyList<(string Site, int Row, double[] Values)> Wide(string file)
    {
        return File.ReadLines(Path.Combine(Directory, file)).Skip(1).Select(line =>
        {
            var f = line.Split(',');
            return (f[0], int.Parse(f[1], CultureInfo.InvariantCulture), f.Skip(2).Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray());
        }).ToArray();
    }
}

/// <summary>Comparisons that record the largest difference seen per quantity (printed by the tests).</summary>
internal sealed class Agreement(ITestOutputHelper output)
{
    private readonly Dictionary<string, double> _max = new();

    /// <summary>|actual - expected| &lt;= tol * max(|expected|, floor).</summary>
    public void Relative(string quantity, double expected, double actual, double tol, double floor = 1e-12)
    {
        var diff = Math.Abs(actual - expected) / Math.Max(Math.Abs(expected), floor);
        Track(quantity + " (relative)", diff);
        Assert.True(diff <= tol, $"{quantity}: FedRad {actual:R} vs R {expected:R}, relative difference {diff:E2} > {tol:E0}");
    }

    public void Absolute(string quantity, double expected, double actual, double tol)
    {
        var diff = Math.Abs(actual - expected);
        Track(quantity + " (absolute)", diff);
        Assert.True(diff <= tol, $"{quantity}: FedRad {actual:R} vs R {expected:R}, difference {diff:E2} > {tol:E0}");
    }

    private void Track(string quantity, double diff)
    {
        var key = quantity.Split('[')[0];
        _max[key] = Math.Max(_max.GetValueOrDefault(key), diff);
    }

    public void Print()
    {
        foreach (var (k, v) in _max.OrderBy(k => k.Key)) output.WriteLine($"max difference to R, {k}: {v:E2}");
    }
}
