using System.Globalization;
using System.Text;
using FedRad.Radiomics.Features;
using FedRad.Radiomics.Settings;

namespace FedRad.Radiomics.Tests;

/// <summary>
/// The IBSI 1 digital phantom: every one of the 482 reference values must match after rounding both to three
/// significant digits. Writes a conformance report (CSV and Markdown) listing every value, expected vs got.
/// </summary>
public sealed class ConformanceTests(ITestOutputHelper output)
{
    private sealed record Reference(string Family, string Feature, string Code, string Variant, string Aggregation, string AggregationCode, string Value, string Tolerance);

    [Fact]
    public void DigitalPhantomMatchesAll482IbsiReferenceValues()
    {
        var settings = SettingsLoader.Load(TestData.Config("ibsi-digital-phantom.yaml"));
        var (image, mask) = TestData.DigitalPhantom();
        var features = RadiomicsExtractor.Extract(image, mask, settings);

        var references = ReadReferences();
        Assert.Equal(482, references.Count);
        var rows = new List<(Reference Ref, double? Got, bool Match)>();
        foreach (var r in references)
        {
            var got = features.Values.FirstOrDefault(v => v.IbsiCode == r.Code && v.Aggregation.IbsiCode() == r.AggregationCode);
            var expected = double.Parse(r.Value, CultureInfo.InvariantCulture);
            rows.Add((r, got?.Value, got is not null && SameAtThreeSignificantDigits(expected, got.Value)));
        }

        var misses = rows.Where(x => !x.Match).ToList();
        var dir = TestData.OutputDirectory("conformance");
        WriteReport(dir, rows);
        output.WriteLine($"{rows.Count - misses.Count} of {rows.Count} IBSI digital phantom values match at 3 significant digits; report in {dir}");
        foreach (var m in misses)
            output.WriteLine($"MISS {m.Ref.Feature} [{m.Ref.Code}] {m.Ref.Aggregation}: expected {m.Ref.Value}, got {m.Got?.ToString("G6", CultureInfo.InvariantCulture) ?? "(not computed)"}");
        Assert.Empty(misses.Select(m => $"{m.Ref.Code}/{m.Ref.AggregationCode}: expected {m.Ref.Value}, got {m.Got}"));
    }

    [Fact]
    public void NiftiPhantomEqualsTheVoxelTable()
    {
        var (image, mask) = TestData.DigitalPhantom();
        var (csvImage, csvMask) = TestData.DigitalPhantomFromCsv();
        Assert.Equal((5, 4, 4), (image.Grid.SizeX, image.Grid.SizeY, image.Grid.SizeZ));
        Assert.Equal((2.0, 2.0, 2.0), (image.Grid.SpacingX, image.Grid.SpacingY, image.Grid.SpacingZ));
        Assert.Equal(74, mask.Count());
        // Same features from both sources: the conformance result does not depend on how the phantom was read.
        var settings = SettingsLoader.Load(TestData.Config("ibsi-digital-phantom.yaml"));
        var a = RadiomicsExtractor.Extract(image, mask, settings).Values;
        var b = RadiomicsExtractor.Extract(csvImage, csvMask, settings).Values;
        Assert.Equal(a.Count, b.Count);
        for (var i = 0; i < a.Count; i++) Assert.Equal(b[i].Value, a[i].Value, 1e-9);
    }

    /// <summary>Both values rounded to 3 significant digits are equal (an expected 0 needs |got| &lt; 1e-12).</summary>
    internal static bool SameAtThreeSignificantDigits(double expected, double got)
    {
        if (double.IsNaN(got)) return false;
        if (expected == 0) return Math.Abs(got) < 1e-12;
        static double Round3(double v) => double.Parse(v.ToString("E2", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        return Round3(expected) == Round3(got);
    }

    private static List<Reference> ReadReferences()
    {
        var lines = File.ReadAllLines(TestData.Path("ibsi-digital-phantom", "reference_values.csv"));
        var header = SplitCsv(lines[0]);
        int Col(string name) => header.IndexOf(name) is var i and >= 0 ? i : throw new InvalidDataException($"reference_values.csv lacks column {name}");
        return lines.Skip(1).Where(l => l.Length > 0).Select(SplitCsv).Select(f => new Reference(
            f[Col("family")], f[Col("feature")], f[Col("feature_ibsi_code")], f[Col("variant")], f[Col("aggregation")],
            f[Col("aggregation_ibsi_code")], f[Col("value")], f[Col("tolerance")])).ToList();
    }

    private static List<string> SplitCsv(string line)
    {
        var fields = new List<string>();
        var sb = new StringBuilder();
        var quoted = false;
        foreach (var c in line)
        {
            if (c == '"') quoted = !quoted;
            else if (c == ',' && !quoted) { fields.Add(sb.ToString()); sb.Clear(); }
            else sb.Append(c);
        }
        fields.Add(sb.ToString());
        return fields;
    }

    private static void WriteReport(string dir, List<(Reference Ref, double? Got, bool Match)> rows)
    {
        static string Q(string s) => s.Contains(',') || s.Contains('"') ? $"\"{s.Replace("\"", "\"\"")}\"" : s;
        var csv = new StringBuilder("family,feature,ibsi_code,variant,aggregation,aggregation_code,expected,got,got_3sd,match\n");
        foreach (var (r, got, match) in rows)
            csv.AppendLine(string.Join(',', Q(r.Family), Q(r.Feature), r.Code, Q(r.Variant), Q(r.Aggregation), r.AggregationCode, r.Value,
                got?.ToString("R", CultureInfo.InvariantCulture) ?? "", got?.ToString("G3", CultureInfo.InvariantCulture) ?? "", match ? "yes" : "NO"));
        File.WriteAllText(Path.Combine(dir, "ibsi-digital-phantom-conformance.csv"), csv.ToString());

        var md = new StringBuilder();
        var matched = rows.Count(x => x.Match);
        md.AppendLine("# IBSI digital phantom conformance").AppendLine();
        md.AppendLine($"{matched} of {rows.Count} reference values match after rounding to 3 significant digits.").AppendLine();
        md.AppendLine("| family | values | matching |").AppendLine("| --- | ---: | ---: |");
        foreach (var g in rows.GroupBy(x => x.Ref.Family))
            md.AppendLine($"| {g.Key} | {g.Count()} | {g.Count(x => x.Match)} |");
        md.AppendLine().AppendLine("## Misses").AppendLine();
        var misses = rows.Where(x => !x.Match).ToList();
        if (misses.Count == 0) md.AppendLine("None.");
        else
        {
            md.AppendLine("| feature | code | aggregation | expected | got |").AppendLine("| --- | --- | --- | ---: | ---: |");
            foreach (var (r, got, _) in misses)
                md.AppendLine($"| {r.Feature} | {r.Code} | {r.Aggregation} {r.AggregationCode} | {r.Value} | {got?.ToString("G6", CultureInfo.InvariantCulture) ?? "not computed"} |");
        }
        File.WriteAllText(Path.Combine(dir, "ibsi-digital-phantom-conformance.md"), md.ToString());
    }
}
