using FedRad.Radiomics.Features;
using FedRad.Radiomics.Processing;
using FedRad.Radiomics.Settings;

namespace FedRad.Radiomics.Families;

/// <summary>
/// IBSI neighbouring grey level dependence matrix features (REK0): for each voxel, the dependence count k is 1 plus
/// the number of ROI neighbours within Chebyshev distance δ whose grey level differs by at most α.
/// </summary>
internal static class Ngldm
{
    public const string Family = "ngldm";

    public static readonly FeatureDef[] Features =
    [
        new("lde", "SODN"), new("hde", "IMOQ"), new("lgce", "TL9H"), new("hgce", "OAE7"),
        new("ldlge", "EQ3F"), new("ldhge", "JA6D"), new("hdlge", "NBZI"), new("hdhge", "9QMG"),
        new("glnu", "FP8K"), new("glnu_norm", "5SPA"), new("dcnu", "Z87G"), new("dcnu_norm", "OKJI"),
        new("dc_perc", "6XV8"), new("gl_var", "1PFV"), new("dc_var", "DNX2"), new("dc_entr", "FCBV"), new("dc_energy", "CAS9"),
    ];

    public static void Compute(PreparedRoi roi, RadiomicsSettings s, FeatureSink sink)
    {
        var ng = roi.Ng;
        var alpha = s.Texture.NgldmAlpha;
        if (s.Has(TextureApproach.TwoD) || s.Has(TextureApproach.TwoPointFiveD))
        {
            var offsets = TextureSupport.Neighbourhood(s.Texture.NgldmDistance, threeD: false);
            var kMax = offsets.Length + 1;
            var perSlice = new FeatureAverage(Features.Length);
            var all = new double[ng * kMax];
            double allVoxels = 0;
            for (var z = roi.Z0; z <= roi.Z1; z++)
            {
                var m = new double[ng * kMax];
                var voxels = Count(roi, offsets, alpha, z, z, m);
                if (voxels == 0) continue;
                perSlice.Add(Compute(m, ng, kMax, voxels));
                for (var t = 0; t < m.Length; t++) all[t] += m[t];
                allVoxels += voxels;
            }
            if (s.Has(TextureApproach.TwoD)) TextureSupport.Emit(sink, Family, Features, perSlice.Mean(), Aggregation.TwoD);
            if (s.Has(TextureApproach.TwoPointFiveD)) TextureSupport.Emit(sink, Family, Features, Compute(all, ng, kMax, allVoxels), Aggregation.TwoPointFiveD);
        }
        if (s.Has(TextureApproach.ThreeD))
        {
            var offsets = TextureSupport.Neighbourhood(s.Texture.NgldmDistance, threeD: true);
            var kMax = offsets.Length + 1;
            var m = new double[ng * kMax];
            var voxels = Count(roi, offsets, alpha, roi.Z0, roi.Z1, m);
            TextureSupport.Emit(sink, Family, Features, Compute(m, ng, kMax, voxels), Aggregation.ThreeD);
        }
    }

    private static int Count(PreparedRoi roi, (int X, int Y, int Z)[] offsets, int alpha, int z0, int z1, double[] m)
    {
        var kMax = offsets.Length + 1;
        var voxels = 0;
        for (var z = z0; z <= z1; z++)
            for (var y = roi.Y0; y <= roi.Y1; y++)
                for (var x = roi.X0; x <= roi.X1; x++)
                {
                    var c = roi.Index(x, y, z);
                    if (!roi.Mask[c]) continue;
                    voxels++;
                    var i = roi.Level[c];
                    var k = 1;
                    foreach (var (dx, dy, dz) in offsets)
                    {
                        int qx = x + dx, qy = y + dy, qz = z + dz;
                        if (qz < z0 || qz > z1 || !TextureSupport.InMask(roi, qx, qy, qz)) continue;
                        if (Math.Abs(roi.Level[roi.Index(qx, qy, qz)] - i) <= alpha) k++;
                    }
                    m[(i - 1) * kMax + k - 1]++;
                }
        return voxels;
    }

    private static double[] Compute(double[] m, int ng, int kMax, double voxels)
    {
        var ns = m.Sum();
        var byLevel = new double[ng];
        var byCount = new double[kMax];
        double lde = 0, hde = 0, lgce = 0, hgce = 0, ldlge = 0, ldhge = 0, hdlge = 0, hdhge = 0, muI = 0, muJ = 0, entr = 0, energy = 0;
        for (var a = 0; a < ng; a++)
            for (var b = 0; b < kMax; b++)
            {
                var v = m[a * kMax + b];
                if (v == 0) continue;
                double i = a + 1, j = b + 1;
                byLevel[a] += v; byCount[b] += v;
                lde += v / (j * j); hde += v * j * j; lgce += v / (i * i); hgce += v * i * i;
                ldlge += v / (i * i * j * j); ldhge += v * i * i / (j * j); hdlge += v * j * j / (i * i); hdhge += v * i * i * j * j;
                var p = v / ns;
                muI += i * p; muJ += j * p;
                entr -= p * Math.Log2(p);
                energy += p * p;
            }
        double glnu = 0, dcnu = 0, glVar = 0, dcVar = 0;
        for (var a = 0; a < ng; a++) { glnu += byLevel[a] * byLevel[a]; glVar += (a + 1 - muI) * (a + 1 - muI) * byLevel[a] / ns; }
        for (var b = 0; b < kMax; b++) { dcnu += byCount[b] * byCount[b]; dcVar += (b + 1 - muJ) * (b + 1 - muJ) * byCount[b] / ns; }
        return
        [
            lde / ns, hde / ns, lgce / ns, hgce / ns, ldlge / ns, ldhge / ns, hdlge / ns, hdhge / ns,
            glnu / ns, glnu / (ns * ns), dcnu / ns, dcnu / (ns * ns), ns / voxels, glVar, dcVar, entr, energy,
        ];
    }
}
