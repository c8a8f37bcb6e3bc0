using FedRad.Radiomics.Features;
using FedRad.Radiomics.Processing;

namespace FedRad.Radiomics.Families;

/// <summary>
/// IBSI intensity-volume histogram features (P88C). The IVH is evaluated at every discretised intensity i of the
/// total range G in steps w_d, including intensities absent from the ROI: ν_i = fraction of voxels with X ≥ i,
/// γ_i = (i − min G)/(max G − min G).
/// </summary>
internal static class IntensityVolumeHistogram
{
    public const string Family = "ivh";

    public static void Compute(PreparedRoi roi, FeatureSink sink)
    {
        var ivh = roi.Ivh;
        var values = (double[])ivh.Values.Clone();
        Array.Sort(values);
        var nv = values.Length;
        var step = ivh.Step;
        var tol = step * 1e-6;
        // Grid of intensities: from min G in steps of w_d up to max G, extended to cover the highest voxel value.
        var top = Math.Max(ivh.Max, values[^1]);
        var count = (int)Math.Round((top - ivh.Min) / step) + 1;
        var range = ivh.Max - ivh.Min;
        var intensity = new double[count];
        var fraction = new double[count];
        var gamma = new double[count];
        var below = 0;
        for (var k = 0; k < count; k++)
        {
            var i = ivh.Min + k * step;
            while (below < nv && values[below] < i - tol) below++;
            intensity[k] = i;
            fraction[k] = 1 - (double)below / nv;
            gamma[k] = range > 0 ? (i - ivh.Min) / range : 0;
        }

        double VolumeAt(double x)
        {
            for (var k = 0; k < count; k++) if (gamma[k] >= x - 1e-12) return fraction[k];
            return 0;
        }
        double IntensityAt(double x)
        {
            for (var k = 0; k < count; k++) if (fraction[k] <= x + 1e-12) return intensity[k];
            return intensity[^1] + step; // every listed intensity holds more than x: the next step holds none
        }

        var v10 = VolumeAt(0.10);
        var v90 = VolumeAt(0.90);
        var i10 = IntensityAt(0.10);
        var i90 = IntensityAt(0.90);
        sink.Add(Family, "v10", "BC2M/NK6P", Aggregation.None, v10);
        sink.Add(Family, "v90", "BC2M/4279", Aggregation.None, v90);
        sink.Add(Family, "i10", "GBPN/PWN1", Aggregation.None, i10);
        sink.Add(Family, "i90", "GBPN/BOHI", Aggregation.None, i90);
        sink.Add(Family, "v10_minus_v90", "DDTU/WITY", Aggregation.None, v10 - v90);
        sink.Add(Family, "i10_minus_i90", "CNV2/JXJA", Aggregation.None, i10 - i90);

        // Area under the IVH curve (trapezoidal rule over γ); 0 when the ROI holds a single discretised intensity.
        double auc = 0;
        if (values[0] != values[^1])
            for (var k = 1; k < count; k++) auc += (gamma[k] - gamma[k - 1]) * (fraction[k] + fraction[k - 1]) / 2;
        sink.Add(Family, "auc", "9CMM", Aggregation.None, auc);
    }
}
