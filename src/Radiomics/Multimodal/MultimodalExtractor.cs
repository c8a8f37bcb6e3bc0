using FedRad.Imaging;
using FedRad.Imaging.Resampling;
using FedRad.Radiomics.Features;
using FedRad.Radiomics.Processing;
using FedRad.Radiomics.Settings;

namespace FedRad.Radiomics.Multimodal;

/// <summary>One modality of a multimodal extraction: its name (column prefix, e.g. "PT"), image and settings.</summary>
public sealed record ModalityImage(string Modality, ImageVolume Image, RadiomicsSettings Settings);

/// <summary>
/// PET and CT (or any modalities) features from the same ROI: every image is brought onto the grid of the
/// reference modality, the ROI mask too if it was drawn on another grid, then each modality is extracted with its
/// own settings and its features carry the modality as prefix ("pt_glcm_joint_max_3d_avg", "ct_...").
/// </summary>
public static class MultimodalExtractor
{
    public static FeatureSet Extract(IReadOnlyList<ModalityImage> images, MaskVolume mask, string referenceModality,
        InterpolationMethod crossModalityInterpolation = InterpolationMethod.Linear)
    {
        if (images.Count == 0) throw new ArgumentException("no image given", nameof(images));
        var duplicates = images.GroupBy(i => i.Modality.ToLowerInvariant()).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        if (duplicates.Count > 0) throw new ArgumentException($"modality {string.Join(", ", duplicates)} given twice; prefixes must be unique", nameof(images));
        var reference = images.FirstOrDefault(i => string.Equals(i.Modality, referenceModality, StringComparison.OrdinalIgnoreCase))
            ?? throw new ArgumentException($"reference modality '{referenceModality}' is not among {string.Join(", ", images.Select(i => i.Modality))}", nameof(referenceModality));
        var grid = reference.Image.Grid;

        var roiMask = mask;
        if (!mask.Grid.SameGeometry(grid))
        {
            var ip = reference.Settings.Interpolation;
            roiMask = Resampler.ResampleMask(mask, grid, ip.RoiMethod, ip.PartialVolumeThreshold);
            if (roiMask.Count() == 0)
                throw new RadiomicsInputException($"ROI '{mask.Name}' has no voxel on the {reference.Modality} grid after resampling: the mask lies outside that image");
        }

        var values = new List<FeatureValue>();
        var notes = new List<string>();
        FeatureSet? referenceSet = null;
        var timings = new List<(string, TimeSpan)>();
        foreach (var m in images)
        {
            var image = m.Image.Grid.SameGeometry(grid) ? m.Image : Resampler.Resample(m.Image, grid, crossModalityInterpolation);
            var set = RadiomicsExtractor.Extract(image, roiMask, m.Settings).WithFamilyPrefix(m.Modality.ToLowerInvariant());
            if (ReferenceEquals(m, reference)) referenceSet = set;
            values.AddRange(set.Values);
            notes.AddRange(set.Notes.Select(n => $"{m.Modality}: {n}"));
            timings.AddRange(set.Timings.Select(t => ($"{m.Modality.ToLowerInvariant()}_{t.Step}", t.Elapsed)));
        }
        return new FeatureSet(values, referenceSet!.MorphologicalVoxelCount, referenceSet.IntensityVoxelCount, referenceSet.GreyLevels, notes, timings);
    }
}
