using FedRad.Imaging;
using FedRad.Imaging.Nifti;
using FedRad.Imaging.Pet;
using FedRad.Imaging.Rois;
using FedRad.Imaging.Series;
using FedRad.Imaging.Spect;

namespace FedRad.Radiomics.Io;

/// <summary>Where one ROI's image and mask come from, as given on the command line or in a batch manifest.</summary>
/// <param name="ImagePath">A DICOM series folder (or file) or a NIfTI image (.nii, .nii.gz).</param>
/// <param name="MaskPath">An RTSTRUCT or SEG file, a NIfTI mask, or a folder holding one of them.</param>
/// <param name="RoiName">RTSTRUCT ROI name (or SEG segment label).</param>
/// <param name="Segment">SEG segment number or NIfTI label.</param>
/// <param name="Modality">CT, PT or NM. A PET DICOM series is converted to SUV (body weight); a SPECT (NM) series to
/// SUV (body weight) as far as <paramref name="SpectCalibration"/> or vendor quantification allow, else Bq/mL or counts;
/// NIfTI values are used as stored.</param>
/// <param name="SpectCalibration">The site's SPECT camera calibration, for NM rows, which must then reach SUV
/// (<see cref="SuvRefusedException"/> otherwise); null: counts unless the header carries vendor units.</param>
/// <param name="Threshold">Automatic PET delineation (PT rows only): the ROI is the thresholded part of the mask's region.</param>
public sealed record RoiInput(string ImagePath, string MaskPath, string? RoiName, int? Segment, string Modality,
    SpectCalibrationTable? SpectCalibration = null, ThresholdDelineation? Threshold = null);

/// <summary>Loads an image and its ROI mask through the Imaging readers (DICOM series, PET SUV, SPECT, NIfTI, RTSTRUCT, SEG).</summary>
public static class RoiInputLoader
{
    public static (ImageVolume Image, MaskVolume Mask, IReadOnlyList<string> Warnings) Load(RoiInput input)
    {
        if (input.Threshold is not null && input.Modality != "PT")
            throw new InvalidDataException($"{input.ImagePath}: automatic PET delineation ({input.Threshold}) needs a PET image (modality PT), not {input.Modality}");
        var (image, frame, warnings) = LoadImage(input);
        var roi = RoiLoader.Load(input.MaskPath, image.Grid, frame, new RoiSelection(input.RoiName, input.Segment));
        if (input.Threshold is not { } threshold) return (image, roi.Mask, [.. warnings, .. roi.Warnings]);
        var delineated = threshold.Apply(image, roi.Mask);
        if (!delineated.Voxels.Contains(true))
            throw new InvalidDataException($"{input.ImagePath}: automatic PET delineation ({threshold}) left no voxel of the region '{roi.Mask.Name}'");
        return (image, delineated, [.. warnings, .. roi.Warnings]);
    }

    /// <summary>The image alone (for a modality that takes its ROI from another image of a multimodal set).</summary>
    public static (ImageVolume Image, string? FrameOfReferenceUid, IReadOnlyList<string> Warnings) LoadImage(RoiInput input)
    {
        if (IsNifti(input.ImagePath))
        {
            var nifti = NiftiReader.Read(input.ImagePath);
            return (nifti.ToImageVolume(input.Modality is "PT" or "NM" ? "as stored" : ""), null, nifti.Warnings);
        }
        if (input.Modality == "PT")
        {
            var pet = PetSeries.Load(input.ImagePath);
            return (pet.Suv, pet.FrameOfReferenceUid, pet.Warnings);
        }
        if (input.Modality == "NM")
        {
            var spect = LoadSpect(input);
            List<string> warnings = [.. spect.Warnings];
            // Features of counts or Bq/mL are not comparable with SUV features: say which quantity they come from.
            if (spect.Quantity != SpectQuantity.Suv)
                warnings.Add($"{input.ImagePath}: features computed from {spect.Values.Unit}, not SUV"
                    + (input.SpectCalibration is null ? " (no SPECT calibration was given)" : ""));
            return (spect.Values, spect.FrameOfReferenceUid, warnings);
        }
        var series = DicomSeriesReader.Load(input.ImagePath, input.Modality);
        return (series.Image, series.FrameOfReferenceUid, series.Warnings);
    }

    /// <summary>
    /// A DICOM SPECT (NM) row's image as its features are computed from, with its acquisition. With a calibration the
    /// cohort is meant to be in SUV: a row that cannot reach it fails (with the reason) instead of slipping counts in among SUVs.
    /// </summary>
    public static SpectImage LoadSpect(RoiInput input) => SpectSeries.Load(input.ImagePath, new SpectLoadOptions
    {
        Calibration = input.SpectCalibration,
        Require = input.SpectCalibration is null ? SpectQuantity.Counts : SpectQuantity.Suv,
    });

    public static string NormaliseModality(string? modality) => (modality ?? "CT").Trim().ToUpperInvariant() switch
    {
        "CT" => "CT",
        "PT" or "PET" => "PT",
        "NM" or "SPECT" => "NM",
        var m => throw new ArgumentException($"modality '{modality}' is not CT, PT or NM"),
    };

    public static bool IsNifti(string path) =>
        File.Exists(path) && (path.EndsWith(".nii", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".nii.gz", StringComparison.OrdinalIgnoreCase));
}
