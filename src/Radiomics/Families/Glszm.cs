using FedRad.Radiomics.Features;
using FedRad.Radiomics.Processing;
using FedRad.Radiomics.Settings;

namespace FedRad.Radiomics.Families;

/// <summary>IBSI grey level size zone matrix features (9SAK): zones of equal grey level and their sizes.</summary>
internal static class Glszm
{
    public const string Family = "glszm";

    public static readonly FeatureDef[] Features =
    [
        new("sze", "5QRC"), new("lze", "48P8"), new("lgze", "XMSY"), new("hgze", "5GN9"),
        new("szlge", "5RAI"), new("szhge", "HW1V"), new("lzlge", "YH51"), new("lzhge", "J17V"),
        new("glnu", "JNSA"), new("glnu_norm", "Y1RO"), new("zsnu", "4JP3"), new("zsnu_norm", "VB3A"),
        new("z_perc", "P30P"), new("gl_var", "BYLV"), new("zs_var", "3NSA"), new("zs_entr", "GU8N"),
    ];

    public static void Compute(PreparedRoi roi, RadiomicsSettings s, FeatureSink sink)
    {
        if (s.Has(TextureApproach.TwoD) || s.Has(TextureApproach.TwoPointFiveD))
        {
            var perSlice = new FeatureAverage(Features.Length);
            var seen = new bool[roi.Mask.Length];
            var merged = new List<(int, int)>();
            double mergedVoxels = 0;
            for (var z = roi.Z0; z <= roi.Z1; z++)
            {
                var zones = Zones.Find(roi, z, z, threeD: false, distance: null, seen).Select(q => (q.Level, q.Size)).ToList();
                if (zones.Count == 0) continue;
                var voxels = zones.Sum(q => q.Size);
                perSlice.Add(Zones.Features(zones, voxels));
                merged.AddRange(zones);
                mergedVoxels += voxels;
            }
            if (s.Has(TextureApproach.TwoD)) TextureSupport.Emit(sink, Family, Features, perSlice.Mean(), Aggregation.TwoD);
            if (s.Has(TextureApproach.TwoPointFiveD)) TextureSupport.Emit(sink, Family, Features, Zones.Features(merged, mergedVoxels), Aggregation.TwoPointFiveD);
        }
        if (s.Has(TextureApproach.ThreeD))
        {
            var zones = Zones.Find(roi, roi.Z0, roi.Z1, threeD: true, distance: null, new bool[roi.Mask.Length]).Select(q => (q.Level, q.Size)).ToList();
            TextureSupport.Emit(sink, Family, Features, Zones.Features(zones, roi.MaskCount), Aggregation.ThreeD);
        }
    }
}
