using System.Text;
using FedRad.Statistics.Coordinator.Validation;

namespace FedRad.Reports;

/// <summary>
/// The report's tables as CSV (comma-separated, header row, numbers in full round-trip precision,
/// empty cell = not available), one file per table, next to report.html.
/// </summary>
internal static class CsvTables
{
    public static IReadOnlyDictionary<string, string> For(ValidationResults r)
    {
        var files = new Dictionary<string, string>
        {
            ["cohort.csv"] = Table(["site", "included", "patients", r.Model.IsSurvival ? "events" : "positives", "note"],
                r.Cohort.Select(c => Row(c.Site, c.Included ? "yes" : "no", c.Patients, c.Cases, c.Note))),
            ["discrimination.csv"] = Table(["scope", "site", "measure", "value", "ci_low", "ci_high", "ci_method", "note"],
                [
                    Row("pooled", "", r.Discrimination.Measure, r.Discrimination.Pooled.Value, r.Discrimination.Pooled.CiLow, r.Discrimination.Pooled.CiHigh, r.Discrimination.CiMethod, null),
                    .. r.Discrimination.PerSite.Select(s => Row("site", s.Site, r.Discrimination.Measure, s.Value?.Value, s.Value?.CiLow, s.Value?.CiHigh, r.Discrimination.CiMethod, s.Note)),
                    .. r.LeaveOneSiteOut.Select(f => Row("leave-one-site-out", f.Site, r.Discrimination.Measure, f.Metric?.Value, f.Metric?.CiLow, f.Metric?.CiHigh, r.Discrimination.CiMethod, f.Note)),
                ]),
            ["coefficients.csv"] = Table(["term", "estimate", "std_error", "ci_low", "ci_high", "p"],
                r.Coefficients.Select(c => Row(c.Term, c.Estimate, c.StdError, c.CiLow, c.CiHigh, c.P))),
            ["tripod.csv"] = Table(["item", "topic", "status", "where"], r.Tripod.Select(t => Row(t.Item, t.Topic, t.Status, t.Where))),
        };
        if (r.LeaveOneSiteOut.Count > 0)
            files["leave_one_site_out.csv"] = Table(["site", "measure", "value", "ci_low", "ci_high", "brier", "calibration_intercept", "calibration_slope", "note"],
                r.LeaveOneSiteOut.Select(f => Row(f.Site, r.Discrimination.Measure, f.Metric?.Value, f.Metric?.CiLow, f.Metric?.CiHigh, f.Brier, f.CalibrationIntercept, f.CalibrationSlope, f.Note)));
        if (r.Discrimination.PooledRoc.Count > 0 || r.Discrimination.SiteRoc.Count > 0)
            files["roc.csv"] = Table(["curve", "threshold", "sensitivity", "specificity"],
                Roc("pooled", r.Discrimination.PooledRoc).Concat(r.Discrimination.SiteRoc.SelectMany(s => Roc(s.Key, s.Value))));
        if (r.Calibration is { } cal)
        {
            // A FedAvg study's report has the grouped curve only (no Brier, intercept or slope): no file of blanks.
            if (cal.Brier is not null || cal.Intercept is not null || cal.Slope is not null)
                files["calibration.csv"] = Table(["quantity", "value"],
                    [Row("brier", cal.Brier), Row("calibration_intercept", cal.Intercept), Row("calibration_slope", cal.Slope)]);
            if (cal.Curve is { } curve)
                files["calibration_groups.csv"] = Table(["scope", "groups", "group", "score_low", "score_high", "patients", "positives", "mean_predicted", "observed", "observed_ci_low", "observed_ci_high"],
                    Groups("pooled", curve.Groups, curve.Pooled).Concat(curve.PerSite.SelectMany(s => Groups(s.Key, curve.Groups, s.Value))));
        }
        if (r.KaplanMeier is { } km)
        {
            files["kaplan_meier.csv"] = Table(["group", "label", "score_low", "score_high", "time", "at_risk", "events", "survival", "std_err", "ci_low", "ci_high"],
                km.Curves.SelectMany(c => c.Steps.Select(s => Row(c.Group, c.Label, c.ScoreLow, c.ScoreHigh, s.Time, s.AtRisk, s.Events, s.Survival, s.StdErr, s.Lower, s.Upper))));
            files["kaplan_meier_at_risk.csv"] = Table(["group", "label", "time", "at_risk"],
                km.Curves.SelectMany(c => km.RiskTableTimes.Select((t, k) => Row(c.Group, c.Label, t, km.RiskTable[c.Group - 1][k]))));
            if (km.LogRank is { } lr)
                files["log_rank.csv"] = Table(["group", "label", "observed", "expected", "chi_square", "df", "p"],
                    km.Curves.Select(c => Row(c.Group, c.Label, lr.Observed[c.Group - 1], lr.Expected[c.Group - 1], lr.ChiSquare, lr.DegreesOfFreedom, lr.P)));
        }
        if (r.FeatureDistributions.Count > 0)
            files["feature_distributions.csv"] = Table(["feature", "site", "stage", "cell", "low", "high", "patients"],
                r.FeatureDistributions.SelectMany(h => h.Sites.SelectMany(s =>
                    new[] { ("before", s.Before), ("after", s.After) }.Where(x => x.Item2 is not null).SelectMany(x => x.Item2!.Select((count, cell) =>
                        // cell 0: below the first edge; last cell: at or above the last edge; null count: suppressed
                        Row(h.Feature, s.Site, x.Item1, cell, cell == 0 ? null : h.Edges[cell - 1], cell == h.Edges.Count ? null : h.Edges[cell], count is null ? "suppressed" : count.Value))))));
        return files;
    }

    private static IEnumerable<string> Roc(string curve, IReadOnlyList<RocPoint> points) =>
        points.Select(p => Row(curve, p.Threshold, p.Sensitivity, p.Specificity));

    private static IEnumerable<string> Groups(string scope, int groups, IReadOnlyList<CalibrationGroup> rows) =>
        rows.Select(g => Row(scope, groups, g.Group, g.ScoreLow, g.ScoreHigh, g.Count, g.Positives, g.MeanPredicted, g.Observed, g.ObservedCiLow, g.ObservedCiHigh));

    private static string Table(IEnumerable<string> header, IEnumerable<string> rows)
    {
        var s = new StringBuilder();
        s.Append(string.Join(",", header.Select(Cell))).Append('\n');
        foreach (var row in rows) s.Append(row).Append('\n');
        return s.ToString();
    }

    private static string Row(params object?[] cells) => string.Join(",", cells.Select(c => c switch
    {
        null => "",
        double d => Format.R(d),
        IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        _ => Cell(c.ToString()!),
    }));

    /// <summary>Quotes a text cell when it holds a comma, quote or line break (RFC 4180).</summary>
    private static string Cell(string text) =>
        text.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + text.Replace("\"", "\"\"") + "\"" : text;
}
