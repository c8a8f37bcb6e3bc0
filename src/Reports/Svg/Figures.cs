using FedRad.Statistics.Coordinator.Harmonisation;
using FedRad.Statistics.Coordinator.Validation;

namespace FedRad.Reports.Svg;

/// <summary>The report's figures, each as one inline SVG. Sites keep one colour across figures
/// (their order in the cohort).</summary>
internal static class Figures
{
    public static string Roc(DiscriminationResults d, IReadOnlyList<string> sites)
    {
        var plot = new SvgPlot("ROC curves, pooled and per site", 520, 500, (0, 1), (0, 1), bottom: 50);
        plot.Axes("1 - specificity", "sensitivity");
        plot.Segment(0, 0, 1, 1, "#aaa", 1, "4 3");
        var legend = new List<(string, string, string?)>();
        foreach (var (site, i) in sites.Select((s, i) => (s, i)))
        {
            if (!d.SiteRoc.TryGetValue(site, out var points) || points.Count == 0) continue;
            var (colour, dash) = SvgPlot.Series(i);
            plot.Line(Curve(points), colour, 1.4, dash);
            var auc = d.PerSite.FirstOrDefault(s => s.Site == site)?.Value;
            legend.Add(($"{site}  {Format.Estimate(auc)}", colour, dash));
        }
        if (d.PooledRoc.Count > 0)
        {
            plot.Line(Curve(d.PooledRoc), "#000", 2.6);
            legend.Insert(0, ($"pooled  {Format.Estimate(d.Pooled)}", "#000", null));
        }
        plot.Legend(plot.Right - 250, plot.Bottom - 16 * legend.Count - 16, legend);
        return plot.ToSvg();
    }

    /// <summary>ROC points from the highest threshold down, between (0, 0) and (1, 1).</summary>
    private static IEnumerable<(double, double)> Curve(IReadOnlyList<RocPoint> points) =>
        new[] { (0.0, 0.0) }.Concat(points.OrderByDescending(p => p.Threshold).Select(p => (1 - p.Specificity, p.Sensitivity))).Append((1.0, 1.0));

    public static string Calibration(CalibrationCurveResult c)
    {
        var max = Math.Min(1, Math.Max(c.Pooled.Max(g => Math.Max(g.MeanPredicted, g.ObservedCiHigh)), 0.1));
        var top = Math.Ceiling(max * 10) / 10;
        var plot = new SvgPlot($"Calibration by pooled risk group ({c.Groups} groups)", 520, 500, (0, top), (0, top));
        plot.Axes("mean predicted risk", "observed proportion (95% CI)");
        plot.Segment(0, 0, top, top, "#aaa", 1, "4 3");
        foreach (var g in c.Pooled)
        {
            plot.Segment(g.MeanPredicted, g.ObservedCiLow, g.MeanPredicted, g.ObservedCiHigh, "#0072B2", 1.2);
            plot.Point(g.MeanPredicted, g.Observed, "#0072B2", 4);
        }
        plot.Line(c.Pooled.Select(g => (g.MeanPredicted, g.Observed)), "#0072B2", 1, "2 2");
        plot.Legend(plot.Left + 10, plot.Top + 10, [("pooled risk group", "#0072B2", null), ("perfect calibration", "#aaa", "4 3")]);
        return plot.ToSvg();
    }

    public static string KaplanMeier(KaplanMeierResult km)
    {
        var end = Math.Max(km.Curves.SelectMany(c => c.Steps).Select(s => s.Time).DefaultIfEmpty(1).Max(), km.RiskTableTimes.DefaultIfEmpty(0).Max());
        var rows = km.Curves.Count;
        var plot = new SvgPlot("Kaplan-Meier curves by pooled risk group" + (km.LogRank is { } lr ? $" (log-rank p {Format.P(lr.P)})" : ""),
            620, 470 + rows * 18, (0, end), (0, 1), left: 110, bottom: 80 + rows * 18);
        plot.Axes("time", "survival probability", xTicks: km.RiskTableTimes);
        var legend = new List<(string, string, string?)>();
        foreach (var curve in km.Curves)
        {
            var (colour, _) = SvgPlot.Series(curve.Group - 1);
            var line = new List<(double, double)> { (0, 1) };
            var band = new List<(double X, double Lo, double Hi)> { (0, 1, 1) };
            foreach (var s in curve.Steps)
            {
                line.Add((s.Time, line[^1].Item2));
                line.Add((s.Time, s.Survival));
                band.Add((s.Time, band[^1].Lo, band[^1].Hi));
                band.Add((s.Time, s.Lower ?? 0, s.Upper ?? band[^1].Hi));
            }
            plot.Band([.. band.Select(b => (b.X, b.Hi)), .. band.AsEnumerable().Reverse().Select(b => (b.X, b.Lo))], colour, 0.12);
            plot.Line(line, colour, 2);
            legend.Add(($"{curve.Label} risk (n {curve.Count}, {curve.Events} events)", colour, null));
        }
        plot.Legend(plot.Right - 290, plot.Top + 8, legend);
        // number at risk under the axis
        var y0 = plot.Bottom + 58;
        plot.Text(plot.Left - 100, y0, "number at risk", "start", 11, "#222", "bold");
        foreach (var curve in km.Curves)
        {
            var y = y0 + curve.Group * 18;
            var (colour, _) = SvgPlot.Series(curve.Group - 1);
            plot.Text(plot.Left - 100, y, curve.Label, "start", 11, colour);
            for (var k = 0; k < km.RiskTableTimes.Count; k++)
                plot.Text(plot.X(km.RiskTableTimes[k]), y, km.RiskTable[curve.Group - 1][k].ToString(), "middle", 11);
        }
        return plot.ToSvg();
    }

    /// <summary>Per-site (apparent) and leave-one-site-out discrimination with CIs, and the pooled value.</summary>
    public static string Forest(ValidationResults r)
    {
        var d = r.Discrimination;
        var rows = new List<(string Label, Metric? Value, string Shape, bool Header)> { ($"pooled, all sites", d.Pooled, "diamond", false) };
        rows.Add(("model fitted on all sites, by site:", null, "", true));
        rows.AddRange(d.PerSite.Select(s => (s.Site, s.Value, "square", false)));
        if (r.LeaveOneSiteOut.Count > 0)
        {
            rows.Add(("leave-one-site-out (fitted without the site):", null, "", true));
            rows.AddRange(r.LeaveOneSiteOut.Select(f => (f.Site, f.Metric, "circle", false)));
        }
        var values = rows.Where(x => x.Value is not null).SelectMany(x => new[] { x.Value!.CiLow ?? x.Value.Value, x.Value.CiHigh ?? x.Value.Value }).Append(0.5).ToArray();
        var lo = Math.Floor(values.Min() * 10) / 10;
        var hi = Math.Min(1, Math.Ceiling(values.Max() * 10) / 10);
        const double rowHeight = 22;
        var plot = new SvgPlot($"{d.Measure} by site: apparent and leave-one-site-out (95% CI)", 760, 90 + rows.Count * rowHeight, (lo, hi), (0, rows.Count),
            left: 290, right: 170, top: 34, bottom: 50);
        plot.Axes(d.Measure, "", xTicks: SvgPlot.Ticks(lo, hi), yTicks: []);
        plot.Segment(0.5, 0, 0.5, rows.Count, "#aaa", 1, "4 3");
        plot.Segment(d.Pooled.Value, 0, d.Pooled.Value, rows.Count, "#000", 0.8, "2 2");
        for (var i = 0; i < rows.Count; i++)
        {
            var y = rows.Count - i - 0.5;
            var (label, value, shape, header) = rows[i];
            plot.Text(header || shape == "diamond" ? 12 : 28, plot.Y(y) + 4, label, "start", 12, "#222", header ? "bold" : "normal");
            if (header) continue;
            if (value is null)
            {
                plot.Text(plot.Right + 8, plot.Y(y) + 4, "not available", "start", 11, "#888");
                continue;
            }
            var colour = shape == "diamond" ? "#000" : shape == "square" ? "#0072B2" : "#D55E00";
            if (value.CiLow is { } l && value.CiHigh is { } h) plot.Segment(l, y, h, y, colour, 1.5);
            plot.Point(value.Value, y, colour, 4, shape);
            plot.Text(plot.Right + 8, plot.Y(y) + 4, Format.Estimate(value), "start", 11);
        }
        return plot.ToSvg();
    }

    /// <summary>One feature: per-site densities on the common grid, before and after harmonisation side by side.</summary>
    public static string Distribution(FeatureHistogram h, IReadOnlyList<string> sites)
    {
        var edges = h.Edges;
        var width = edges[1] - edges[0];
        double Density(int? count, int n) => count is { } c ? c / (n * width) : double.NaN;
        var stages = h.Sites.Any(s => s.After is not null) ? new[] { "before", "after" } : ["before"];
        var max = h.Sites.SelectMany(s => stages.SelectMany(st => (st == "before" ? s.Before : s.After!).Skip(1).Take(edges.Count - 1)
            .Select(c => Density(c, s.Count)))).Where(double.IsFinite).DefaultIfEmpty(1).Max();
        var panels = stages.Select(stage =>
        {
            var plot = new SvgPlot($"{h.Feature}: {(stage == "before" ? "before harmonisation" : "after harmonisation")}", 380, 250,
                (edges[0], edges[^1]), (0, max * 1.08), left: 52, bottom: 44);
            plot.Axes(h.Feature, "density");
            var legend = new List<(string, string, string?)>();
            foreach (var s in h.Sites)
            {
                var index = Math.Max(0, sites.ToList().IndexOf(s.Site));
                var (colour, dash) = SvgPlot.Series(index);
                var cells = stage == "before" ? s.Before : s.After!;
                var points = new List<(double X, double Y)?>();
                for (var b = 0; b < edges.Count - 1; b++)
                {
                    var y = Density(cells[b + 1], s.Count);
                    if (double.IsNaN(y)) { points.Add(null); continue; }
                    points.Add((edges[b], y));
                    points.Add((edges[b + 1], y));
                }
                plot.Line(points, colour, 1.5, dash);
                legend.Add((s.Site, colour, dash));
            }
            plot.Legend(plot.Right - 70, plot.Top + 6, legend);
            return plot.ToSvg();
        });
        return string.Join("\n", panels);
    }
}
