using FedRad.Dicom;
using FedRad.Dicom.Pixels;
using FedRad.Imaging.Series;

namespace FedRad.Imaging.Rois;

/// <summary>One segment of a DICOM Segmentation.</summary>
public sealed record SegmentInfo(int Number, string Label, string? AlgorithmType);

/// <summary>
/// A DICOM Segmentation (PS3.3 A.51): BINARY (1 bit) or FRACTIONAL (8 bit, PROBABILITY or OCCUPANCY) frames, each
/// frame belonging to one segment (Segment Identification in its per-frame functional groups) and placed by its own
/// Plane Position/Orientation and Pixel Measures, so a SEG can be laid on any grid of the same frame of reference.
/// </summary>
public sealed class Segmentation
{
    public required string FilePath { get; init; }
    public required string SegmentationType { get; init; }
    public required string? FrameOfReferenceUid { get; init; }
    public required IReadOnlyList<SegmentInfo> Segments { get; init; }
    /// <summary>Largest stored value of a FRACTIONAL segmentation (Maximum Fractional Value), 1 for BINARY.</summary>
    public required int MaximumValue { get; init; }

    private readonly List<(SeriesSlice Plane, int Segment)> _frames = [];
    private DicomPixelData _pixels = null!;

    public static Segmentation Read(string path) => FromFile(ImageFormatException.Wrap(() => DicomReader.Read(path)));

    public static Segmentation FromFile(DicomFile file)
    {
        try { return ImageFormatException.Wrap(() => Parse(file)); }
        catch (FormatException e) { throw new ImageFormatException(file.Path, -1, $"Segmentation attribute unusable: {e.Message}", e); }
    }

    private static Segmentation Parse(DicomFile file)
    {
        var ds = file.Dataset;
        if (ds.GetString(DicomTags.Modality) != "SEG")
            throw new ImageFormatException(file.Path, -1, $"Modality is '{ds.GetString(DicomTags.Modality)}', not SEG");
        var type = ds.GetString(DicomTags.SegmentationType) ?? "BINARY";
        if (type is not ("BINARY" or "FRACTIONAL"))
            throw new ImageFormatException(file.Path, -1, $"Segmentation Type '{type}' is not BINARY or FRACTIONAL");
        var segments = ds.GetSequence(DicomTags.SegmentSequence).Select(s => new SegmentInfo(
            s.GetInt(DicomTags.SegmentNumber) ?? throw new ImageFormatException(file.Path, s.Offset, "a Segment Sequence item has no Segment Number (0062,0004)"),
            s.GetString(DicomTags.SegmentLabel) ?? "", s.GetString(DicomTags.SegmentAlgorithmType))).ToList();
        if (segments.Count == 0) throw new ImageFormatException(file.Path, -1, "the Segment Sequence (0062,0002) is empty");
        var seg = new Segmentation
        {
            FilePath = file.Path, SegmentationType = type, FrameOfReferenceUid = ds.GetString(DicomTags.FrameOfReferenceUID), Segments = segments,
            MaximumValue = type == "FRACTIONAL" ? ds.GetInt(DicomTags.MaximumFractionalValue) ?? 255 : 1,
        };
        seg._pixels = DicomPixelData.From(file);
        var expectedBits = type == "BINARY" ? 1 : 8;
        if (seg._pixels.Description.BitsAllocated != expectedBits)
            throw new ImageFormatException(file.Path, -1, $"{type} segmentation with Bits Allocated {seg._pixels.Description.BitsAllocated} (expected {expectedBits})");
        var planes = SeriesSlice.FromFile(file).ToList();
        for (var f = 0; f < planes.Count; f++)
        {
            var id = SeriesSlice.FunctionalGroup(ds, f, DicomTags.SegmentIdentificationSequence);
            var number = id?.GetInt(DicomTags.ReferencedSegmentNumber)
                ?? (segments.Count == 1 ? segments[0].Number : throw new ImageFormatException(file.Path, -1, $"frame {f + 1} has no Referenced Segment Number (0062,000B)"));
            seg._frames.Add((planes[f], number));
        }
        return seg;
    }

    public SegmentInfo Segment(int number) =>
        Segments.FirstOrDefault(s => s.Number == number)
        ?? throw new ImageFormatException(FilePath, -1, $"no segment {number}; the SEG has {string.Join(", ", Segments.Select(s => $"{s.Number} '{s.Label}'"))}");

    /// <summary>
    /// The segment on <paramref name="target"/>: each target voxel takes the nearest pixel of the frame whose plane is
    /// nearest its slice (within half a target slice), so a SEG made on the same grid maps one to one. FRACTIONAL
    /// values count as inside from half the maximum value (probability ≥ 0.5 or occupancy ≥ 50 %).
    /// </summary>
    public MaskVolume ToMask(int segmentNumber, ImageGrid target, ICollection<string> warnings) =>
        ImageFormatException.Wrap(() => MaskOf(segmentNumber, target, warnings));

    private MaskVolume MaskOf(int segmentNumber, ImageGrid target, ICollection<string> warnings)
    {
        var info = Segment(segmentNumber);
        var frames = _frames.Where(f => f.Segment == segmentNumber).ToList();
        var inside = new bool[target.VoxelCount];
        if (frames.Count == 0)
        {
            warnings.Add($"{FilePath}: segment {segmentNumber} '{info.Label}' has no frames: the mask is empty");
            return new MaskVolume(target, inside, info.Label);
        }
        var threshold = SegmentationType == "FRACTIONAL" ? MaximumValue / 2.0 : 0.5;
        var normal = target.AxisK;
        foreach (var (plane, _) in frames)
            if (Math.Abs(Math.Abs(plane.Normal.Normalized().Dot(normal)) - 1) > 1e-4)
                throw new ImageFormatException(FilePath, -1, $"frame {plane.Frame + 1} is not parallel to the target slices; an oblique SEG must be resampled first");

        var z0 = target.Origin.Dot(normal);
        var byslice = new Dictionary<int, (double Distance, SeriesSlice Plane)>();
        var unplaced = 0;
        foreach (var (plane, _) in frames)
        {
            var kf = (plane.Position.Dot(normal) - z0) / target.SpacingZ;
            var k = (int)Math.Round(kf);
            if (k < 0 || k >= target.SizeZ || Math.Abs(kf - k) > 0.5) { unplaced++; continue; }
            if (!byslice.TryGetValue(k, out var cur) || Math.Abs(kf - k) < cur.Distance) byslice[k] = (Math.Abs(kf - k), plane);
        }
        if (unplaced > 0) warnings.Add($"{FilePath}: {unplaced} frame(s) of segment {segmentNumber} lie outside the target grid");
        var offGrid = 0;
        foreach (var (k, (_, plane)) in byslice)
        {
            var values = _pixels.DecodeFrame(plane.Frame);
            for (var j = 0; j < target.SizeY; j++)
                for (var i = 0; i < target.SizeX; i++)
                {
                    var d = target.ToPatient(i, j, k) - plane.Position;
                    var c = (int)Math.Round(d.Dot(plane.RowDirection) / plane.ColumnSpacing);
                    var r = (int)Math.Round(d.Dot(plane.ColumnDirection) / plane.RowSpacing);
                    if (c < 0 || c >= plane.Columns || r < 0 || r >= plane.Rows) continue;
                    if (values[r * plane.Columns + c] >= threshold) inside[target.Index(i, j, k)] = true;
                }
            if (values.Any(v => v >= threshold) && !inside.AsSpan((int)((long)k * target.SizeX * target.SizeY), target.SizeX * target.SizeY).Contains(true)) offGrid++;
        }
        if (offGrid > 0) warnings.Add($"{FilePath}: {offGrid} frame(s) of segment {segmentNumber} fall outside the target's field of view");
        return new MaskVolume(target, inside, info.Label);
    }
}
