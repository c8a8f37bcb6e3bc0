using FedRad.Dicom;

namespace FedRad.Imaging.Series;

/// <summary>
/// One image plane of a series: a single-frame file, or one frame of an enhanced multi-frame file whose geometry and
/// rescale come from its per-frame (else shared) functional groups (PS3.3 C.7.6.16).
/// </summary>
public sealed record SeriesSlice(
    DicomFile File, int Frame, Vec3 Position, Vec3 RowDirection, Vec3 ColumnDirection,
    double RowSpacing, double ColumnSpacing, int Rows, int Columns, double RescaleSlope, double RescaleIntercept)
{
    public DicomDataset Dataset => File.Dataset;
    public Vec3 Normal => RowDirection.Cross(ColumnDirection);

    public override string ToString() => Frame == 0 && File.Dataset.GetInt(DicomTags.NumberOfFrames) is null or 1
        ? Path.GetFileName(File.Path) : $"{Path.GetFileName(File.Path)} frame {Frame + 1}";

    /// <summary>
    /// The planes of a file: one for a classic image, one per frame for an enhanced multi-frame image or an NM
    /// reconstruction (<see cref="NmImage"/>).
    /// </summary>
    public static IEnumerable<SeriesSlice> FromFile(DicomFile file)
    {
        var ds = file.Dataset;
        if (NmImage.Applies(ds)) return NmImage.Slices(file);
        return Planes(file);
    }

    private static IEnumerable<SeriesSlice> Planes(DicomFile file)
    {
        var ds = file.Dataset;
        int frames;
        try { frames = ds.GetInt(DicomTags.NumberOfFrames) ?? 1; }
        catch (FormatException e) { throw new ImageFormatException(file.Path, -1, e.Message, e); }
        var enhanced = ds.Contains(DicomTags.PerFrameFunctionalGroupsSequence) || ds.Contains(DicomTags.SharedFunctionalGroupsSequence);
        if (frames > 1 && !enhanced)
            throw new ImageFormatException(file.Path, -1, $"{frames} frames but no functional groups: a multi-frame image without per-frame geometry is not read as a volume");
        for (var f = 0; f < frames; f++)
        {
            SeriesSlice slice;
            try { slice = Build(file, f, enhanced); }
            catch (FormatException e) { throw new ImageFormatException(file.Path, -1, $"frame {f + 1}: {e.Message}", e); }
            yield return slice;
        }
    }

    private static SeriesSlice Build(DicomFile file, int frame, bool enhanced)
    {
        var ds = file.Dataset;
        DicomDataset Source(DicomTag sequence) => enhanced ? FunctionalGroup(ds, frame, sequence) ?? ds : ds;

        var position = Source(DicomTags.PlanePositionSequence).GetDoubles(DicomTags.ImagePositionPatient);
        var orientation = Source(DicomTags.PlaneOrientationSequence).GetDoubles(DicomTags.ImageOrientationPatient);
        var spacing = Source(DicomTags.PixelMeasuresSequence).GetDoubles(DicomTags.PixelSpacing);
        var transform = Source(DicomTags.PixelValueTransformationSequence);
        var where = frame == 0 && !enhanced ? "" : $" (frame {frame + 1})";
        if (position.Length != 3) throw new ImageFormatException(file.Path, -1, $"Image Position (Patient) (0020,0032) is missing or not 3 values{where}");
        if (orientation.Length != 6) throw new ImageFormatException(file.Path, -1, $"Image Orientation (Patient) (0020,0037) is missing or not 6 values{where}");
        if (spacing.Length != 2 || !(spacing[0] > 0) || !(spacing[1] > 0)) throw new ImageFormatException(file.Path, -1, $"Pixel Spacing (0028,0030) is missing or not positive{where}");
        var row = new Vec3(orientation[0], orientation[1], orientation[2]);
        var col = new Vec3(orientation[3], orientation[4], orientation[5]);
        if (Math.Abs(row.Length - 1) > 1e-3 || Math.Abs(col.Length - 1) > 1e-3 || Math.Abs(row.Dot(col)) > 1e-3)
            throw new ImageFormatException(file.Path, -1, $"Image Orientation (Patient) {string.Join('\\', orientation)} is not two orthonormal directions{where}");
        var rows = ds.GetInt(DicomTags.Rows) ?? throw new ImageFormatException(file.Path, -1, "Rows (0028,0010) is missing");
        var cols = ds.GetInt(DicomTags.Columns) ?? throw new ImageFormatException(file.Path, -1, "Columns (0028,0011) is missing");
        var slope = transform.GetDouble(DicomTags.RescaleSlope) ?? 1.0;
        var intercept = transform.GetDouble(DicomTags.RescaleIntercept) ?? 0.0;
        if (slope == 0 || !double.IsFinite(slope) || !double.IsFinite(intercept))
            throw new ImageFormatException(file.Path, -1, $"Rescale Slope/Intercept {slope}/{intercept} is not usable{where}");
        // PixelSpacing is (row spacing = between rows, column spacing = between columns).
        return new SeriesSlice(file, frame, new Vec3(position[0], position[1], position[2]), row.Normalized(), col.Normalized(),
            spacing[0], spacing[1], rows, cols, slope, intercept);
    }

    /// <summary>The item of a functional group macro for a frame: per-frame first, else shared.</summary>
    public static DicomDataset? FunctionalGroup(DicomDataset ds, int frame, DicomTag macro)
    {
        var perFrame = ds.GetSequence(DicomTags.PerFrameFunctionalGroupsSequence);
        if (frame < perFrame.Count && perFrame[frame].GetItem(macro) is { } own) return own;
        return ds.GetItem(DicomTags.SharedFunctionalGroupsSequence)?.GetItem(macro);
    }
}
