using System.Globalization;

namespace FedRad.Learning.Data;

/// <summary>Thrown when a site's cohort table cannot be used; the message names the file, row and column.</summary>
public sealed class CohortFormatException(string message) : Exception(message);

/// <summary>
/// A site's local cohort: one row per patient, numeric feature columns and a binary label.
/// Loaded from a CSV with a header row; a non-numeric column named <c>id</c> is ignored.
/// It never leaves the site: only models trained on it and aggregates over it do.
/// </summary>
public sealed class CohortTable
{
    public string Source { get; }
    public IReadOnlyList<string> FeatureNames { get; }
    /// <summary>Row-major features: X[row][feature].</summary>
    public double[][] X { get; }
    public int[] Labels { get; }
    /// <summary>Per row: held out of training (optional column <see cref="HoldOut.Column"/> = test; all false without it).</summary>
    public bool[] HeldOut { get; }
    public int Count => Labels.Length;
    public int Positives => Labels.Count(l => l == 1);

    private CohortTable(string source, IReadOnlyList<string> featureNames, double[][] x, int[] labels, bool[] heldOut)
    {
        Source = source; FeatureNames = featureNames; X = x; Labels = labels; HeldOut = heldOut;
    }

    /// <summary>The given rows, in that order.</summary>
    public CohortTable Rows(IReadOnlyList<int> rows) =>
        new(Source, FeatureNames, rows.Select(i => X[i]).ToArray(), rows.Select(i => Labels[i]).ToArray(), rows.Select(i => HeldOut[i]).ToArray());

    /// <summary>Reads <paramref name="path"/> keeping only <paramref name="features"/> (in that order) and the label column.</summary>
    public static CohortTable Load(string path, IReadOnlyList<string> features, string labelColumn)
    {
        if (!File.Exists(path)) throw new CohortFormatException($"{path}: cohort file not found");
        using var reader = new StreamReader(path);
        var header = reader.ReadLine() ?? throw new CohortFormatException($"{path}: file is empty (expected a header row)");
        var columns = header.Split(',').Select(c => c.Trim()).ToArray();
        int ColumnOf(string name)
        {
            var i = Array.IndexOf(columns, name);
            if (i < 0) throw new CohortFormatException($"{path}: column '{name}' not found in header ({string.Join(", ", columns)})");
            return i;
        }
        var featureIdx = features.Select(ColumnOf).ToArray();
        var labelIdx = ColumnOf(labelColumn);
        var splitIdx = Array.IndexOf(columns, HoldOut.Column);

        var rows = new List<double[]>();
        var labels = new List<int>();
        var heldOut = new List<bool>();
        var line = 1;
        for (var text = reader.ReadLine(); text is not null; text = reader.ReadLine())
        {
            line++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            var cells = text.Split(',');
            if (cells.Length != columns.Length)
                throw new CohortFormatException($"{path}: line {line} has {cells.Length} fields, the header has {columns.Length}");
            var row = new double[featureIdx.Length];
            for (var f = 0; f < featureIdx.Length; f++)
                row[f] = ParseNumber(cells[featureIdx[f]], path, line, features[f]);
            var label = ParseNumber(cells[labelIdx], path, line, labelColumn);
            if (label != 0 && label != 1)
                throw new CohortFormatException($"{path}: line {line}, column '{labelColumn}': label must be 0 or 1, got '{cells[labelIdx].Trim()}'");
            rows.Add(row);
            labels.Add((int)label);
            heldOut.Add(splitIdx >= 0 && HoldOut.Parse(cells[splitIdx], path, line));
        }
        if (rows.Count == 0) throw new CohortFormatException($"{path}: no data rows");
        return new CohortTable(path, features.ToList(), rows.ToArray(), labels.ToArray(), heldOut.ToArray());
    }

    private static double ParseNumber(string cell, string path, int line, string column)
    {
        var s = cell.Trim();
        if (s.Length == 0 || s.Equals("NA", StringComparison.OrdinalIgnoreCase) || s.Equals("NaN", StringComparison.OrdinalIgnoreCase))
            throw new CohortFormatException($"{path}: line {line}, column '{column}': missing value");
        if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || !double.IsFinite(v))
            throw new CohortFormatException($"{path}: line {line}, column '{column}': '{s}' is not a finite number");
        return v;
    }
}
