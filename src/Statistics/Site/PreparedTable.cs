using FedRad.Statistics.Data;
using FedRad.Statistics.Protocol;

namespace FedRad.Statistics.Site;

/// <summary>
/// The site's table as a request sees it: the ComBat adjustment applied to the features it
/// lists, and model scores as extra columns. Every column it hands out is complete and numeric;
/// anything else is refused with the column, line and cause.
/// </summary>
internal sealed class PreparedTable
{
    private readonly string _site;
    private readonly SiteTable _table;
    private readonly DataSpec _spec;
    private readonly Dictionary<string, double[]> _cache = new(StringComparer.Ordinal);

    public PreparedTable(string site, SiteTable table, DataSpec spec)
    {
        _site = site;
        _table = table;
        _spec = spec;
    }

    public int RowCount => _table.RowCount;

    public double[] Column(string name)
    {
        if (_cache.TryGetValue(name, out var cached)) return cached;
        double[] values;
        var score = _spec.Scores.FirstOrDefault(s => s.Name == name);
        if (score is not null) values = Score(score);
        else if (_spec.Harmonisation is { } h && h.Features.Contains(name)) values = Harmonised(h, h.Features.ToList().IndexOf(name));
        else values = Raw(name);
        _cache[name] = values;
        return values;
    }

    /// <summary>A complete numeric column as stored, refused when absent, not numeric or incomplete.</summary>
    public double[] Raw(string name)
    {
        if (!_table.HasColumn(name)) throw Refuse(RefusalCause.InvalidData, $"{_table.Source} has no column '{name}'");
        var bad = _table.FirstNonNumericRow(name);
        if (bad >= 0)
            throw Refuse(RefusalCause.InvalidData, $"{_table.Source} line {_table.LineOf(bad)}: column '{name}' is not a number ('{_table.Text(name)[bad]}')");
        var values = _table.Values(name);
        var missing = 0;
        var first = -1;
        for (var i = 0; i < values.Count; i++)
            if (double.IsNaN(values[i])) { missing++; if (first < 0) first = i; }
        if (missing > 0)
            throw Refuse(RefusalCause.InvalidData, $"{_table.Source}: column '{name}' has {missing} missing value(s), first at line {_table.LineOf(first)}");
        return values.ToArray();
    }

    /// <summary>A 0/1 column.</summary>
    public int[] Binary(string name)
    {
        var v = Column(name);
        var y = new int[v.Length];
        for (var i = 0; i < v.Length; i++)
        {
            if (v[i] != 0 && v[i] != 1)
                throw Refuse(RefusalCause.InvalidData, $"{_table.Source} line {_table.LineOf(i)}: '{name}' is {v[i]}, expected 0 or 1");
            y[i] = (int)v[i];
        }
        return y;
    }

    /// <summary>Follow-up times (finite, not negative).</summary>
    public double[] Times(string name)
    {
        var t = Column(name);
        for (var i = 0; i < t.Length; i++)
            if (t[i] < 0) throw Refuse(RefusalCause.InvalidData, $"{_table.Source} line {_table.LineOf(i)}: time '{name}' is negative ({t[i]})");
        return t;
    }

    /// <summary>Batch label of every row: the site's name, or the text of the batch column.</summary>
    public string[] Batches(string? column)
    {
        if (column is null) return Enumerable.Repeat(_site, RowCount).ToArray();
        if (!_table.HasColumn(column)) throw Refuse(RefusalCause.InvalidData, $"{_table.Source} has no batch column '{column}'");
        var text = _table.Text(column);
        var labels = new string[RowCount];
        for (var i = 0; i < RowCount; i++)
        {
            if (SiteTable.IsMissingText(text[i]))
                throw Refuse(RefusalCause.InvalidData, $"{_table.Source} line {_table.LineOf(i)}: batch '{column}' is missing");
            labels[i] = text[i].Trim();
        }
        return labels;
    }

    public SiteRefusedException Refuse(RefusalCause cause, string reason) => new(new SiteRefusal(_site, cause, reason));

    private double[] Score(LinearPredictor p)
    {
        if (p.Features.Count != p.Coefficients.Count)
            throw Refuse(RefusalCause.InvalidData, $"score '{p.Name}' has {p.Features.Count} features but {p.Coefficients.Count} coefficients");
        var s = Enumerable.Repeat(p.Intercept, RowCount).ToArray();
        for (var j = 0; j < p.Features.Count; j++)
        {
            var x = Column(p.Features[j]);
            for (var i = 0; i < RowCount; i++) s[i] += p.Coefficients[j] * x[i];
        }
        return s;
    }

    private double[] Harmonised(ComBatAdjustment h, int g)
    {
        var x = Raw(h.Features[g]);
        var batches = Batches(h.BatchColumn);
        var covariates = h.Covariates.Select(Raw).ToArray();
        var byBatch = h.Batches.ToDictionary(b => b.Batch, StringComparer.Ordinal);
        var sd = h.PooledSd[g];
        var adjusted = new double[RowCount];
        for (var i = 0; i < RowCount; i++)
        {
            if (!byBatch.TryGetValue(batches[i], out var b))
                throw Refuse(RefusalCause.InvalidData, $"{_table.Source} line {_table.LineOf(i)}: batch '{batches[i]}' was not part of the harmonisation");
            var standMean = h.GrandMean[g];
            for (var k = 0; k < covariates.Length; k++) standMean += covariates[k][i] * h.CovariateCoefficients[k][g];
            var s = (x[i] - standMean) / sd;
            adjusted[i] = (s - b.GammaStar[g]) / Math.Sqrt(b.DeltaStar[g]) * sd + standMean;
        }
        return adjusted;
    }
}
