using FedRad.Radiomics.Features;

namespace FedRad.Radiomics.Multimodal;

/// <summary>
/// Delta radiomics between two timepoints of the same ROI: for each feature present in both sets, the difference
/// (follow-up − baseline, family prefix "delta_diff") and the relative change ((follow-up − baseline) / |baseline|,
/// family prefix "delta_rel"). The relative change is NaN when the baseline is 0, and both are NaN when either value is.
/// </summary>
public static class DeltaRadiomics
{
    public static FeatureSet Compute(FeatureSet baseline, FeatureSet followUp)
    {
        var before = baseline.Values.ToDictionary(v => (v.Feature, v.Aggregation));
        var values = new List<FeatureValue>();
        var rel = new List<FeatureValue>();
        foreach (var after in followUp.Values)
        {
            if (!before.TryGetValue((after.Feature, after.Aggregation), out var b)) continue;
            double diff = after.Value - b.Value, relative = diff / Math.Abs(b.Value);
            var undefined = double.IsNaN(b.Value) || double.IsNaN(after.Value) ? "undefined at one timepoint" : null;
            values.Add(after with { Family = $"delta_diff_{after.Family}", Value = diff, NanReason = double.IsNaN(diff) ? undefined : null });
            var relWhy = undefined ?? (b.Value == 0 ? "baseline value is 0" : null);
            rel.Add(after with { Family = $"delta_rel_{after.Family}", Value = relWhy is null ? relative : double.NaN, NanReason = relWhy });
        }
        values.AddRange(rel);
        return new FeatureSet(values, followUp.MorphologicalVoxelCount, followUp.IntensityVoxelCount, followUp.GreyLevels,
            [$"delta of {values.Count / 2} features present at both timepoints"]);
    }
}
