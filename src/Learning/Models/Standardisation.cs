using FedRad.Shared.Tensors;

namespace FedRad.Learning.Models;

/// <summary>
/// Exact federated standardisation. Each site sends, per feature, the sum and the sum of squares
/// over its patients ("sum", "sum_sq") and its patient count; summed over sites they give the
/// pooled mean and sample SD exactly as a central analysis of the pooled table would (up to
/// rounding: sums of squares lose precision when a feature's mean is many orders of magnitude
/// larger than its SD). What a site's sums reveal: its per-feature mean and variance.
/// </summary>
public static class Standardisation
{
    public const string SumTensor = "sum";
    public const string SumSquaresTensor = "sum_sq";

    /// <summary>The site's contribution: per-feature sums over its rows.</summary>
    public static ModelWeights SiteSums(double[][] x)
    {
        var d = x.Length == 0 ? 0 : x[0].Length;
        var sum = new double[d];
        var sumSq = new double[d];
        foreach (var row in x)
            for (var j = 0; j < d; j++) { sum[j] += row[j]; sumSq[j] += row[j] * row[j]; }
        return new ModelWeights([new WeightTensor(SumTensor, [d], sum), new WeightTensor(SumSquaresTensor, [d], sumSq)]);
    }

    /// <summary>
    /// Pooled mean and sample SD (n − 1) from summed site sums. A constant feature (SD 0) gets
    /// scale 1, so that it contributes nothing rather than dividing by zero.
    /// </summary>
    public static (double[] Mean, double[] Scale) Pooled(double[] sum, double[] sumSquares, long n)
    {
        if (n < 2) throw new ArgumentException($"standardisation needs at least 2 patients, got {n}");
        var mean = sum.Select(s => s / n).ToArray();
        var scale = new double[sum.Length];
        for (var j = 0; j < sum.Length; j++)
        {
            var variance = (sumSquares[j] - n * mean[j] * mean[j]) / (n - 1);
            scale[j] = variance > 0 ? Math.Sqrt(variance) : 1;
        }
        return (mean, scale);
    }
}
