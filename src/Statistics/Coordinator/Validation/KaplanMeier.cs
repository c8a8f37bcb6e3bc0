using FedRad.Statistics.Coordinator.Models;
using FedRad.Statistics.Numerics;
using FedRad.Statistics.Protocol;
using MathNet.Numerics;

namespace FedRad.Statistics.Coordinator.Validation;

/// <summary>A step of a Kaplan-Meier curve at an event time.</summary>
/// <param name="StdErr">Greenwood standard error of the cumulative hazard -log S (survfit's std.err); null once S reaches 0.</param>
/// <param name="Lower">95% CI, log scale (survfit's default conf.type = "log"), the upper end capped at 1; null once S reaches 0.</param>
public sealed record KaplanMeierStep(double Time, int AtRisk, int Events, double Survival, double? StdErr, double? Lower, double? Upper);

/// <summary>The pooled curve of one risk group.</summary>
/// <param name="Group">1-based, lowest risk first.</param>
/// <param name="Label">"low", "intermediate", "high" (three groups) or "low", "high" (two).</param>
public sealed record KaplanMeierCurve(int Group, string Label, double? ScoreLow, double? ScoreHigh, int Count, int Events, IReadOnlyList<KaplanMeierStep> Steps);

/// <summary>Log-rank test across the risk groups (survival::survdiff).</summary>
public sealed record LogRankTest(double ChiSquare, int DegreesOfFreedom, double P, IReadOnlyList<double> Observed, IReadOnlyList<double> Expected);

/// <summary>Pooled Kaplan-Meier curves by risk group, the number at risk at the table's times, and the log-rank test.</summary>
/// <param name="RiskTable">[group][time]: patients at risk (time &gt;= t) at each of <paramref name="RiskTableTimes"/>.</param>
public sealed record KaplanMeierResult(IReadOnlyList<KaplanMeierCurve> Curves, IReadOnlyList<double> RiskTableTimes, IReadOnlyList<IReadOnlyList<int>> RiskTable,
    LogRankTest? LogRank, IReadOnlyList<string> Notes);

/// <summary>
/// Kaplan-Meier curves of pooled risk groups of a survival model's linear predictor, equal to
/// survival::survfit(Surv(time, event) ~ group) on the pooled data. Groups are pooled tertiles
/// (<see cref="RiskGroups"/>), halves when a site refuses tertiles for its minimum count. Each site
/// sends its at-risk and event counts per group at every pooled event time
/// (<see cref="KaplanMeierRequest"/>); the coordinator sums them.
/// </summary>
public static class KaplanMeier
{
    public static readonly int[] Groupings = [3, 2];

    public static async Task<KaplanMeierResult> EstimateAsync(Federation federation, string score, string time, string @event, DataSpec data,
        CancellationToken ct = default)
    {
        var (eventTimes, events) = await CoxRegression.PooledEventTimesAsync(federation, time, @event, ct);
        if (events == 0) throw new AnalysisFailedException("Kaplan-Meier: no event in the pooled data");
        var tableTimes = NiceTimes(eventTimes[^1]);
        var grid = eventTimes.Union(tableTimes).Order().ToArray();
        var notes = new List<string>();
        foreach (var groups in Groupings)
        {
            var cuts = await RiskGroups.FindCutsAsync(federation, score, groups, data, ct);
            IReadOnlyList<KaplanMeierAggregate> answers;
            try
            {
                answers = await federation.AskAllAsync(new KaplanMeierRequest
                {
                    Score = score, Time = time, Event = @event, Cuts = cuts.Keys, Times = grid, Data = data,
                }, ct);
            }
            catch (SiteRefusedException e) when (e.Refusal.Cause == RefusalCause.BelowMinimum)
            {
                notes.Add($"Kaplan-Meier: {groups} risk groups refused by site {e.Refusal.Site} ({e.Refusal.Reason})");
                continue;
            }
            var atRisk = new int[groups][];
            var eventCounts = new int[groups][];
            for (var g = 0; g < groups; g++)
            {
                atRisk[g] = new int[grid.Length];
                eventCounts[g] = new int[grid.Length];
                foreach (var a in answers)
                    for (var k = 0; k < grid.Length; k++)
                    {
                        atRisk[g][k] += a.Groups[g].AtRisk[k];
                        eventCounts[g][k] += a.Groups[g].Events[k];
                    }
            }
            var labels = groups == 3 ? new[] { "low", "intermediate", "high" } : groups == 2 ? ["low", "high"] : Enumerable.Range(1, groups).Select(g => $"group {g}").ToArray();
            var curves = Enumerable.Range(0, groups).Select(g => new KaplanMeierCurve(g + 1, labels[g],
                g == 0 ? null : cuts.Values[g - 1], g == groups - 1 ? null : cuts.Values[g],
                answers.Sum(a => a.Groups[g].Count), eventCounts[g].Sum(), Steps(grid, atRisk[g], eventCounts[g]))).ToArray();
            var tableIndex = tableTimes.Select(t => Array.BinarySearch(grid, t)).ToArray();
            var riskTable = atRisk.Select(a => (IReadOnlyList<int>)tableIndex.Select(k => a[k]).ToArray()).ToArray();
            return new KaplanMeierResult(curves, tableTimes, riskTable, LogRank(atRisk, eventCounts, grid.Length), notes);
        }
        throw new AnalysisFailedException($"Kaplan-Meier: every grouping ({string.Join(", ", Groupings)} risk groups) was refused: {string.Join("; ", notes)}");
    }

    private static KaplanMeierStep[] Steps(double[] grid, int[] atRisk, int[] events)
    {
        var steps = new List<KaplanMeierStep>();
        double survival = 1, greenwood = 0;
        for (var k = 0; k < grid.Length; k++)
        {
            if (events[k] == 0) continue;
            double n = atRisk[k], d = events[k];
            survival *= 1 - d / n;
            greenwood += n > d ? d / (n * (n - d)) : double.PositiveInfinity;
            double? se = null, lower = null, upper = null;
            if (survival > 0 && double.IsFinite(greenwood))
            {
                se = Math.Sqrt(greenwood);
                lower = Math.Exp(Math.Log(survival) - RegressionFit.Z975 * se.Value);
                upper = Math.Min(1, Math.Exp(Math.Log(survival) + RegressionFit.Z975 * se.Value));
            }
            steps.Add(new KaplanMeierStep(grid[k], atRisk[k], events[k], survival, se, lower, upper));
        }
        return steps.ToArray();
    }

    /// <summary>survdiff: observed minus expected events per group and their variance over the pooled event times.</summary>
    private static LogRankTest? LogRank(int[][] atRisk, int[][] events, int times)
    {
        var present = Enumerable.Range(0, atRisk.Length).Where(g => atRisk[g][0] > 0 || events[g].Sum() > 0).ToArray();
        var groups = atRisk.Length;
        var observed = new double[groups];
        var expected = new double[groups];
        var variance = Dense.Zeros(groups, groups);
        for (var k = 0; k < times; k++)
        {
            double n = 0, d = 0;
            for (var g = 0; g < groups; g++) { n += atRisk[g][k]; d += events[g][k]; }
            if (d == 0) continue;
            for (var g = 0; g < groups; g++)
            {
                observed[g] += events[g][k];
                expected[g] += d * atRisk[g][k] / n;
                if (n < 2) continue;
                var factor = d * (n - d) / (n - 1) / n;
                for (var h = 0; h < groups; h++)
                    variance[g][h] += factor * atRisk[g][k] * ((g == h ? 1 : 0) - atRisk[h][k] / n);
            }
        }
        if (present.Length < 2) return null;
        // chi-square on all groups but the last present one (the variance matrix has rank groups - 1)
        var use = present.Take(present.Length - 1).ToArray();
        var v = use.Select(g => use.Select(h => variance[g][h]).ToArray()).ToArray();
        var chol = Dense.Cholesky(v);
        if (chol is null) return null;
        var inverse = Dense.CholeskyInverse(chol);
        var diff = use.Select(g => observed[g] - expected[g]).ToArray();
        var chi = 0.0;
        for (var i = 0; i < use.Length; i++)
            for (var j = 0; j < use.Length; j++) chi += diff[i] * inverse[i][j] * diff[j];
        var df = use.Length;
        // upper tail directly: 1 - CDF loses everything below 1e-16
        return new LogRankTest(chi, df, SpecialFunctions.GammaUpperRegularized(df / 2.0, chi / 2), observed, expected);
    }

    /// <summary>Times for the number-at-risk table: 0 and round steps up to the last event time.</summary>
    internal static double[] NiceTimes(double last)
    {
        if (!(last > 0)) return [0];
        var raw = last / 5;
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        var step = new[] { 1, 2, 2.5, 5, 10 }.Select(m => m * magnitude).First(s => s >= raw);
        var times = new List<double>();
        for (var t = 0.0; t <= last + 1e-9 * last; t += step) times.Add(Math.Round(t / step) * step);
        return times.Distinct().ToArray();
    }
}
