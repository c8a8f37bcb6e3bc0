using FedRad.Radiomics.Features;
using FedRad.Radiomics.Processing;

namespace FedRad.Radiomics.Families;

/// <summary>IBSI intensity histogram features (ZVCW) over the discretised intensities of the intensity mask.</summary>
internal static class IntensityHistogram
{
    public const string Family = "ih";

    public static void Compute(PreparedRoi roi, FeatureSink sink)
    {
        var x = new List<double>(roi.MaskCount);
        var counts = new double[roi.Ng + 2];
        for (var n = 0; n < roi.Mask.Length; n++)
            if (roi.Mask[n]) { x.Add(roi.Level[n]); counts[roi.Level[n]]++; }
        var m = IntensityStatistics.Describe(x.ToArray());
        void Add(string name, string code, double v) => sink.Add(Family, name, code, Aggregation.None, v);
        Add("mean", "X6K6", m.Mean);
        Add("var", "CH89", m.Variance);
        Add("skew", "88K1", m.Skewness);
        Add("kurt", "C3I7", m.Kurtosis);
        Add("median", "WIFQ", m.Median);
        Add("min", "1PR8", m.Min);
        Add("p10", "GPMT", m.P10);
        Add("p90", "OZ0C", m.P90);
        Add("max", "3NCY", m.Max);

        // Mode: highest count; ties go to the bin closest to the mean, then to the lower bin (IBSI).
        var ng = roi.Ng;
        var mode = 1;
        for (var i = 2; i <= ng; i++)
            if (counts[i] > counts[mode] || (counts[i] == counts[mode] && Math.Abs(i - m.Mean) < Math.Abs(mode - m.Mean))) mode = i;
        Add("mode", "AMMC", mode);
        Add("iqr", "WR0O", m.Iqr);
        Add("range", "5Z3W", m.Max - m.Min);
        Add("mad", "D2ZX", m.MeanAbsDev);
        Add("rmad", "WRZB", m.RobustMeanAbsDev);
        Add("medad", "4RNL", m.MedianAbsDev);
        sink.Add(Family, "cov", "CWYJ", Aggregation.None, m.CoefficientOfVariation, "mean grey level is 0");
        sink.Add(Family, "qcod", "SLWD", Aggregation.None, m.QuartileCoefficient, "P75 + P25 is 0");

        double entropy = 0, uniformity = 0;
        for (var i = 1; i <= ng; i++)
        {
            var p = counts[i] / m.Count;
            if (p > 0) { entropy -= p * Math.Log2(p); uniformity += p * p; }
        }
        Add("entropy", "TLU2", entropy);
        Add("uniformity", "BJ5W", uniformity);

        // Histogram gradient: forward difference at the first bin, backward at the last, central elsewhere.
        double Gradient(int i)
        {
            if (ng == 1) return 0;
            if (i == 1) return counts[2] - counts[1];
            if (i == ng) return counts[ng] - counts[ng - 1];
            return (counts[i + 1] - counts[i - 1]) / 2;
        }
        int maxAt = 1, minAt = 1;
        for (var i = 2; i <= ng; i++)
        {
            if (Gradient(i) > Gradient(maxAt)) maxAt = i;
            if (Gradient(i) < Gradient(minAt)) minAt = i;
        }
        Add("max_grad", "12CE", Gradient(maxAt));
        Add("max_grad_gl", "8E6O", maxAt);
        Add("min_grad", "VQB3", Gradient(minAt));
        Add("min_grad_gl", "RHQZ", minAt);
    }
}
