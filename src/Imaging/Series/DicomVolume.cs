using FedRad.Dicom;
using FedRad.Dicom.Pixels;

namespace FedRad.Imaging.Series;

/// <summary>
/// A DICOM image series assembled into a volume in patient coordinates (LPS): voxels are modality values (stored
/// value × per-slice Rescale Slope + Intercept: HU for CT, the Units of a PET series), slices ordered along the
/// normal of Image Orientation (Patient).
/// </summary>
public sealed class DicomVolume
{
    public required ImageVolume Image { get; init; }
    /// <summary>The planes in grid order (k = 0 first).</summary>
    public required IReadOnlyList<SeriesSlice> Slices { get; init; }
    public required string SeriesInstanceUid { get; init; }
    public required string Modality { get; init; }
    public required string? FrameOfReferenceUid { get; init; }
    public required IReadOnlyList<string> Warnings { get; init; }

    public ImageGrid Grid => Image.Grid;
    /// <summary>The data set of the first slice (series- and patient-level attributes).</summary>
    public DicomDataset Dataset => Slices[0].Dataset;
}

/// <summary>
/// The geometry of a series does not form one regular grid: mixed orientations or sizes, duplicate positions,
/// gaps, uneven spacing or a tilted stack. Reported as found — FedRad does not resample a series silently.
/// </summary>
public sealed class SeriesGeometryException(string series, IReadOnlyList<string> problems)
    : Exception($"{series}: the slices do not form a regular grid — {string.Join("; ", problems)}")
{
    public IReadOnlyList<string> Problems { get; } = problems;
}

public static class DicomSeriesReader
{
    /// <summary>Loads the one series of <paramref name="modality"/> found under <paramref name="path"/> (a folder or a single file).</summary>
    public static DicomVolume Load(string path, string modality, string? seriesInstanceUid = null, IProgress<(int Done, int Total)>? progress = null)
    {
        var scan = DicomDirectory.Scan(path, progress);
        var volume = Assemble(scan.Single(modality, seriesInstanceUid));
        if (scan.Skipped.Count == 0) return volume;
        var warnings = volume.Warnings.Concat(scan.Skipped.Select(s => $"skipped file: {s}")).ToList();
        return new DicomVolume
        {
            Image = volume.Image, Slices = volume.Slices, SeriesInstanceUid = volume.SeriesInstanceUid, Modality = volume.Modality,
            FrameOfReferenceUid = volume.FrameOfReferenceUid, Warnings = warnings,
        };
    }

    /// <summary>In-plane offset between consecutive planes tolerated as rounding of the positions.</summary>
    private static double Tolerance(double nominal) => Math.Max(0.02, 0.01 * nominal);

    /// <summary>
    /// How far a plane may sit from its regular-grid position: 10 % of the spacing (0.33 mm for 3.27 mm PET slices).
    /// Multi-bed PET has steps a few hundredths of a mm off at bed overlaps; that is reported as a warning, not an error.
    /// </summary>
    private static double UnevenTolerance(double spacing) => Math.Max(0.02, 0.1 * spacing);

    public static DicomVolume Assemble(DicomSeriesFiles series) => ImageFormatException.Wrap(() => AssembleSlices(series));

    private static DicomVolume AssembleSlices(DicomSeriesFiles series)
    {
        var name = series.ToString();
        var warnings = new List<string>();
        foreach (var f in series.Files)
            warnings.AddRange(f.Warnings.Select(w => $"{f.Path}: {w}"));
        var slices = series.Files.SelectMany(SeriesSlice.FromFile).ToList();
        if (slices.Count == 0) throw new SeriesGeometryException(name, ["no image planes"]);
        var problems = new List<string>();

        var first = slices[0];
        var orientations = slices.GroupBy(s => s, OrientationComparer.Instance).ToList();
        if (orientations.Count > 1)
            problems.Add("mixed orientations: " + string.Join(", ", orientations.Select(g => $"{g.Count()} plane(s) with row {g.Key.RowDirection} column {g.Key.ColumnDirection} (e.g. {g.First()})")));
        var sizes = slices.GroupBy(s => (s.Rows, s.Columns)).ToList();
        if (sizes.Count > 1)
            problems.Add("mixed image sizes: " + string.Join(", ", sizes.Select(g => $"{g.Count()} of {g.Key.Columns}x{g.Key.Rows}")));
        var spacings = slices.GroupBy(s => (Math.Round(s.RowSpacing, 4), Math.Round(s.ColumnSpacing, 4))).ToList();
        if (spacings.Count > 1)
            problems.Add("mixed pixel spacings: " + string.Join(", ", spacings.Select(g => $"{g.Count()} with {g.Key.Item1}\\{g.Key.Item2} mm")));
        var frames = series.Files.Select(f => f.Dataset.GetString(DicomTags.FrameOfReferenceUID)).Distinct().ToList();
        if (frames.Count > 1) problems.Add($"{frames.Count} different Frame of Reference UIDs");
        if (problems.Count > 0) throw new SeriesGeometryException(name, problems);

        var normal = first.Normal.Normalized();
        slices.Sort((a, b) => a.Position.Dot(normal).CompareTo(b.Position.Dot(normal)));
        double? thickness;
        try { thickness = first.Dataset.GetDouble(DicomTags.SliceThickness); }
        catch (FormatException e) { throw new ImageFormatException(first.File.Path, -1, e.Message, e); }
        var spacingZ = thickness is > 0 and var t ? t : 1.0;
        if (slices.Count > 1)
        {
            var gaps = new double[slices.Count - 1];
            for (var k = 0; k + 1 < slices.Count; k++)
            {
                var step = slices[k + 1].Position - slices[k].Position;
                gaps[k] = step.Dot(normal);
                var inPlane = (step - normal * gaps[k]).Length;
                if (gaps[k] < 1e-3)
                    problems.Add($"{slices[k]} and {slices[k + 1]} are at the same position {slices[k].Position} (a dynamic or repeated acquisition? load one time frame)");
                else if (inPlane > Tolerance(gaps[k]))
                    problems.Add($"{slices[k + 1]} is shifted {inPlane:0.###} mm in-plane from {slices[k]} (gantry tilt or sheared stack)");
            }
            var nominal = gaps.Where(g => g >= 1e-3).Order().ElementAtOrDefault(gaps.Count(g => g >= 1e-3) / 2);
            if (nominal > 0)
            {
                // Missing slices: a step that is a whole multiple (2, 3, ...) of the nominal spacing.
                for (var k = 0; k < gaps.Length; k++)
                {
                    var ratio = gaps[k] / nominal;
                    if (ratio > 1.5 && Math.Abs(ratio - Math.Round(ratio)) * nominal <= UnevenTolerance(nominal))
                        problems.Add($"gap of {gaps[k]:0.###} mm between {slices[k]} and {slices[k + 1]}: {Math.Round(ratio) - 1} missing slice(s) at the nominal {nominal:0.###} mm");
                }
                // Otherwise the planes must sit on one regular grid: the largest distance of a plane from its grid position decides.
                var z0 = slices[0].Position.Dot(normal);
                spacingZ = (slices[^1].Position.Dot(normal) - z0) / (slices.Count - 1);
                var worst = 0;
                var deviation = 0.0;
                for (var k = 0; k < slices.Count; k++)
                {
                    var d = Math.Abs(slices[k].Position.Dot(normal) - (z0 + k * spacingZ));
                    if (d > deviation) { deviation = d; worst = k; }
                }
                if (problems.Count == 0 && deviation > UnevenTolerance(spacingZ))
                    problems.Add($"uneven spacing of Image Position (Patient) (0020,0032): {slices[worst]} lies {deviation:0.###} mm from where a regular {spacingZ:0.###} mm grid puts it (steps range {gaps.Min():0.###}..{gaps.Max():0.###} mm)");
                else if (deviation > 0.02)
                    warnings.Add($"slice positions deviate up to {deviation:0.###} mm ({100 * deviation / spacingZ:0.#} % of the {spacingZ:0.###} mm spacing) from a regular grid (steps {gaps.Min():0.###}..{gaps.Max():0.###} mm, e.g. at bed overlaps); kept as a regular grid, not resampled");
            }
        }
        if (problems.Count > 0) throw new SeriesGeometryException(name, problems);

        var grid = new ImageGrid(first.Columns, first.Rows, slices.Count, first.ColumnSpacing, first.RowSpacing, spacingZ,
            slices[0].Position, first.RowDirection, first.ColumnDirection, normal);
        var voxels = new float[grid.VoxelCount];
        var plane = first.Rows * first.Columns;
        var pixelCache = new Dictionary<DicomFile, DicomPixelData>();
        foreach (var f in series.Files) pixelCache[f] = DicomPixelData.From(f);
        foreach (var (file, pixels) in pixelCache)
            if (pixels.Description.SamplesPerPixel != 1)
                throw new ImageFormatException(file.Path, -1, $"{pixels.Description.SamplesPerPixel} samples per pixel ({pixels.Description.Photometric}): a colour image is not a quantitative volume");
        Parallel.For(0, slices.Count, () => new int[plane], (k, _, stored) =>
        {
            var s = slices[k];
            pixelCache[s.File].DecodeFrame(s.Frame, stored);
            var dest = voxels.AsSpan(k * plane, plane);
            for (var n = 0; n < plane; n++) dest[n] = (float)(stored[n] * s.RescaleSlope + s.RescaleIntercept);
            return stored;
        }, _ => { });

        var modality = series.Modality;
        var unit = modality switch
        {
            "CT" => "HU",
            "PT" => first.Dataset.GetString(DicomTags.Units) ?? "",
            _ => first.Dataset.GetString(DicomTags.RescaleType) ?? "",
        };
        return new DicomVolume
        {
            Image = new ImageVolume(grid, voxels, unit), Slices = slices, SeriesInstanceUid = series.SeriesInstanceUid,
            Modality = modality, FrameOfReferenceUid = frames[0], Warnings = warnings,
        };
    }

    private sealed class OrientationComparer : IEqualityComparer<SeriesSlice>
    {
        public static readonly OrientationComparer Instance = new();
        public bool Equals(SeriesSlice? a, SeriesSlice? b) =>
            a is not null && b is not null && (a.RowDirection - b.RowDirection).Length < 1e-4 && (a.ColumnDirection - b.ColumnDirection).Length < 1e-4;
        public int GetHashCode(SeriesSlice s) => 0;   // few distinct orientations: linear grouping is fine
    }
}
