using FedRad.Radiomics.Features;
using FedRad.Radiomics.Processing;
using FedRad.Radiomics.Settings;

namespace FedRad.Radiomics.Families;

/// <summary>
/// IBSI grey level co-occurrence matrix features (LFYI): symmetric co-occurrence counts at Chebyshev distance δ
/// along 4 in-slice or 13 volumetric directions, built in one pass over the ROI, with all six IBSI aggregations.
/// </summary>
internal static class Glcm
{
    public const string Family = "glcm";

    public static readonly FeatureDef[] Features =
    [
        new("joint_max", "GYBY"), new("joint_avg", "60VM"), new("joint_var", "UR99"), new("joint_entr", "TU9B"),
        new("diff_avg", "TF7R"), new("diff_var", "D3YU"), new("diff_entr", "NTRS"),
        new("sum_avg", "ZGXS"), new("sum_var", "OEEB"), new("sum_entr", "P6QZ"),
        new("energy", "8ZQL"), new("contrast", "ACUI"), new("dissimilarity", "8S9J"),
        new("inv_diff", "IB1Z"), new("inv_diff_norm", "NDRX"), new("inv_diff_mom", "WF0Z"), new("inv_diff_mom_norm", "1QCO"),
        new("inv_var", "E8JP"), new("corr", "NI2N", "a single grey level in the matrix (zero marginal variance)"),
        new("auto_corr", "QWB0"), new("clust_tend", "DG8W"), new("clust_shade", "7NFM"), new("clust_prom", "AE86"),
        new("info_corr1", "R8DG", "a single grey level in the matrix (zero marginal entropy)"), new("info_corr2", "JN9H"),
    ];

    public static void Compute(PreparedRoi roi, RadiomicsSettings s, FeatureSink sink)
    {
        var ng = roi.Ng;
        var delta = s.Texture.GlcmDistance;
        if (s.Has(TextureApproach.TwoD) || s.Has(TextureApproach.TwoPointFiveD))
        {
            var perSliceDir = new FeatureAverage(Features.Length);   // BTW3
            var perSlice = new FeatureAverage(Features.Length);      // SUJT
            var byDirection = new double[4][];                       // JJUI: per direction, merged over slices
            for (var d = 0; d < 4; d++) byDirection[d] = new double[ng * ng];
            var all = new double[ng * ng];                           // ZW7Z
            var slice = new double[4][];
            for (var d = 0; d < 4; d++) slice[d] = new double[ng * ng];
            var merged = new double[ng * ng];
            for (var z = roi.Z0; z <= roi.Z1; z++)
            {
                for (var d = 0; d < 4; d++) Array.Clear(slice[d]);
                Count(roi, TextureSupport.Directions2D, delta, z, z, slice);
                Array.Clear(merged);
                for (var d = 0; d < 4; d++)
                {
                    if (Sum(slice[d]) > 0) perSliceDir.Add(Compute(slice[d], ng));
                    AddTo(merged, slice[d]);
                    AddTo(byDirection[d], slice[d]);
                }
                if (Sum(merged) > 0) perSlice.Add(Compute(merged, ng));
                AddTo(all, merged);
            }
            if (s.Has(TextureApproach.TwoD))
            {
                Emit(sink, perSliceDir.Mean(), Aggregation.TwoDAveraged, perSliceDir.Matrices);
                Emit(sink, perSlice.Mean(), Aggregation.TwoDSliceMerged, perSlice.Matrices);
            }
            if (s.Has(TextureApproach.TwoPointFiveD))
            {
                var perDir = new FeatureAverage(Features.Length);
                foreach (var m in byDirection) if (Sum(m) > 0) perDir.Add(Compute(m, ng));
                Emit(sink, perDir.Mean(), Aggregation.TwoPointFiveDDirectionMerged, perDir.Matrices);
                Emit(sink, Sum(all) > 0 ? Compute(all, ng) : Empty(), Aggregation.TwoPointFiveDMerged, Sum(all) > 0 ? 1 : 0);
            }
        }
        if (s.Has(TextureApproach.ThreeD))
        {
            var dirs = TextureSupport.Directions3D;
            var m = new double[dirs.Length][];
            for (var d = 0; d < dirs.Length; d++) m[d] = new double[ng * ng];
            Count(roi, dirs, delta, roi.Z0, roi.Z1, m);
            var perDir = new FeatureAverage(Features.Length);
            var all = new double[ng * ng];
            foreach (var md in m)
            {
                if (Sum(md) > 0) perDir.Add(Compute(md, ng));
                AddTo(all, md);
            }
            Emit(sink, perDir.Mean(), Aggregation.ThreeDAveraged, perDir.Matrices);
            Emit(sink, Sum(all) > 0 ? Compute(all, ng) : Empty(), Aggregation.ThreeDMerged, Sum(all) > 0 ? 1 : 0);
        }
    }

    private static void Emit(FeatureSink sink, double[] values, Aggregation aggregation, int matrices) =>
        TextureSupport.Emit(sink, Family, Features, values, aggregation,
            matrices == 0 ? "no pair of neighbouring ROI voxels along any direction (ROI too small or too thin)" : null);

    private static double[] Empty() => Enumerable.Repeat(double.NaN, Features.Length).ToArray();

    // One pass over slices z0..z1: each voxel pairs with its neighbour at +δ·direction; both orders are counted.
    private static void Count(PreparedRoi roi, (int X, int Y, int Z)[] dirs, int delta, int z0, int z1, double[][] m)
    {
        var ng = roi.Ng;
        for (var z = z0; z <= z1; z++)
            for (var y = roi.Y0; y <= roi.Y1; y++)
                for (var x = roi.X0; x <= roi.X1; x++)
                {
                    var n = roi.Index(x, y, z);
                    if (!roi.Mask[n]) continue;
                    var i = roi.Level[n] - 1;
                    for (var d = 0; d < dirs.Length; d++)
                    {
                        int qx = x + dirs[d].X * delta, qy = y + dirs[d].Y * delta, qz = z + dirs[d].Z * delta;
                        if (qz < z0 || qz > z1 || !TextureSupport.InMask(roi, qx, qy, qz)) continue;
                        var j = roi.Level[roi.Index(qx, qy, qz)] - 1;
                        m[d][i * ng + j]++;
                        m[d][j * ng + i]++;
                    }
                }
    }

    private static void AddTo(double[] target, double[] source) { for (var t = 0; t < target.Length; t++) target[t] += source[t]; }
    private static double Sum(double[] m) { double s = 0; foreach (var v in m) s += v; return s; }

    /// <summary>The 25 IBSI GLCM features of one count matrix (grey levels 1..Ng).</summary>
    internal static double[] Compute(double[] counts, int ng)
    {
        var total = Sum(counts);
        var p = new double[counts.Length];
        for (var t = 0; t < p.Length; t++) p[t] = counts[t] / total;
        var pi = new double[ng];      // marginal p_i. (= p_.j, the matrix is symmetric)
        var diff = new double[ng];    // p_{i−j}(k), k = 0..Ng−1
        var sum = new double[2 * ng + 1]; // p_{i+j}(k), k = 2..2Ng
        double jointMax = 0, jointAvg = 0, jointEntr = 0, energy = 0, contrast = 0, dissim = 0, invDiff = 0, invDiffNorm = 0,
            invDiffMom = 0, invDiffMomNorm = 0, invVar = 0, autoCorr = 0;
        for (var a = 0; a < ng; a++)
            for (var b = 0; b < ng; b++)
            {
                var v = p[a * ng + b];
                if (v == 0) continue;
                int i = a + 1, j = b + 1, k = Math.Abs(i - j);
                pi[a] += v;
                diff[k] += v;
                sum[i + j] += v;
                jointMax = Math.Max(jointMax, v);
                jointAvg += i * v;
                jointEntr -= v * Math.Log2(v);
                energy += v * v;
                contrast += k * k * v;
                dissim += k * v;
                invDiff += v / (1 + k);
                invDiffNorm += v / (1 + (double)k / ng);
                invDiffMom += v / (1 + k * k);
                invDiffMomNorm += v / (1 + (double)k * k / ((double)ng * ng));
                if (k > 0) invVar += v / (k * k);
                autoCorr += (double)i * j * v;
            }
        double mu = 0;
        for (var a = 0; a < ng; a++) mu += (a + 1) * pi[a];
        double jointVar = 0, clustTend = 0, clustShade = 0, clustProm = 0, hxy1 = 0, hxy2 = 0;
        for (var a = 0; a < ng; a++)
            for (var b = 0; b < ng; b++)
            {
                var pp = pi[a] * pi[b];
                if (pp > 0) hxy2 -= pp * Math.Log2(pp);
                var v = p[a * ng + b];
                if (v == 0) continue;
                int i = a + 1, j = b + 1;
                jointVar += (i - mu) * (i - mu) * v;
                var c = i + j - 2 * mu;
                clustTend += c * c * v;
                clustShade += c * c * c * v;
                clustProm += c * c * c * c * v;
                hxy1 -= v * Math.Log2(pp);
            }
        double var_ = 0, hx = 0;
        for (var a = 0; a < ng; a++)
        {
            var_ += (a + 1 - mu) * (a + 1 - mu) * pi[a];
            if (pi[a] > 0) hx -= pi[a] * Math.Log2(pi[a]);
        }
        double diffAvg = 0, diffEntr = 0;
        for (var k = 0; k < ng; k++) { diffAvg += k * diff[k]; if (diff[k] > 0) diffEntr -= diff[k] * Math.Log2(diff[k]); }
        double diffVar = 0;
        for (var k = 0; k < ng; k++) diffVar += (k - diffAvg) * (k - diffAvg) * diff[k];
        double sumAvg = 0, sumEntr = 0;
        for (var k = 2; k <= 2 * ng; k++) { sumAvg += k * sum[k]; if (sum[k] > 0) sumEntr -= sum[k] * Math.Log2(sum[k]); }
        double sumVar = 0;
        for (var k = 2; k <= 2 * ng; k++) sumVar += (k - sumAvg) * (k - sumAvg) * sum[k];
        var corr = var_ > 0 ? (autoCorr - mu * mu) / var_ : double.NaN;
        var infoCorr1 = hx > 0 ? (jointEntr - hxy1) / hx : double.NaN;
        var infoCorr2 = Math.Sqrt(Math.Max(0, 1 - Math.Exp(-2 * (hxy2 - jointEntr))));
        return
        [
            jointMax, jointAvg, jointVar, jointEntr, diffAvg, diffVar, diffEntr, sumAvg, sumVar, sumEntr,
            energy, contrast, dissim, invDiff, invDiffNorm, invDiffMom, invDiffMomNorm, invVar, corr,
            autoCorr, clustTend, clustShade, clustProm, infoCorr1, infoCorr2,
        ];
    }
}
