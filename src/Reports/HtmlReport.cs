using System.Text;
using FedRad.Reports.Svg;
using FedRad.Statistics.Coordinator.Harmonisation;
using static FedRad.Reports.Svg.SvgPlot;

namespace FedRad.Reports;

/// <summary>report.html: one self-contained page (inline CSS, inline SVG figures, no script, no
/// external resource), sections in the order a statistician reads them.</summary>
internal static class HtmlReport
{
    public static string Render(ValidationResults r, IReadOnlyCollection<string> csvFiles)
    {
        var sites = r.Cohort.Select(c => c.Site).ToArray();
        var m = r.Model;
        var d = r.Discrimination;
        var h = new StringBuilder();
        h.Append($$"""
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <title>{{Escape($"Validation report: {r.Name}")}}</title>
            <style>
            body { font-family: "DejaVu Sans", Arial, Helvetica, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; line-height: 1.4; padding: 0 1em; }
            h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: 0.2em; margin-top: 2em; }
            table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.92em; }
            th, td { border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
            th { background: #f3f3f3; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
            .meta { color: #555; font-size: 0.92em; } .note { color: #8a4b00; }
            .figure { margin: 1em 0; } .figure svg { max-width: 100%; height: auto; border: 1px solid #eee; margin: 0 0.5em 0.5em 0; }
            pre { background: #f7f7f7; border: 1px solid #ddd; padding: 0.8em; overflow-x: auto; font-size: 0.85em; }
            code { font-size: 0.92em; }
            </style>
            </head>
            <body>
            <h1>Validation report: {{Escape(r.Name)}}</h1>
            <p class="meta" id="design">Multivariable {{Escape(m.Kind)}} model developed on {{r.Cohort.Count(c => c.Included)}} site(s) and {{Escape(Design(r))}}
            Generated {{Escape(r.GeneratedAt.ToString("yyyy-MM-dd HH:mm:ss 'UTC'"))}} by {{Escape(r.Software.Product)}} {{Escape(r.Software.Version)}}.
            Study definition SHA-256: <code id="study-sha256">{{r.Study.Sha256}}</code>.</p>
            <p class="meta">Every number here comes from aggregates the sites sent (counts, sums, model scores binned by interval); no patient row left a site.
            Each table is also in a CSV file next to this page.</p>

            """);

        Section(h, "summary", "Summary");
        Rows(h, ["quantity", "value"],
        [
            ["model", Escape(m.Kind)], ["outcome", Escape(m.Outcome)], ["patients (pooled)", m.Patients.ToString()],
            [m.IsSurvival ? "events (pooled)" : "positive outcomes (pooled)", m.Cases.ToString()],
            ["sites included / named", $"{r.Cohort.Count(c => c.Included)} / {r.Cohort.Count}"],
            [$"pooled {d.Measure} (95% CI)", $"<span id=\"pooled-{Id(d.Measure)}\">{Format.Estimate(d.Pooled)}</span>"],
            .. r.Calibration is { } c && (c.Brier is not null || c.Intercept is not null) ? new[]
            {
                new[] { "Brier score", Format.F3(c.Brier) }, ["calibration intercept (in the large)", Format.F3(c.Intercept)], ["calibration slope", Format.F3(c.Slope)],
            } : [],
            ["penalty", Escape(m.Penalty)], ["harmonisation", r.Harmonisation is { } hs ? Escape($"{hs.Method} by {hs.BatchBy}") : "none"],
        ]);

        Section(h, "cohort", "Cohort");
        Rows(h, ["site", "included", "patients", m.IsSurvival ? "events" : "positive outcomes", "note"],
            r.Cohort.Select(c => new[] { Escape(c.Site), c.Included ? "yes" : "no", Num(c.Patients?.ToString() ?? "–"), Num(c.Cases?.ToString() ?? "–"), Escape(c.Note ?? "") })
                .Append(["pooled", "", Num(m.Patients.ToString()), Num(m.Cases.ToString()), ""]), "cohort");
        Csv(h, csvFiles, "cohort.csv");

        Section(h, "discrimination", $"Discrimination ({d.Measure})");
        h.Append($"<p id=\"pooling\">{Escape(d.Measure)} of the model fitted on all included sites, pooled ({Escape(Pooling(r))}) and within each site; 95% CIs: {Escape(d.CiMethod)}.</p>\n");
        if (d.PooledRoc.Count > 0 || d.SiteRoc.Values.Any(p => p.Count > 0)) Figure(h, Figures.Roc(d, sites));
        Rows(h, ["", d.Measure, "95% CI", "note"],
            d.PerSite.Select(s => new[] { Escape(s.Site), Num(Format.F3(s.Value?.Value)), Ci(s.Value), Escape(s.Note ?? "") })
                .Prepend(["pooled", Num(Format.F3(d.Pooled.Value)), Ci(d.Pooled), ""]), "discrimination");
        Csv(h, csvFiles, "discrimination.csv", "roc.csv");

        if (r.Calibration is { } cal)
        {
            Section(h, "calibration", "Calibration");
            if (cal.Brier is not null || cal.Intercept is not null)
                h.Append($"<p>Brier score {Format.F3(cal.Brier)}; calibration intercept {Format.F3(cal.Intercept)} (ideal 0), slope {Format.F3(cal.Slope)} (ideal 1). " +
                    "These are apparent values on the development data; the leave-one-site-out section gives them on each site left out.</p>\n");
            if (cal.Curve is { } curve)
            {
                h.Append(cal.Grouping is { } grouping
                    ? $"<p>{Escape(grouping)}</p>\n"
                    : $"<p>Patients are grouped by pooled risk group of equal size ({curve.Groups} groups, cut between pooled order statistics); each site counts its own patients in each group.</p>\n");
                Figure(h, Figures.Calibration(curve));
                Rows(h, ["group", "patients", "positive outcomes", "mean predicted", "observed", "observed 95% CI (exact)"],
                    curve.Pooled.Select(g => new[] { g.Group.ToString(), Num(g.Count.ToString()), Num(g.Positives.ToString()), Num(Format.F3(g.MeanPredicted)),
                        Num(Format.F3(g.Observed)), $"[{Format.F3(g.ObservedCiLow)}, {Format.F3(g.ObservedCiHigh)}]" }), "calibration-groups");
            }
            else h.Append("<p class=\"note\">No calibration plot (see the notes).</p>\n");
            Csv(h, csvFiles, "calibration.csv", "calibration_groups.csv");
        }

        if (m.IsSurvival)
        {
            Section(h, "survival", "Survival by risk group");
            if (r.KaplanMeier is { } km)
            {
                h.Append($"<p>Patients grouped by pooled {(km.Curves.Count == 3 ? "tertiles" : km.Curves.Count == 2 ? "halves" : "quantile groups")} of the linear predictor; " +
                    "pooled Kaplan-Meier estimates with log-scale 95% CIs (as survival::survfit)." +
                    (km.LogRank is { } lr ? $" Log-rank test: chi-square {Format.G4(lr.ChiSquare)} on {lr.DegreesOfFreedom} df, p {Format.P(lr.P)}." : "") + "</p>\n");
                Figure(h, Figures.KaplanMeier(km));
                Rows(h, ["risk group", "linear predictor", "patients", "events"],
                    km.Curves.Select(c => new[] { Escape(c.Label), Escape(Range(c.ScoreLow, c.ScoreHigh)), Num(c.Count.ToString()), Num(c.Events.ToString()) }), "km-groups");
            }
            else h.Append("<p class=\"note\">No Kaplan-Meier curves (see the notes).</p>\n");
            Csv(h, csvFiles, "kaplan_meier.csv", "kaplan_meier_at_risk.csv", "log_rank.csv");
        }

        Section(h, "sites", "Per site and leave-one-site-out");
        h.Append("<p>Apparent performance on each site of the model fitted on all sites, and external performance on each site of the model fitted on the other sites only.</p>\n");
        Figure(h, Figures.Forest(r));
        if (r.LeaveOneSiteOut.Count > 0)
            Rows(h, m.IsSurvival ? ["site left out", d.Measure, "95% CI", "note"] : ["site left out", d.Measure, "95% CI", "Brier", "calibration intercept", "calibration slope", "note"],
                r.LeaveOneSiteOut.Select(f => m.IsSurvival
                    ? new[] { Escape(f.Site), Num(Format.F3(f.Metric?.Value)), Ci(f.Metric), Escape(f.Note ?? "") }
                    : [Escape(f.Site), Num(Format.F3(f.Metric?.Value)), Ci(f.Metric), Num(Format.F3(f.Brier)), Num(Format.F3(f.CalibrationIntercept)), Num(Format.F3(f.CalibrationSlope)), Escape(f.Note ?? "")]), "loso");
        else h.Append($"<p class=\"note\" id=\"loso-not-run\">No leave-one-site-out validation{(r.LeaveOneSiteOutNotRun is { } why ? $" ({Escape(why)})" : "")}.</p>\n");
        Csv(h, csvFiles, "leave_one_site_out.csv");

        Section(h, "model", "Model");
        h.Append($"<p>Features ({m.Features.Count}): {Escape(string.Join(", ", m.Features))}. Penalty: {Escape(m.Penalty)}. " +
            (m.IsSurvival ? "Linear predictor: the sum of coefficient × feature (higher: higher hazard)." : "Predicted risk: 1 / (1 + exp(-(intercept + sum of coefficient × feature))).") +
            (r.Harmonisation is not null ? " Harmonised features enter the model after harmonisation." : "") + "</p>\n");
        Rows(h, ["term", "coefficient", "std. error", "95% CI (Wald)", "p"],
            r.Coefficients.Select(c => new[] { Escape(c.Term), Num(Format.G4(c.Estimate)), Num(Format.G4(c.StdError)),
                c.CiLow is { } lo && c.CiHigh is { } hi ? $"[{Format.G4(lo)}, {Format.G4(hi)}]" : "–", Num(Format.P(c.P)) }), "coefficients");
        Csv(h, csvFiles, "coefficients.csv");

        Section(h, "harmonisation", "Harmonisation and feature distributions");
        if (r.Harmonisation is { } harm)
            h.Append($"<p>{Escape(harm.Method)}, batch: {Escape(harm.BatchBy)}; covariates preserved: {Escape(harm.Covariates.Count > 0 ? string.Join(", ", harm.Covariates) : "none")}; " +
                $"adjusted: {Escape(string.Join(", ", harm.Adjusted))}" + (harm.Unadjusted.Count > 0 ? $"; left unadjusted: {Escape(string.Join(", ", harm.Unadjusted))}" : "") + ".</p>\n");
        else h.Append("<p>No harmonisation: the distributions below are of the features as the sites hold them.</p>\n");
        if (r.FeatureDistributions.Count > 0)
        {
            h.Append($"<p>Per-site densities on a common grid ({FeatureDistributions.Bins} equal bins over the wider of the pooled mean ± {FeatureDistributions.Span} SD before and after). Gaps are cells a site suppressed because they held fewer patients than its minimum; " +
                "values outside the grid are counted in the CSV.</p>\n");
            foreach (var feature in r.FeatureDistributions) Figure(h, Figures.Distribution(feature, sites));
        }
        else h.Append("<p class=\"note\">No feature distributions (see the notes).</p>\n");
        Csv(h, csvFiles, "feature_distributions.csv");

        Section(h, "notes", "Notes");
        if (r.Notes.Count == 0) h.Append("<p>None.</p>\n");
        else h.Append("<ul>\n" + string.Concat(r.Notes.Select(n => $"<li class=\"note\">{Escape(n)}</li>\n")) + "</ul>\n");

        Section(h, "reproducibility", "Reproducibility");
        Rows(h, ["", ""],
        [
            ["software", Escape($"{r.Software.Product} {r.Software.Version}")], ["runtime", Escape(r.Software.Runtime)], ["operating system", Escape(r.Software.OperatingSystem)],
            ["study definition", Escape(r.Study.Format)], ["study definition SHA-256", $"<code>{r.Study.Sha256}</code>"],
        ]);
        h.Append($"<pre id=\"study-definition\">{Escape(r.Study.Text)}</pre>\n");

        Section(h, "tripod", "TRIPOD checklist");
        h.Append("<p>Items of the TRIPOD statement (development and validation of a multivariable prediction model) that this report addresses; background, discussion and other items are the authors'.</p>\n");
        Rows(h, ["item", "topic", "status", "where / what to add"], r.Tripod.Select(t => new[] { t.Item, Escape(t.Topic), Escape(t.Status), Escape(t.Where) }), "tripod");
        Csv(h, csvFiles, "tripod.csv");
        h.Append("</body>\n</html>\n");
        return h.ToString();
    }

    /// <summary>What the validation consisted of, as it was run.</summary>
    private static string Design(ValidationResults r) => r.LeaveOneSiteOut.Count > 0
        ? "validated per site and by leave-one-site-out (internal-external validation)."
        : $"validated per site; leave-one-site-out validation was not run{(r.LeaveOneSiteOutNotRun is { } why ? $" ({why})" : "")}.";

    private static string Pooling(ValidationResults r) => r.PooledScoreBins is not { } bins
        ? "all patients compared across sites, exactly as a centralised analysis"
        : $"all patients compared across sites through the sites' histograms of predicted probabilities in {bins} bins of width {1.0 / bins:0.####}; "
          + "patients of both classes in one bin count as a tie, so it can differ from a centralised analysis of the exact scores by up to the share of positive-negative pairs that share a bin";

    private static void Section(StringBuilder h, string id, string title) => h.Append($"<h2 id=\"{id}\">{Escape(title)}</h2>\n");

    private static void Figure(StringBuilder h, string svg) => h.Append("<div class=\"figure\">\n").Append(svg).Append("\n</div>\n");

    /// <summary>A table; cells are HTML already (escaped by the caller).</summary>
    private static void Rows(StringBuilder h, IReadOnlyList<string> header, IEnumerable<string[]> rows, string? id = null)
    {
        h.Append(id is null ? "<table>\n" : $"<table id=\"{id}\">\n");
        h.Append("<tr>").Append(string.Concat(header.Select(c => $"<th>{Escape(c)}</th>"))).Append("</tr>\n");
        foreach (var row in rows)
            h.Append("<tr>").Append(string.Concat(row.Select(c => c.StartsWith("<num>", StringComparison.Ordinal) ? $"<td class=\"num\">{c[5..]}</td>" : $"<td>{c}</td>"))).Append("</tr>\n");
        h.Append("</table>\n");
    }

    private static string Num(string text) => "<num>" + text;

    private static string Ci(Metric? m) => m?.CiLow is { } l && m.CiHigh is { } h ? $"[{Format.F3(l)}, {Format.F3(h)}]" : "–";

    private static void Csv(StringBuilder h, IReadOnlyCollection<string> files, params string[] names)
    {
        var present = names.Where(files.Contains).ToArray();
        if (present.Length > 0) h.Append("<p class=\"meta\">CSV: " + string.Join(", ", present.Select(f => $"<a href=\"{f}\">{f}</a>")) + "</p>\n");
    }

    private static string Range(double? lo, double? hi) => (lo, hi) switch
    {
        (null, { } b) => $"≤ {Format.G4(b)}",
        ({ } a, null) => $"> {Format.G4(a)}",
        ({ } a, { } b) => $"> {Format.G4(a)} and ≤ {Format.G4(b)}",
        _ => "all",
    };

    private static string Id(string measure) => measure.ToLowerInvariant().Replace(' ', '-');
}
