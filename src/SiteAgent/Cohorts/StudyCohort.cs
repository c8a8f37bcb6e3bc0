using System.Globalization;
using System.Text.Json;
using FedRad.Learning.Data;
using FedRad.Protocol.V1;
using FedRad.Statistics.Data;
using FedRad.Statistics.Protocol;
using FedRad.Statistics.Site;

namespace FedRad.SiteAgent.Cohorts;

/// <summary>A study's cohort at this site: its table after the inclusion filters, and how many patients they left out.</summary>
public sealed record StudyTable(SiteTable Table, int Excluded);

/// <summary>
/// The study's cohort as every task of the study sees it, built at the site before anything is
/// computed: the site's table (cohort.csv, or the table joined from its images), then the
/// study's inclusion filters (cohort.inclusion), then the site's own ComBat adjustment when the
/// study harmonises. Nothing here leaves the site; the number of excluded patients is a count
/// the site may report.
/// </summary>
public static class StudyCohort
{
    /// <summary>Reads the table at <paramref name="path"/> and applies the task's inclusion filters.</summary>
    public static StudyTable Filtered(string path, SiteTask task, string filterSource)
    {
        SiteTable table;
        try { table = CsvTable.Read(path); }
        catch (StatisticsInputException e) { throw new CohortFormatException(e.Message); }
        if (task.Inclusion.Count == 0) return new StudyTable(table, 0);
        foreach (var f in task.Inclusion)
            if (!table.HasColumn(f.Column))
                throw new CohortFormatException($"{filterSource}: the study's inclusion filter names column '{f.Column}', which this site does not have");
        var keep = new List<int>();
        for (var i = 0; i < table.RowCount; i++)
            if (task.Inclusion.All(f => Passes(table, f, i))) keep.Add(i);
        return new StudyTable(Rows(table, keep), table.RowCount - keep.Count);
    }

    /// <summary>
    /// The rows a study's preparation is fitted on (eligibility, ComBat, feature selection): the training rows, the
    /// patients the table's optional <see cref="HoldOut.Column"/> column does not hold out; a bad value is refused naming
    /// the file, line and column.
    /// </summary>
    public static SiteTable Training(SiteTable table)
    {
        if (!table.HasColumn(HoldOut.Column)) return table;
        var split = table.Text(HoldOut.Column);
        var heldOut = Enumerable.Range(0, table.RowCount).Select(i => HoldOut.Parse(split[i], table.Source, table.LineOf(i))).ToList();
        return heldOut.Any(h => h) ? Rows(table, HoldOut.TrainingRows(heldOut)) : table;
    }

    private static SiteTable Rows(SiteTable table, IReadOnlyList<int> rows) =>
        new(table.Source, table.Columns, rows.Select(i => table.Columns.Select(c => table.Text(c)[i]).ToArray()).ToList(), rows.Select(table.LineOf).ToList());

    /// <summary>
    /// Whether row <paramref name="i"/> passes the filter. equals / in compare the text (or the number, when both are
    /// numbers: "1" equals "1.0"); min / max are inclusive; a missing value passes no filter.
    /// </summary>
    private static bool Passes(SiteTable table, InclusionFilter f, int i)
    {
        if (table.IsMissing(f.Column, i)) return false;
        var text = table.Text(f.Column)[i].Trim();
        if (f.HasEquals_) return Same(text, f.Equals_);
        if (f.In.Count > 0) return f.In.Any(v => Same(text, v));
        var value = table.Values(f.Column)[i];
        if (double.IsNaN(value))
            throw new CohortFormatException($"{table.Source}: line {table.LineOf(i)}, column '{f.Column}': '{text}' is not a number (the study filters it with min/max)");
        return (!f.HasMin || value >= f.Min) && (!f.HasMax || value <= f.Max);
    }

    private static bool Same(string cell, string wanted)
    {
        if (cell == wanted.Trim()) return true;
        return double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out var a)
            && double.TryParse(wanted, NumberStyles.Float, CultureInfo.InvariantCulture, out var b) && a == b;
    }

    /// <summary>The site's own ComBat parameters from a task ("" : none).</summary>
    public static ComBatAdjustment? Adjustment(SiteTask task)
    {
        if (task.Harmonisation.Length == 0) return null;
        try
        {
            var a = JsonSerializer.Deserialize<ComBatAdjustment>(task.Harmonisation, ProtocolJson.Options) ?? throw new JsonException("empty");
            if (a.Batches.Count != 1) throw new JsonException($"it holds {a.Batches.Count} batches, a site's own adjustment holds one");
            return a;
        }
        catch (JsonException e) { throw new InvalidDataException($"the task's harmonisation is not this site's ComBat adjustment: {e.Message}"); }
    }

    /// <summary>The table with the site's ComBat adjustment applied to the features it lists (the site is its only batch).</summary>
    public static SiteTable Harmonised(SiteTable table, ComBatAdjustment adjustment)
    {
        try { return new StatisticsSite(adjustment.Batches[0].Batch, table, new SiteOptions { MinimumCount = 1 }).Harmonised(adjustment); }
        catch (SiteRefusedException e) { throw new CohortFormatException(e.Refusal.Reason); }
    }

    /// <summary>
    /// The cohort a model task trains or evaluates on: the filtered (and harmonised) table's features and label.
    /// Without filters or harmonisation, the plain file.
    /// </summary>
    public static CohortTable ForModel(string path, SiteTask task, string filterSource, out int excluded)
    {
        excluded = 0;
        var adjustment = Adjustment(task);
        if (task.Inclusion.Count == 0 && adjustment is null) return CohortTable.Load(path, task.FeatureNames, task.LabelColumn);
        var (table, left) = Filtered(path, task, filterSource);
        excluded = left;
        if (table.RowCount == 0) throw new CohortFormatException($"{filterSource}: the study's inclusion filters leave no patient at this site ({left} excluded)");
        if (adjustment is not null) table = Harmonised(table, adjustment);
        var rows = Enumerable.Range(0, table.RowCount).Select(i => (table.LineOf(i), table.Columns.Select(c => table.Text(c)[i]).ToArray()));
        return CohortTable.FromCells(table.Source, table.Columns, rows, task.FeatureNames, task.LabelColumn);
    }
}
