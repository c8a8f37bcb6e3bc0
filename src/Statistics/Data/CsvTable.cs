using System.Text;

namespace FedRad.Statistics.Data;

/// <summary>Reads and writes site tables as CSV (comma-separated, header row, RFC 4180 quoting).</summary>
public static class CsvTable
{
    public static SiteTable Read(string path)
    {
        if (!File.Exists(path)) throw new StatisticsInputException($"{path}: file not found");
        using var reader = new StreamReader(path, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return Read(reader, path);
    }

    public static SiteTable Read(TextReader reader, string source)
    {
        string[]? header = null;
        var rows = new List<string[]>();
        var lines = new List<int>();
        var lineNo = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNo++;
            var startLine = lineNo;
            // a quoted field may span lines: keep reading until the quotes balance
            while (line.Count(c => c == '"') % 2 == 1)
            {
                var next = reader.ReadLine() ?? throw new StatisticsInputException($"{source}: line {startLine}: unterminated quoted field");
                lineNo++;
                line += "\n" + next;
            }
            if (line.Trim().Length == 0) continue;
            var fields = SplitLine(line, source, startLine);
            if (header is null) header = fields.Select(f => f.Trim()).ToArray();
            else
            {
                rows.Add(fields);
                lines.Add(startLine);
            }
        }
        if (header is null) throw new StatisticsInputException($"{source}: the file is empty (no header row)");
        if (header.Any(h => h.Length == 0)) throw new StatisticsInputException($"{source}: the header has an empty column name");
        return new SiteTable(source, header, rows, lines);
    }

    public static void Write(SiteTable table, string path)
    {
        using var w = new StreamWriter(path, false, new UTF8Encoding(false));
        w.Write(string.Join(',', table.Columns.Select(Quote)));
        w.Write('\n');
        var columns = table.Columns.Select(table.Text).ToArray();
        for (var i = 0; i < table.RowCount; i++)
        {
            for (var j = 0; j < columns.Length; j++)
            {
                if (j > 0) w.Write(',');
                w.Write(Quote(columns[j][i]));
            }
            w.Write('\n');
        }
    }

    private static string Quote(string cell) =>
        cell.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + cell.Replace("\"", "\"\"") + "\"" : cell;

    private static string[] SplitLine(string line, string source, int lineNo)
    {
        var fields = new List<string>();
        var sb = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quoted)
            {
                if (c == '"')
                {
                    if (i + 1 < line.Length && line[i + 1] == '"') { sb.Append('"'); i++; }
                    else quoted = false;
                }
                else sb.Append(c);
            }
            else if (c == '"')
            {
                if (sb.ToString().Trim().Length > 0)
                    throw new StatisticsInputException($"{source}: line {lineNo}, field {fields.Count + 1}: quote inside an unquoted field");
                sb.Clear();
                quoted = true;
            }
            else if (c == ',') { fields.Add(sb.ToString()); sb.Clear(); }
            else if (c != '\r') sb.Append(c);
        }
        fields.Add(sb.ToString());
        return fields.ToArray();
    }
}
