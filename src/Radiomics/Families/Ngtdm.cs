using FedRad.Radiomics.Features;
using FedRad.Radiomics.Processing;
using FedRad.Radiomics.Settings;

namespace FedRad.Radiomics.Families;

/// <summary>
/// IBSI neighbourhood grey tone difference matrix features (IPET): for each grey level i, s_i sums |i − Ā| over
/// voxels with at least one ROI neighbour within Chebyshev distance δ, Ā being the mean level of those neighbours.
/// </summary>
internal static class Ngtdm
{
    public const string Family = "ngtdm";

    public static readonly FeatureDef[] Features =
    [
        new("coarseness", "QCDE", "no grey tone differences (every neighbourhood is uniform)"),
        new("contrast", "65HE", "a single grey level among voxels with neighbours"),
        new("busyness", "NQ30", "a single grey level among voxels with neighbours"),
        new("complexity", "HDEZ"),
        new("strength", "1X9X", "no grey tone differences (every neighbourhood is uniform)"),
    ];

    public static void Compute(PreparedRoi roi, RadiomicsSettings s, FeatureSink sink)
    {
        var ng = roi.Ng;
        const string empty = "no ROI voxel has an ROI neighbour (ROI of isolated voxels)";
        if (s.Has(TextureApproach.TwoD) || s.Has(TextureApproach.TwoPointFiveD))
        {
            var offsets = TextureSupport.Neighbourhood(s.Texture.NgtdmDistance, threeD: false);
            var perSlice = new FeatureAverage(Features.Length);
            double[] sAll = new double[ng], nAll = new double[ng];
            for (var z = roi.Z0; z <= roi.Z1; z++)
            {
                double[] si = new double[ng], ni = new double[ng];
                Count(roi, offsets, z, z, si, ni);
                if (ni.Sum() == 0) continue;
                perSlice.Add(Compute(si, ni));
                for (var i = 0; i < ng; i++) { sAll[i] += si[i]; nAll[i] += ni[i]; }
            }
            if (s.Has(TextureApproach.TwoD)) TextureSupport.Emit(sink, Family, Features, perSlice.Mean(), Aggregation.TwoD, perSlice.Matrices == 0 ? empty : null);
            if (s.Has(TextureApproach.TwoPointFiveD)) TextureSupport.Emit(sink, Family, Features, Compute(sAll, nAll), Aggregation.TwoPointFiveD, nAll.Sum() == 0 ? empty : null);
        }
        if (s.Has(TextureApproach.ThreeD))
        {
            double[] si = new double[ng], ni = new double[ng];
            Count(roi, TextureSupport.Neighbourhood(s.Texture.NgtdmDistance, threeD: true), roi.Z0, roi.Z1, si, ni);
            TextureSupport.Emit(sink, Family, Features, Compute(si, ni), Aggregation.ThreeD, ni.Sum() == 0 ? empty : null);
        }
    }

    private static void Count(PreparedRoi roi, (int X, int Y, int Z)[] offsets, int z0, int z1, double[] s, double[] n)
    {
        for (var z = z0; z <= z1; z++)
            for (var y = roi.Y0; y <= roi.Y1; y++)
                for (var x = roi.X0; x <= roi.X1; x++)
                {
                    var c = roi.Index(x, y, z);
                    if (!roi.Mask[c]) continue;
                    double sum = 0;
                    var count = 0;
                    foreach (var (dx, dy, dz) in offsets)
                    {
                        int qx = x + dx, qy = y + dy, qz = z + dz;
                        if (qz < z0 || qz > z1 || !TextureSupport.InMask(roi, qx, qy, qz)) continue;
                        sum += roi.Level[roi.Index(qx, qy, qz)];
                        count++;
                    }
                    if (count == 0) continue;
                    var i = roi.Level[c];
                    s[i - 1] += Math.Abs(i - sum / count);
                    n[i - 1]++;
                }
    }

    private static double[] Compute(double[] s, double[] n)
    {
        var ng = s.Length;
        var nvc = n.Sum();
        if (nvc == 0) return Enumerable.Repeat(double.NaN, Features.Length).ToArray();
        var p = n.Select(v => v / nvc).ToArray();
        var ngp = p.Count(v => v > 0);
        double ps = 0, sSum = 0;
        for (var i = 0; i < ng; i++) { ps += p[i] * s[i]; sSum += s[i]; }
        double contrastSum = 0, busyDen = 0, complexity = 0, strengthNum = 0;
        for (var a = 0; a < ng; a++)
        {
            if (p[a] == 0) continue;
            for (var b = 0; b < ng; b++)
            {
                if (p[b] == 0) continue;
                double i = a + 1, j = b + 1;
                contrastSum += p[a] * p[b] * (i - j) * (i - j);
                busyDen += Math.Abs(i * p[a] - j * p[b]);
                complexity += Math.Abs(i - j) * (p[a] * s[a] + p[b] * s[b]) / (p[a] + p[b]);
                strengthNum += (p[a] + p[b]) * (i - j) * (i - j);
            }
        }
        var coarseness = ps > 0 ? 1 / ps : double.NaN;
        var contrast = ngp > 1 ? contrastSum / (ngp * (ngp - 1.0)) * sSum / nvc : double.NaN;
        var busyness = busyDen > 0 ? ps / busyDen : double.NaN;
        var strength = sSum > 0 ? strengthNum / sSum : double.NaN;
        return [coarseness, contrast, busyness, complexity / nvc, strength];
    }
}
