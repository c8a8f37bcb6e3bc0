using FedRad.Statistics.Protocol;
using MathNet.Numerics.Distributions;

namespace FedRad.Statistics.Coordinator.Validation;

/// <summary>One risk group of a calibration plot.</summary>
/// <param name="Group">1-based, lowest predicted risk first.</param>
/// <param name="ScoreLow">Cut below the group (null for the first group): the group holds scores above it. On the linear
/// predictor for exact analyses, on the predicted probability for groups made from binned scores.</param>
/// <param name="ScoreHigh">Cut above the group (null for the last): the group holds scores at or below it.</param>
/// <param name="ObservedCiLow">Exact (Clopper-Pearson) 95% interval of the observed proportion, as R's binom.test.</param>
public sealed record CalibrationGroup(int Group, double? ScoreLow, double? ScoreHigh, int Count, int Positives, double MeanPredicted, double Observed,
    double ObservedCiLow, double ObservedCiHigh);

/// <summary>Observed against predicted risk by pooled risk group (deciles, or coarser when a site
/// would have fewer patients than its minimum in a group), pooled and for each site.</summary>
public sealed record CalibrationCurveResult(int Groups, IReadOnlyList<CalibrationGroup> Pooled, IReadOnlyDictionary<string, IReadOnlyList<CalibrationGroup>> PerSite,
    IReadOnlyList<string> Notes);

/// <summary>
/// The calibration plot of a logistic model: pooled risk groups of equal size
/// (<see cref="RiskGroups"/>), then one round of per-group counts, positives and sums of predicted
/// probabilities (<see cref="CalibrationBinsRequest"/>). Groups are deciles; when a site refuses
/// because one of its groups would hold fewer patients than its minimum, quintiles, then halves.
/// </summary>
public static class CalibrationCurve
{
    public static readonly int[] Groupings = [10, 5, 2];

    public static async Task<CalibrationCurveResult> EvaluateAsync(Federation federation, string score, string outcome, DataSpec data, CancellationToken ct = default)
    {
        var deciles = await RiskGroups.FindCutsAsync(federation, score, Groupings[0], data, ct);
        var notes = new List<string>();
        foreach (var groups in Groupings)
        {
            var cuts = deciles.Coarsen(groups);
            IReadOnlyList<CalibrationBinsAggregate> answers;
            try
            {
                answers = await federation.AskAllAsync(new CalibrationBinsRequest { Score = score, Outcome = outcome, Cuts = cuts.Keys, Data = data }, ct);
            }
            catch (SiteRefusedException e) when (e.Refusal.Cause == RefusalCause.BelowMinimum)
            {
                notes.Add($"calibration: {groups} risk groups refused by site {e.Refusal.Site} ({e.Refusal.Reason})");
                continue;
            }
            var pooled = Enumerable.Range(0, cuts.Groups).Select(g => new CalibrationBin(
                answers.Sum(a => a.Bins[g].Count), answers.Sum(a => a.Bins[g].Positives), answers.Sum(a => a.Bins[g].PredictedSum))).ToArray();
            return new CalibrationCurveResult(groups, Groups(cuts, pooled),
                answers.ToDictionary(a => a.Site, a => Groups(cuts, a.Bins.ToArray())), notes);
        }
        throw new AnalysisFailedException($"calibration plot: every grouping ({string.Join(", ", Groupings)} risk groups) was refused: {string.Join("; ", notes)}");
    }

    /// <summary>
    /// The calibration plot of a FedAvg study's evaluation, from the histograms of predicted probability by outcome that
    /// the sites already sent (equal-width bins on [0, 1]): <paramref name="groups"/> groups of equal probability width
    /// (bins merged; a group without patients is left out). Counts and positives are exact; the mean predicted
    /// probability of a group takes each patient at its bin's centre, so it is within half a bin width of the true mean.
    /// </summary>
    public static CalibrationCurveResult FromScoreHistograms(double[] positives, double[] negatives,
        IReadOnlyDictionary<string, (double[] Positives, double[] Negatives)> perSite, int groups = 10)
    {
        var bins = positives.Length;
        if (negatives.Length != bins || bins % groups != 0)
            throw new ArgumentException($"calibration from histograms: {bins} bins cannot be merged into {groups} groups of equal width");
        IReadOnlyList<CalibrationGroup> Curve(double[] pos, double[] neg)
        {
            var perGroup = bins / groups;
            var rows = new List<CalibrationGroup>();
            for (var g = 0; g < groups; g++)
            {
                double count = 0, positive = 0, predicted = 0;
                for (var b = g * perGroup; b < (g + 1) * perGroup; b++)
                {
                    count += pos[b] + neg[b];
                    positive += pos[b];
                    predicted += (pos[b] + neg[b]) * (b + 0.5) / bins;
                }
                if (count == 0) continue;
                int n = (int)count, x = (int)positive;
                rows.Add(new CalibrationGroup(g + 1, g == 0 ? null : (double)g / groups, g == groups - 1 ? null : (double)(g + 1) / groups,
                    n, x, predicted / count, positive / count, ClopperPearsonLow(x, n), ClopperPearsonHigh(x, n)));
            }
            return rows;
        }
        return new CalibrationCurveResult(groups, Curve(positives, negatives), perSite.ToDictionary(s => s.Key, s => Curve(s.Value.Positives, s.Value.Negatives)),
            [$"groups of equal width in predicted probability ({1.0 / groups:0.##}) from {bins}-bin score histograms; mean predicted at the bins' centres (within {0.5 / bins:0.####})"]);
    }

    private static IReadOnlyList<CalibrationGroup> Groups(RiskGroupCuts cuts, CalibrationBin[] bins) =>
        bins.Select((b, g) => new { Bin = b, Group = g }).Where(x => x.Bin.Count > 0).Select(x => new CalibrationGroup(
            x.Group + 1, x.Group == 0 ? null : cuts.Values[x.Group - 1], x.Group == cuts.Groups - 1 ? null : cuts.Values[x.Group],
            x.Bin.Count, x.Bin.Positives, x.Bin.PredictedSum / x.Bin.Count, (double)x.Bin.Positives / x.Bin.Count,
            ClopperPearsonLow(x.Bin.Positives, x.Bin.Count), ClopperPearsonHigh(x.Bin.Positives, x.Bin.Count))).ToArray();

    internal static double ClopperPearsonLow(int x, int n) => x == 0 ? 0 : Beta.InvCDF(x, n - x + 1, 0.025);

    internal static double ClopperPearsonHigh(int x, int n) => x == n ? 1 : Beta.InvCDF(x + 1, n - x, 0.975);
}
