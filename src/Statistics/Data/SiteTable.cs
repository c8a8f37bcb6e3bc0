using System.Globalization;

namespace FedRad.Statistics.Data;

/// <summary>
/// One site's private table: named columns of cells, kept both as text (to write them back
/// unchanged) and as numbers (NaN where a cell is missing or not a number). It never leaves the
/// site; only aggregates computed from it do.
/// </summary>
public sealed class SiteTable
{
    private readonly Dictionary<string, int> _index;
    private readonly string[][] _text;
    private readonly double[][] _values;
    private readonly int[] _lines;

    /// <param name="source">Where the table came from (a file path), used in messages.</param>
    /// <param name="columns">Column names, unique.</param>
    /// <param name="cells">Rows of text cells, one per column.</param>
    /// <param name="lines">Line number of each row in the source (1-based), for messages.</param>
    public SiteTable(string source, IReadOnlyList<string> columns, IReadOnlyList<string[]> cells, IReadOnlyList<int>? lines = null)
    {
        Source = source;
        Columns = columns.ToArray();
        _index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var j = 0; j < Columns.Count; j++)
            if (!_index.TryAdd(Columns[j], j))
                throw new StatisticsInputException($"{source}: column '{Columns[j]}' appears more than once in the header");
        RowCount = cells.Count;
        _lines = lines?.ToArray() ?? Enumerable.Range(2, cells.Count).ToArray();
        _text = new string[Columns.Count][];
        _values = new double[Columns.Count][];
        for (var j = 0; j < Columns.Count; j++)
        {
            _text[j] = new string[RowCount];
            _values[j] = new double[RowCount];
        }
        for (var i = 0; i < RowCount; i++)
        {
            if (cells[i].Length != Columns.Count)
                throw new StatisticsInputException($"{source}: line {_lines[i]} has {cells[i].Length} fields, the header has {Columns.Count}");
            for (var j = 0; j < Columns.Count; j++)
            {
                var cell = cells[i][j];
                _text[j][i] = cell;
                _values[j][i] = ParseNumber(cell);
            }
        }
    }

    public string Source { get; }
    public IReadOnlyList<string> Columns { get; }
    public int RowCount { get; }

    public bool HasColumn(string name) => _index.ContainsKey(name);

    /// <summary>Source line of a row (1-based; the header is line 1).</summary>
    public int LineOf(int row) => _lines[row];

    public static bool IsMissingText(string cell)
    {
        var t = cell.Trim();
        return t.Length == 0 || t.Equals("NA", StringComparison.OrdinalIgnoreCase) || t.Equals("NaN", StringComparison.OrdinalIgnoreCase);
    }

    public bool IsMissing(string column, int row) => IsMissingText(_text[Index(column)][row]);

    /// <summary>Text cells of a column.</summary>
    public IReadOnlyList<string> Text(string column) => _text[Index(column)];

    /// <summary>Numeric values of a column (NaN where missing or not a number).</summary>
    public IReadOnlyList<double> Values(string column) => _values[Index(column)];

    /// <summary>First row whose non-missing cell is not a number, or -1 when the column is numeric.</summary>
    public int FirstNonNumericRow(string column)
    {
        var j = Index(column);
        for (var i = 0; i < RowCount; i++)
            if (double.IsNaN(_values[j][i]) && !IsMissingText(_text[j][i])) return i;
        return -1;
    }

    public bool IsNumeric(string column) => FirstNonNumericRow(column) < 0;

    /// <summary>The same table with some columns' values replaced (text rewritten round-trip exact).</summary>
    public SiteTable WithValues(IReadOnlyDictionary<string, double[]> replaced)
    {
        var cells = new List<string[]>(RowCount);
        for (var i = 0; i < RowCount; i++)
        {
            var row = new string[Columns.Count];
            for (var j = 0; j < Columns.Count; j++)
                row[j] = replaced.TryGetValue(Columns[j], out var v) ? v[i].ToString("R", CultureInfo.InvariantCulture) : _text[j][i];
            cells.Add(row);
        }
        return new SiteTable(Source, Columns, cells, _lines);
    }

    private int Index(string column) =>
        _index.TryGetValue(column, out var j) ? j : throw new StatisticsInputException($"{Source}: no column named '{column}'");

    private static double ParseNumber(string cell)
    {
        if (IsMissingText(cell)) return double.NaN;
        return double.TryParse(cell.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) ? v : double.NaN;
    }
}
