namespace FedRad.Learning.Metrics;

/// <summary>
/// Per-class counts of predicted probabilities in equal-width bins on [0, 1]. Sites exchange these
/// instead of scores; summing them over sites gives the histogram of the pooled scores, and
/// <see cref="Auc"/> of the merged histogram is the pooled AUC with pairs that fall into the
/// same bin counted as ties (so it can differ from the exact pooled AUC by at most the fraction
/// of positive-negative pairs that share a bin).
/// </summary>
public sealed class ScoreHistogram
{
    public const int DefaultBins = 100;

    /// <summary>Tensor names an evaluation result carries its histograms under.</summary>
    public const string PositivesTensor = "hist_pos";
    public const string NegativesTensor = "hist_neg";

    public double[] Positives { get; }
    public double[] Negatives { get; }
    public int Bins => Positives.Length;

    public ScoreHistogram(int bins = DefaultBins) : this(new double[bins], new double[bins]) { }

    public ScoreHistogram(double[] positives, double[] negatives)
    {
        if (positives.Length != negatives.Length || positives.Length == 0)
            throw new ArgumentException("positive and negative histograms must have the same, non-zero number of bins");
        Positives = positives;
        Negatives = negatives;
    }

    public void Add(double probability, int label)
    {
        var bin = Math.Clamp((int)(probability * Bins), 0, Bins - 1);
        if (label == 1) Positives[bin]++; else Negatives[bin]++;
    }

    public void Merge(ScoreHistogram other)
    {
        if (other.Bins != Bins) throw new ArgumentException($"cannot merge a {other.Bins}-bin histogram into a {Bins}-bin one");
        for (var b = 0; b < Bins; b++) { Positives[b] += other.Positives[b]; Negatives[b] += other.Negatives[b]; }
    }

    public double Auc()
    {
        double p = Positives.Sum(), n = Negatives.Sum();
        if (p == 0 || n == 0) return double.NaN;
        double negativesBelow = 0, wins = 0;
        for (var b = 0; b < Bins; b++)
        {
            wins += Positives[b] * (negativesBelow + 0.5 * Negatives[b]);
            negativesBelow += Negatives[b];
        }
        return wins / (p * n);
    }

    /// <summary>
    /// DeLong's variance of <see cref="Auc"/>, each patient's score being its bin (ties within a bin count 1/2), from
    /// the placement values per bin: a positive's share of negatives below it, a negative's share of positives above
    /// it (as pROC's var(roc, method = "delong") on the binned scores). NaN without two patients of each class.
    /// </summary>
    public double DeLongVariance()
    {
        double p = Positives.Sum(), n = Negatives.Sum();
        if (p < 1 || n < 1) return double.NaN;
        var v10 = new double[Bins];
        var v01 = new double[Bins];
        double below = 0;
        for (var b = 0; b < Bins; b++)
        {
            v10[b] = (below + 0.5 * Negatives[b]) / n;
            below += Negatives[b];
        }
        double above = 0;
        for (var b = Bins - 1; b >= 0; b--)
        {
            v01[b] = (above + 0.5 * Positives[b]) / p;
            above += Positives[b];
        }
        var auc = Auc();
        double s10 = 0, s01 = 0;
        for (var b = 0; b < Bins; b++)
        {
            s10 += Positives[b] * (v10[b] - auc) * (v10[b] - auc);
            s01 += Negatives[b] * (v01[b] - auc) * (v01[b] - auc);
        }
        return (p > 1 ? s10 / (p - 1) / p : double.NaN) + (n > 1 ? s01 / (n - 1) / n : double.NaN);
    }

    /// <summary>Normal 95% interval of an AUC with this variance, clipped to [0, 1]; NaNs when the variance is not finite.</summary>
    public static (double Low, double High) Ci95(double auc, double variance)
    {
        if (!double.IsFinite(variance) || !double.IsFinite(auc)) return (double.NaN, double.NaN);
        const double z = 1.959963984540054; // standard normal 0.975 quantile
        var sd = Math.Sqrt(variance);
        return (Math.Clamp(auc - z * sd, 0, 1), Math.Clamp(auc + z * sd, 0, 1));
    }
}
