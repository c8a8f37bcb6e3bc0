using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace FedRad.Reports.Tests;

/// <summary>Reads a written report back as a person (or a spreadsheet) would: HTML tables as
/// text cells, figures as SVG documents, CSV files as rows.</summary>
internal sealed partial class ReportFiles(string directory)
{
    public string Directory { get; } = directory;

    public string Html => File.ReadAllText(Path.Combine(Directory, "report.html"));

    /// <summary>The text of each cell of the HTML table with this id, header row first.</summary>
    public IReadOnlyList<string[]> HtmlTable(string id)
    {
        var table = Regex.Match(Html, $"<table id=\"{id}\">(.*?)</table>", RegexOptions.Singleline);
        Assert.True(table.Success, $"report.html has no table '{id}'");
        return RowPattern().Matches(table.Groups[1].Value).Select(row =>
            CellPattern().Matches(row.Groups[1].Value).Select(c => WebUtility.HtmlDecode(TagPattern().Replace(c.Groups[1].Value, "")).Trim()).ToArray()).ToArray();
    }

    /// <summary>Every inline figure, parsed as an SVG document.</summary>
    public IReadOnlyList<XDocument> Figures() => SvgPattern().Matches(Html)
        .Select(m => XDocument.Parse(m.Value.Replace("<svg ", "<svg xmlns=\"http://www.w3.org/2000/svg\" "))).ToArray();

    public static string Title(XDocument svg) => svg.Root!.Elements().First(e => e.Name.LocalName == "title").Value;

    /// <summary>Rows of a CSV file (RFC 4180 quoting) as column name to text.</summary>
    public IReadOnlyList<Dictionary<string, string>> Csv(string file)
    {
        var lines = File.ReadAllLines(Path.Combine(Directory, file));
        var header = Split(lines[0]);
        return lines.Skip(1).Select(l => header.Zip(Split(l)).ToDictionary(p => p.First, p => p.Second)).ToArray();
    }

    public static double? Number(string cell) => cell.Length == 0 ? null : double.Parse(cell, CultureInfo.InvariantCulture);

    private static string[] Split(string line)
    {
        var cells = new List<string>();
        var cell = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"') { cell.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else cell.Append(c);
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { cells.Add(cell.ToString()); cell.Clear(); }
            else cell.Append(c);
        }
        cells.Add(cell.ToString());
        return cells.ToArray();
    }

    [GeneratedRegex("<tr>(.*?)</tr>", RegexOptions.Singleline)]
    private static partial Regex RowPattern();

    [GeneratedRegex("<t[hd][^>]*>(.*?)</t[hd]>", RegexOptions.Singleline)]
    private static partial Regex CellPattern();

    [GeneratedRegex("<[^>]+>")]
    private static partial Regex TagPattern();

    [GeneratedRegex("<svg .*?</svg>", RegexOptions.Singleline)]
    private static partial Regex SvgPattern();
}
