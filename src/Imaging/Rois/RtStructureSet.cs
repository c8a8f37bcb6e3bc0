using FedRad.Dicom;

namespace FedRad.Imaging.Rois;

/// <summary>One contour of an RTSTRUCT ROI: its geometric type and points in patient coordinates (LPS, mm).</summary>
public sealed record RtContour(string GeometricType, Vec3[] Points);

/// <summary>An ROI of a structure set with its contours.</summary>
public sealed record RtRoi(int Number, string Name, string? FrameOfReferenceUid, string? InterpretedType, IReadOnlyList<RtContour> Contours, string SourcePath);

/// <summary>
/// An RT Structure Set (PS3.3 A.19). Contours are matched to images later by frame of reference and position, not
/// by the referenced SOP Instance UIDs, which often point at a series that is not at hand (re-exported or cropped images).
/// </summary>
public sealed class RtStructureSet
{
    public required string FilePath { get; init; }
    public required IReadOnlyList<RtRoi> Rois { get; init; }

    public RtRoi Roi(string name) =>
        Rois.FirstOrDefault(r => r.Name == name)
        ?? Rois.FirstOrDefault(r => string.Equals(r.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ImageFormatException(FilePath, -1, $"no ROI named '{name}'; the structure set has {string.Join(", ", Rois.Select(r => $"'{r.Name}'"))}");

    public static RtStructureSet Read(string path) => FromFile(ImageFormatException.Wrap(() => DicomReader.Read(path)));

    public static RtStructureSet FromFile(DicomFile file)
    {
        try { return Parse(file); }
        catch (FormatException e) { throw new ImageFormatException(file.Path, -1, $"RT Structure Set attribute unusable: {e.Message}", e); }
    }

    private static RtStructureSet Parse(DicomFile file)
    {
        var ds = file.Dataset;
        var modality = ds.GetString(DicomTags.Modality);
        if (modality != "RTSTRUCT")
            throw new ImageFormatException(file.Path, -1, $"Modality is '{modality}', not RTSTRUCT");
        var contoursByRoi = new Dictionary<int, List<RtContour>>();
        foreach (var item in ds.GetSequence(DicomTags.ROIContourSequence))
        {
            var number = item.GetInt(DicomTags.ReferencedROINumber)
                ?? throw new ImageFormatException(file.Path, item.Offset, "an ROI Contour item has no Referenced ROI Number (3006,0084)");
            var list = contoursByRoi.TryGetValue(number, out var l) ? l : contoursByRoi[number] = [];
            foreach (var c in item.GetSequence(DicomTags.ContourSequence))
            {
                double[] data;
                try { data = c.GetDoubles(DicomTags.ContourData); }
                catch (FormatException e) { throw new ImageFormatException(file.Path, c.Get(DicomTags.ContourData)?.Offset ?? c.Offset, $"ROI {number} Contour Data: {e.Message}", e); }
                if (data.Length % 3 != 0)
                    throw new ImageFormatException(file.Path, c.Offset, $"ROI {number}: Contour Data has {data.Length} values, not a multiple of 3");
                var points = new Vec3[data.Length / 3];
                for (var p = 0; p < points.Length; p++) points[p] = new Vec3(data[3 * p], data[3 * p + 1], data[3 * p + 2]);
                list.Add(new RtContour(c.GetString(DicomTags.ContourGeometricType) ?? "CLOSED_PLANAR", points));
            }
        }
        var interpreted = ds.GetSequence(DicomTags.RTROIObservationsSequence)
            .Where(o => o.GetInt(DicomTags.ReferencedROINumber) is not null)
            .GroupBy(o => o.GetInt(DicomTags.ReferencedROINumber)!.Value)
            .ToDictionary(g => g.Key, g => g.First().GetString(DicomTags.RTROIInterpretedType));
        var rois = ds.GetSequence(DicomTags.StructureSetROISequence).Select(r =>
        {
            var number = r.GetInt(DicomTags.ROINumber) ?? throw new ImageFormatException(file.Path, r.Offset, "a Structure Set ROI item has no ROI Number (3006,0022)");
            return new RtRoi(number, r.GetString(DicomTags.ROIName) ?? $"ROI {number}", r.GetString(DicomTags.ReferencedFrameOfReferenceUID),
                interpreted.GetValueOrDefault(number), contoursByRoi.GetValueOrDefault(number) ?? [], file.Path);
        }).ToList();
        return new RtStructureSet { FilePath = file.Path, Rois = rois };
    }
}
