using FedRad.Radiomics.Features;
using FedRad.Radiomics.Processing;
using FedRad.Radiomics.Settings;

namespace FedRad.Radiomics.Families;

/// <summary>
/// IBSI grey level distance zone matrix features (VMDZ): zones of equal grey level and their distance to the ROI
/// border (smallest border distance of the zone's voxels, measured on the morphological mask).
/// </summary>
internal static class Gldzm
{
    public const string Family = "gldzm";

    public static readonly FeatureDef[] Features =
    [
        new("sde", "0GBI"), new("lde", "MB4I"), new("lgze", "S1RA"), new("hgze", "K26C"),
        new("sdlge", "RUVG"), new("sdhge", "DKNJ"), new("ldlge", "A7WM"), new("ldhge", "KLTH"),
        new("glnu", "VFT7"), new("glnu_norm", "7HP3"), new("zdnu", "V294"), new("zdnu_norm", "IATH"),
        new("z_perc", "VIWW"), new("gl_var", "QK93"), new("zd_var", "7WT1"), new("zd_entr", "GBDU"),
    ];

    public static void Compute(PreparedRoi roi, RadiomicsSettings s, FeatureSink sink)
    {
        if (s.Has(TextureApproach.TwoD) || s.Has(TextureApproach.TwoPointFiveD))
        {
            var distance = Zones.BorderDistance(roi, threeD: false);
            var perSlice = new FeatureAverage(Features.Length);
            var seen = new bool[roi.Mask.Length];
            var merged = new List<(int, int)>();
            double mergedVoxels = 0;
            for (var z = roi.Z0; z <= roi.Z1; z++)
            {
                var zones = Zones.Find(roi, z, z, threeD: false, distance, seen);
                if (zones.Count == 0) continue;
                var pairs = zones.Select(q => (q.Level, q.Distance)).ToList();
                var voxels = zones.Sum(q => q.Size);
                perSlice.Add(Zones.Features(pairs, voxels));
                merged.AddRange(pairs);
                mergedVoxels += voxels;
            }
            if (s.Has(TextureApproach.TwoD)) TextureSupport.Emit(sink, Family, Features, perSlice.Mean(), Aggregation.TwoD);
            if (s.Has(TextureApproach.TwoPointFiveD)) TextureSupport.Emit(sink, Family, Features, Zones.Features(merged, mergedVoxels), Aggregation.TwoPointFiveD);
        }
        if (s.Has(TextureApproach.ThreeD))
        {
            var distance = Zones.BorderDistance(roi, threeD: true);
            var zones = Zones.Find(roi, roi.Z0, roi.Z1, threeD: true, distance, new bool[roi.Mask.Length]).Select(q => (q.Level, q.Distance)).ToList();
            TextureSupport.Emit(sink, Family, Features, Zones.Features(zones, roi.MaskCount), Aggregation.ThreeD);
        }
    }
}
