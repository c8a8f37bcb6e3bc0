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
}
