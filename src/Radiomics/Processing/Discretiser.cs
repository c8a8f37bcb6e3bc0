using FedRad.Radiomics.Settings;

namespace FedRad.Radiomics.Processing;

/// <summary>IBSI intensity discretisation (fixed bin number, fixed bin size with the minimum rule, or none).</summary>
internal static class Discretiser
{
    /// <summary>
    /// Grey levels (1..Ng) for the voxels in <paramref name="mask"/>, 0 elsewhere. FBN uses the ROI's own range
    /// (N_g = bins); FBS starts at the re-segmentation lower bound when there is one, else at the ROI minimum
    /// (N_g = highest level present); "none" takes integer intensities ≥ 1 as the grey levels.
    /// </summary>
    public static int[] Levels(float[] values, bool[] mask, DiscretisationSettings d, ResegmentationSettings rs, out int ng)
    {
        var (min, max) = Range(values, mask);
        var levels = new int[values.Length];
        ng = 0;
        switch (d.Method)
        {
            case DiscretisationMethod.FixedBinNumber:
                for (var n = 0; n < values.Length; n++)
                    if (mask[n]) levels[n] = FbnLevel(values[n], min, max, d.Bins);
                ng = d.Bins;
                break;
            case DiscretisationMethod.FixedBinSize:
                var lo = rs.RangeLower ?? min;
                for (var n = 0; n < values.Length; n++)
                    if (mask[n]) { levels[n] = (int)Math.Floor((values[n] - lo) / d.BinWidth) + 1; ng = Math.Max(ng, levels[n]); }
                break;
            default:
                for (var n = 0; n < values.Length; n++)
                {
                    if (!mask[n]) continue;
                    var v = values[n];
                    var r = Math.Round(v);
                    if (Math.Abs(v - r) > 1e-4 || r < 1)
                        throw new RadiomicsInputException($"discretisation 'none' needs integer intensities ≥ 1 as grey levels, but the ROI holds {v}; use fixed_bin_number or fixed_bin_size");
                    levels[n] = (int)r;
                    ng = Math.Max(ng, levels[n]);
                }
                break;
        }
        return levels;
    }

    private static int FbnLevel(double v, double min, double max, int bins)
    {
        if (max <= min) return 1; // constant intensity: one occupied bin
        if (v >= max) return bins;
        return Math.Min((int)Math.Floor(bins * (v - min) / (max - min)) + 1, bins);
    }

    /// <summary>IBSI intensity-volume histogram discretisation (section "Intensity-volume histogram features").</summary>
    public static IvhInput Ivh(float[] values, bool[] mask, DiscretisationSettings d, ResegmentationSettings rs)
    {
        var (min, max) = Range(values, mask);
        var list = new List<double>();
        switch (d.Method)
        {
            case DiscretisationMethod.None:
            {
                // Discrete intensities (e.g. HU after rounding): w_d = 1 and G = re-segmentation range or ROI range.
                for (var n = 0; n < values.Length; n++)
                {
                    if (!mask[n]) continue;
                    var r = Math.Round(values[n]);
                    if (Math.Abs(values[n] - r) > 1e-4)
                        throw new RadiomicsInputException($"IVH discretisation 'none' needs integer intensities (e.g. HU after intensity rounding), but the ROI holds {values[n]}; use fixed_bin_size");
                    list.Add(r);
                }
                var gMin = rs.RangeLower ?? min;
                var gMax = rs.RangeUpper ?? max;
                return new IvhInput(list.ToArray(), gMin, gMax, 1);
            }
            case DiscretisationMethod.FixedBinSize:
            {
                // Calibrated continuous intensities (e.g. SUV): bin centres keep the intensity scale.
                var xMin = rs.RangeLower ?? min;
                var xMax = rs.RangeUpper ?? max;
                var w = d.BinWidth;
                for (var n = 0; n < values.Length; n++)
                    if (mask[n]) list.Add(xMin + (Math.Floor((values[n] - xMin) / w) + 1 - 0.5) * w);
                return new IvhInput(list.ToArray(), xMin + 0.5 * w, xMax - 0.5 * w, w);
            }
            default:
            {
                // Arbitrary units: bin numbers are the intensities, G = [1, N_g].
                for (var n = 0; n < values.Length; n++)
                    if (mask[n]) list.Add(FbnLevel(values[n], min, max, d.Bins));
                return new IvhInput(list.ToArray(), 1, d.Bins, 1);
            }
        }
    }

    private static (double Min, double Max) Range(float[] values, bool[] mask)
    {
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        for (var n = 0; n < values.Length; n++)
            if (mask[n]) { min = Math.Min(min, values[n]); max = Math.Max(max, values[n]); }
        return (min, max);
    }
}
