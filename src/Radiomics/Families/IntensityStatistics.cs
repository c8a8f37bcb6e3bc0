using FedRad.Radiomics.Features;
using FedRad.Radiomics.Processing;

namespace FedRad.Radiomics.Families;

/// <summary>IBSI intensity-based statistical features (UHIW) over the intensity mask, computed in 3D.</summary>
internal static class IntensityStatistics
{
    public const string Family = "stat";

    public static void Compute(PreparedRoi roi, FeatureSink sink)
    {
        var x = new List<double>(roi.MaskCount);
        for (var n = 0; n < roi.Mask.Length; n++)
            if (roi.Mask[n]) x.Add(roi.Intensity[n]);
        var m = Describe(x.ToArray());
        void Add(string name, string code, double v) => sink.Add(Family, name, code, Aggregation.None, v);
        Add("mean", "Q4LE", m.Mean);
        Add("var", "ECT3", m.Variance);
        Add("skew", "KE2A", m.Skewness);
        Add("kurt", "IPH6", m.Kurtosis);
        Add("median", "Y12H", m.Median);
        Add("min", "1GSF", m.Min);
        Add("p10", "QG58", m.P10);
        Add("p90", "8DWT", m.P90);
        Add("max", "84IY", m.Max);
        Add("iqr", "SALO", m.Iqr);
        Add("range", "2OJQ", m.Max - m.Min);
        Add("mad", "4FUA", m.MeanAbsDev);
        Add("rmad", "1128", m.RobustMeanAbsDev);
        Add("medad", "N72L", m.MedianAbsDev);
        sink.Add(Family, "cov", "7TET", Aggregation.None, m.CoefficientOfVariation, "mean intensity is 0");
        sink.Add(Family, "qcod", "9S40", Aggregation.None, m.QuartileCoefficient, "P75 + P25 is 0");
        Add("energy", "N8CA", m.Energy);
        Add("rms", "5ZWQ", Math.Sqrt(m.Energy / m.Count));
    }

    /// <summary>The moments and order statistics shared by the intensity statistics and the intensity histogram.</summary>
    internal sealed record Summary(int Count, double Mean, double Variance, double Skewness, double Kurtosis, double Median, double Min, double Max,
        double P10, double P25, double P75, double P90, double MeanAbsDev, double RobustMeanAbsDev, double MedianAbsDev, double Energy)
    {
        public double Iqr => P75 - P25;
        public double CoefficientOfVariation => Mean == 0 ? double.NaN : Math.Sqrt(Variance) / Mean;
        public double QuartileCoefficient => P75 + P25 == 0 ? double.NaN : (P75 - P25) / (P75 + P25);
    }

    internal static Summary Describe(double[] x)
    {
        var n = x.Length;
        var sorted = (double[])x.Clone();
        Array.Sort(sorted);
        double sum = 0, energy = 0;
        foreach (var v in x) { sum += v; energy += v * v; }
        var mean = sum / n;
        double m2 = 0, m3 = 0, m4 = 0, mad = 0;
        foreach (var v in x)
        {
            var d = v - mean;
            m2 += d * d; m3 += d * d * d; m4 += d * d * d * d; mad += Math.Abs(d);
        }
        m2 /= n; m3 /= n; m4 /= n; mad /= n;
        // IBSI: skewness and kurtosis are 0 when the variance is 0.
        var skew = m2 == 0 ? 0 : m3 / Math.Pow(m2, 1.5);
        var kurt = m2 == 0 ? 0 : m4 / (m2 * m2) - 3;
        var median = Percentile(sorted, 50);
        double p10 = Percentile(sorted, 10), p90 = Percentile(sorted, 90);
        double rSum = 0, rCount = 0;
        foreach (var v in x) if (v >= p10 && v <= p90) { rSum += v; rCount++; }
        var rMean = rSum / rCount;
        double rmad = 0, medad = 0;
        foreach (var v in x)
        {
            if (v >= p10 && v <= p90) rmad += Math.Abs(v - rMean);
            medad += Math.Abs(v - median);
        }
        return new Summary(n, mean, m2, skew, kurt, median, sorted[0], sorted[^1], p10, Percentile(sorted, 25), Percentile(sorted, 75), p90,
            mad, rmad / rCount, medad / n, energy);
    }

    /// <summary>Percentile with linear interpolation between order statistics (Hyndman–Fan type 7, as R and numpy default).</summary>
    internal static double Percentile(double[] sorted, double p)
    {
        var h = (sorted.Length - 1) * p / 100.0;
        var lo = (int)Math.Floor(h);
        var hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
    }
}
