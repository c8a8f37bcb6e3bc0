using System.Diagnostics;
using FedRad.Imaging;
using FedRad.Radiomics.Families;
using FedRad.Radiomics.Features;
using FedRad.Radiomics.Processing;
using FedRad.Radiomics.Settings;

namespace FedRad.Radiomics;

/// <summary>
/// The one entry point for IBSI feature extraction, shared by the site agent, the CLI and the tests:
/// image + ROI mask + settings → <see cref="FeatureSet"/>.
/// </summary>
public static class RadiomicsExtractor
{
    /// <summary>
    /// Extracts every enabled feature family for one ROI. The mask must lie on the image's grid (resample it first,
    /// e.g. with <see cref="FedRad.Imaging.Resampling.Resampler.ResampleMask"/>). Throws
    /// <see cref="RadiomicsInputException"/> for inputs no feature can be computed from; features undefined for a
    /// particular ROI are NaN with a reason in <see cref="FeatureValue.NanReason"/>.
    /// </summary>
    public static FeatureSet Extract(ImageVolume image, MaskVolume mask, RadiomicsSettings settings)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(mask);
        settings.Validate();
        var timings = new List<(string, TimeSpan)>();
        var clock = Stopwatch.StartNew();
        var roi = RoiPreparation.Prepare(image, mask, settings);
        timings.Add(("preparation", clock.Elapsed));

        var sink = new FeatureSink();
        void Run(FeatureFamily family, Action compute)
        {
            if (!settings.Families.Contains(family)) return;
            clock.Restart();
            compute();
            timings.Add((SettingsLoader.FamilyKey(family), clock.Elapsed));
        }
        Run(FeatureFamily.Morphology, () => Morphology.Compute(roi, sink));
        Run(FeatureFamily.LocalIntensity, () => LocalIntensity.Compute(roi, sink));
        Run(FeatureFamily.IntensityStatistics, () => IntensityStatistics.Compute(roi, sink));
        Run(FeatureFamily.IntensityHistogram, () => IntensityHistogram.Compute(roi, sink));
        Run(FeatureFamily.IntensityVolumeHistogram, () => IntensityVolumeHistogram.Compute(roi, sink));
        Run(FeatureFamily.Glcm, () => Glcm.Compute(roi, settings, sink));
        Run(FeatureFamily.Glrlm, () => Glrlm.Compute(roi, settings, sink));
        Run(FeatureFamily.Glszm, () => Glszm.Compute(roi, settings, sink));
        Run(FeatureFamily.Gldzm, () => Gldzm.Compute(roi, settings, sink));
        Run(FeatureFamily.Ngtdm, () => Ngtdm.Compute(roi, settings, sink));
        Run(FeatureFamily.Ngldm, () => Ngldm.Compute(roi, settings, sink));
        return new FeatureSet(sink.Values, roi.MorphCount, roi.MaskCount, roi.Ng, roi.Notes, timings);
    }
}
