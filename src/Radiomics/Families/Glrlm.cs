using FedRad.Radiomics.Features;
using FedRad.Radiomics.Processing;
using FedRad.Radiomics.Settings;

namespace FedRad.Radiomics.Families;

/// <summary>
/// IBSI grey level run length matrix features (TP0I): runs of equal grey level along 4 in-slice or 13 volumetric
/// directions, inside the intensity mask, with all six IBSI aggregations.
/// </summary>
internal static class Glrlm
{
    public const string Family = "glrlm";

    public static readonly FeatureDef[] Features =
    [
        new("sre", "22OV"), new("lre", "W4KF"), new("lgre", "V3SW"), new("hgre", "G3QZ"),
        new("srlge", "HTZT"), new("srhge", "GD3A"), new("lrlge", "IVPO"), new("lrhge", "3KUM"),
        new("glnu", "R5YN"), new("glnu_norm", "OVBL"), new("rlnu", "W92Y"), new("rlnu_norm", "IC23"),
        new("r_perc", "9ZK5"), new("gl_var", "8CE5"), new("rl_var", "SXLW"), new("rl_entr", "HJ9O"),
    ];

    /// <summary>A run length matrix r[i, j] (grey level i, run length j) and the voxel count it covers.</summary>
    private sealed class RunMatrix(int ng, int maxRun)
    {
        public readonly double[] R = new double[ng * maxRun];
        public double Voxels;
        public readonly int Ng = ng, MaxRun = maxRun;
        public double Runs() { double s = 0; foreach (var v in R) s += v; return s; }
        public void Add(RunMatrix o) { for (var t = 0; t < R.Length; t++) R[t] += o.R[t]; Voxels += o.Voxels; }
        public void Clear() { Array.Clear(R); Voxels = 0; }
    }

    public static void Compute(PreparedRoi roi, RadiomicsSettings s, FeatureSink sink)
    {
        var ng = roi.Ng;
        var maxRun = Math.Max(roi.X1 - roi.X0, Math.Max(roi.Y1 - roi.Y0, roi.Z1 - roi.Z0)) + 1;
        if (s.Has(TextureApproach.TwoD) || s.Has(TextureApproach.TwoPointFiveD))
        {
            var perSliceDir = new FeatureAverage(Features.Length);
            var perSlice = new FeatureAverage(Features.Length);
            var byDirection = Enumerable.Range(0, 4).Select(_ => new RunMatrix(ng, maxRun)).ToArray();
            var all = new RunMatrix(ng, maxRun);
            var slice = Enumerable.Range(0, 4).Select(_ => new RunMatrix(ng, maxRun)).ToArray();
            var merged = new RunMatrix(ng, maxRun);
            for (var z = roi.Z0; z <= roi.Z1; z++)
            {
                merged.Clear();
                for (var d = 0; d < 4; d++)
                {
                    slice[d].Clear();
                    Count(roi, TextureSupport.Directions2D[d], z, z, slice[d]);
                    if (slice[d].Runs() > 0) perSliceDir.Add(Compute(slice[d]));
                    merged.Add(slice[d]);
                    byDirection[d].Add(slice[d]);
                }
                if (merged.Runs() > 0) perSlice.Add(Compute(merged));
                all.Add(merged);
            }
            if (s.Has(TextureApproach.TwoD))
            {
                TextureSupport.Emit(sink, Family, Features, perSliceDir.Mean(), Aggregation.TwoDAveraged);
                TextureSupport.Emit(sink, Family, Features, perSlice.Mean(), Aggregation.TwoDSliceMerged);
            }
            if (s.Has(TextureApproach.TwoPointFiveD))
            {
                var perDir = new FeatureAverage(Features.Length);
                foreach (var m in byDirection) perDir.Add(Compute(m));
                TextureSupport.Emit(sink, Family, Features, perDir.Mean(), Aggregation.TwoPointFiveDDirectionMerged);
                TextureSupport.Emit(sink, Family, Features, Compute(all), Aggregation.TwoPointFiveDMerged);
            }
        }
        if (s.Has(TextureApproach.ThreeD))
        {
            var perDir = new FeatureAverage(Features.Length);
            var all = new RunMatrix(ng, maxRun);
            var m = new RunMatrix(ng, maxRun);
            foreach (var dir in TextureSupport.Directions3D)
            {
                m.Clear();
                Count(roi, dir, roi.Z0, roi.Z1, m);
                perDir.Add(Compute(m));
                all.Add(m);
            }
            TextureSupport.Emit(sink, Family, Features, perDir.Mean(), Aggregation.ThreeDAveraged);
            TextureSupport.Emit(sink, Family, Features, Compute(all), Aggregation.ThreeDMerged);
        }
    }

    // A run starts at a mask voxel whose predecessor along the direction is outside the mask or of another grey level.
    private static void Count(PreparedRoi roi, (int X, int Y, int Z) d, int z0, int z1, RunMatrix m)
    {
        bool Same(int x, int y, int z, int level) =>
            z >= z0 && z <= z1 && TextureSupport.InMask(roi, x, y, z) && roi.Level[roi.Index(x, y, z)] == level;
        for (var z = z0; z <= z1; z++)
            for (var y = roi.Y0; y <= roi.Y1; y++)
                for (var x = roi.X0; x <= roi.X1; x++)
                {
                    var n = roi.Index(x, y, z);
                    if (!roi.Mask[n]) continue;
                    m.Voxels++;
                    var level = roi.Level[n];
                    if (Same(x - d.X, y - d.Y, z - d.Z, level)) continue;
                    var length = 1;
                    while (Same(x + d.X * length, y + d.Y * length, z + d.Z * length, level)) length++;
                    m.R[(level - 1) * m.MaxRun + length - 1]++;
                }
    }

    private static double[] Compute(RunMatrix m)
    {
        int ng = m.Ng, nr = m.MaxRun;
        var ns = m.Runs();
        var byLevel = new double[ng];
        var byLength = new double[nr];
        double sre = 0, lre = 0, lgre = 0, hgre = 0, srlge = 0, srhge = 0, lrlge = 0, lrhge = 0, entr = 0, muI = 0, muJ = 0;
        for (var a = 0; a < ng; a++)
            for (var b = 0; b < nr; b++)
            {
                var r = m.R[a * nr + b];
                if (r == 0) continue;
                double i = a + 1, j = b + 1;
                byLevel[a] += r; byLength[b] += r;
                sre += r / (j * j); lre += r * j * j; lgre += r / (i * i); hgre += r * i * i;
                srlge += r / (i * i * j * j); srhge += r * i * i / (j * j); lrlge += r * j * j / (i * i); lrhge += r * i * i * j * j;
                var p = r / ns;
                entr -= p * Math.Log2(p);
                muI += i * p; muJ += j * p;
            }
        double glnu = 0, rlnu = 0, glVar = 0, rlVar = 0;
        for (var a = 0; a < ng; a++) { glnu += byLevel[a] * byLevel[a]; glVar += (a + 1 - muI) * (a + 1 - muI) * byLevel[a] / ns; }
        for (var b = 0; b < nr; b++) { rlnu += byLength[b] * byLength[b]; rlVar += (b + 1 - muJ) * (b + 1 - muJ) * byLength[b] / ns; }
        return
        [
            sre / ns, lre / ns, lgre / ns, hgre / ns, srlge / ns, srhge / ns, lrlge / ns, lrhge / ns,
            glnu / ns, glnu / (ns * ns), rlnu / ns, rlnu / (ns * ns), ns / m.Voxels, glVar, rlVar, entr,
        ];
    }
}
