using FedRad.Dicom;
using FedRad.Imaging.Nifti;
using FedRad.Imaging.Resampling;

namespace FedRad.Imaging.Rois;

/// <summary>Which ROI of a file: an RTSTRUCT ROI name, a SEG segment number, or a NIfTI label (null: the only one / every non-zero voxel).</summary>
public sealed record RoiSelection(string? RoiName = null, int? SegmentNumber = null, int? Label = null);

/// <summary>A mask laid on an image grid, with where it came from and what to know about it.</summary>
public sealed record RoiMask(MaskVolume Mask, string SourcePath, string Kind, IReadOnlyList<string> Warnings);

/// <summary>
/// Loads a region of interest onto an image grid from an RTSTRUCT file, a DICOM SEG file, a NIfTI mask
/// (.nii/.nii.gz, e.g. nnU-Net output), or a folder holding exactly one of them. RTSTRUCT and SEG must share the
/// image's Frame of Reference UID. A NIfTI mask on another grid is brought over by nearest-neighbour resampling
/// through patient coordinates (with a warning); on the same grid it is used as is.
/// </summary>
public static class RoiLoader
{
    public static RoiMask Load(string path, ImageGrid target, string? frameOfReferenceUid, RoiSelection? selection = null) =>
        ImageFormatException.Wrap(() => LoadFile(path, target, frameOfReferenceUid, selection));

    private static RoiMask LoadFile(string path, ImageGrid target, string? frameOfReferenceUid, RoiSelection? selection)
    {
        selection ??= new RoiSelection();
        var file = Resolve(path);
        var warnings = new List<string>();
        if (IsNifti(file))
        {
            var nifti = NiftiReader.Read(file);
            warnings.AddRange(nifti.Warnings);
            var label = selection.Label ?? selection.SegmentNumber;
            if (label is { } l && !nifti.Labels().Contains(l))
                throw new ImageFormatException(file, -1, $"label {l} is not in the mask; it has labels {string.Join(", ", nifti.Labels())}");
            var mask = nifti.ToMask(label);
            if (!mask.Grid.SameGeometry(target, 0.01))
            {
                warnings.Add($"{file}: the NIfTI mask's grid ({mask.Grid.SizeX}x{mask.Grid.SizeY}x{mask.Grid.SizeZ}) differs from the image grid; resampled by nearest neighbour");
                mask = Resampler.ResampleMask(mask, target, InterpolationMethod.Nearest);
            }
            else mask = new MaskVolume(target, mask.Voxels, mask.Name);
            return new RoiMask(mask, file, "NIfTI", warnings);
        }

        var dicom = DicomReader.Read(file);
        var modality = dicom.Dataset.GetString(DicomTags.Modality);
        switch (modality)
        {
            case "RTSTRUCT":
            {
                var set = RtStructureSet.FromFile(dicom);
                var roi = selection.RoiName is { } name ? set.Roi(name)
                    : set.Rois.Count == 1 ? set.Rois[0]
                    : throw new ImageFormatException(file, -1, $"the structure set has {set.Rois.Count} ROIs ({string.Join(", ", set.Rois.Select(r => $"'{r.Name}'"))}): choose one by name");
                CheckFrame(file, roi.FrameOfReferenceUid, frameOfReferenceUid, warnings);
                return new RoiMask(ContourRasterizer.Rasterize(roi, target, warnings), file, "RTSTRUCT", warnings);
            }
            case "SEG":
            {
                var seg = Segmentation.FromFile(dicom);
                var number = selection.SegmentNumber
                    ?? (selection.RoiName is { } label ? seg.Segments.FirstOrDefault(s => s.Label == label)?.Number : null)
                    ?? (seg.Segments.Count == 1 ? seg.Segments[0].Number
                        : throw new ImageFormatException(file, -1, $"the SEG has {seg.Segments.Count} segments ({string.Join(", ", seg.Segments.Select(s => $"{s.Number} '{s.Label}'"))}): choose one by number"));
                CheckFrame(file, seg.FrameOfReferenceUid, frameOfReferenceUid, warnings);
                return new RoiMask(seg.ToMask(number, target, warnings), file, "SEG", warnings);
            }
            default:
                throw new ImageFormatException(file, -1, $"Modality '{modality}' is not an ROI (RTSTRUCT or SEG)");
        }
    }

    private static void CheckFrame(string file, string? roiFrame, string? imageFrame, List<string> warnings)
    {
        if (roiFrame is null || imageFrame is null)
        {
            warnings.Add($"{file}: Frame of Reference UID missing on the {(roiFrame is null ? "ROI" : "image")}; patient coordinates are assumed to match");
            return;
        }
        if (roiFrame != imageFrame)
            throw new ImageFormatException(file, -1, $"the ROI's Frame of Reference UID {roiFrame} differs from the image's {imageFrame}: they are not in the same patient coordinates");
    }

    private static bool IsNifti(string path) =>
        path.EndsWith(".nii", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".nii.gz", StringComparison.OrdinalIgnoreCase);

    /// <summary>A file as given; a folder must hold exactly one RTSTRUCT, SEG or NIfTI file.</summary>
    private static string Resolve(string path)
    {
        if (File.Exists(path)) return path;
        if (!Directory.Exists(path)) throw new ImageFormatException(path, -1, "no such file or folder");
        var candidates = new List<string>();
        foreach (var f in Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            if (IsNifti(f)) { candidates.Add(f); continue; }
            try
            {
                var m = DicomReader.Read(f).Dataset.GetString(DicomTags.Modality);
                if (m is "RTSTRUCT" or "SEG") candidates.Add(f);
            }
            catch (DicomFormatException) { }
        }
        return candidates.Count == 1 ? candidates[0]
            : throw new ImageFormatException(path, -1, candidates.Count == 0
                ? "holds no RTSTRUCT, SEG or NIfTI file"
                : $"holds {candidates.Count} ROI files ({string.Join(", ", candidates.Select(Path.GetFileName))}); name one");
    }
}
