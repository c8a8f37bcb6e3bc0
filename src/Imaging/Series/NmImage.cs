using FedRad.Dicom;

namespace FedRad.Imaging.Series;

/// <summary>
/// NM Image objects (PS3.3 A.5, C.8.4): one multi-frame file whose frames are indexed by the vectors that Frame
/// Increment Pointer (0028,0009) names. Only a reconstructed tomogram (Image Type value 3 RECON TOMO, PS3.3 C.8.4.8.1.1:
/// frames sequenced by Slice Vector (0054,0080)) is a volume; planar, dynamic, gated, whole-body and projection (TOMO)
/// data are refused as "not a tomographic reconstruction".
/// <para>Geometry (PS3.3 C.8.4.11 NM Detector, C.8.4.15 NM Reconstruction): Image Position and Orientation (Patient) of the
/// first frame come from the Detector Information Sequence (0054,0022) (else the top level, where some exports put them);
/// the frame of slice s lies at Image Position + (s − 1) × Spacing Between Slices (0018,0088) × (row × column). The sign
/// of Spacing Between Slices gives the stacking direction (GE Xeleris writes −8.836 mm with the first frame at the top).</para>
/// </summary>
public static class NmImage
{
    /// <summary>NM Image Storage SOP Class.</summary>
    public const string NmImageStorage = "1.2.840.10008.5.1.4.1.1.20";

    /// <summary>The NM frame index vectors (PS3.3 C.8.4.8), with their "Number of …" attribute where the standard has one.</summary>
    private static readonly (DicomTag Vector, DicomTag? Count, string What)[] Vectors =
    [
        (DicomTags.EnergyWindowVector, DicomTags.NumberOfEnergyWindows, "energy window"),
        (DicomTags.DetectorVector, DicomTags.NumberOfDetectors, "detector"),
        (DicomTags.PhaseVector, DicomTags.NumberOfPhases, "phase"),
        (DicomTags.RotationVector, DicomTags.NumberOfRotations, "rotation"),
        (DicomTags.RRIntervalVector, DicomTags.NumberOfRRIntervals, "R-R interval"),
        (DicomTags.TimeSlotVector, DicomTags.NumberOfTimeSlots, "time slot"),
        (DicomTags.SliceVector, DicomTags.NumberOfSlices, "slice"),
        (DicomTags.AngularViewVector, null, "angular view"),
        (DicomTags.TimeSliceVector, DicomTags.NumberOfTimeSlices, "time slice"),
    ];

    /// <summary>
    /// True for an NM Image Storage object (whatever its Modality: GE Xeleris exports reconstructions with Modality OT)
    /// and for any other object whose Frame Increment Pointer names NM frame vectors (NM secondary captures).
    /// </summary>
    public static bool Applies(DicomDataset ds) =>
        ds.GetString(DicomTags.SOPClassUID) == NmImageStorage
        || (ds.Get(DicomTags.FrameIncrementPointer) is { IsSequence: false } fip && fip.GetNumbers().Any(t => (uint)t >> 16 == 0x0054));

    /// <summary>Image Type (0008,0008) value 3 (STATIC, DYNAMIC, GATED, WHOLE BODY, TOMO, GATED TOMO, RECON TOMO, RECON GATED TOMO).</summary>
    public static string? TypeOfData(DicomDataset ds)
    {
        var type = ds.GetStrings(DicomTags.ImageType);
        return type.Length >= 3 && type[2].Length > 0 ? type[2].ToUpperInvariant() : null;
    }

    /// <summary>Why an NM object is not a reconstructed volume, or null when it is one (RECON TOMO).</summary>
    public static string? NotAVolume(DicomDataset ds) => TypeOfData(ds) switch
    {
        "RECON TOMO" => null,
        null => $"Image Type (0008,0008) is '{string.Join('\\', ds.GetStrings(DicomTags.ImageType))}', without the value 3 (type of data) that says whether NM frames form a reconstructed volume (RECON TOMO)",
        "RECON GATED TOMO" => "a gated reconstruction (Image Type RECON GATED TOMO): its frames are R-R interval × time slot × slice; sum the gates or export the ungated reconstruction (RECON TOMO)",
        var t => $"not a tomographic reconstruction: Image Type (0008,0008) value 3 is '{t}' ({Describe(t)}); FedRad reads reconstructed SPECT volumes (RECON TOMO)",
    };

    private static string Describe(string type) => type switch
    {
        "STATIC" => "planar static image",
        "DYNAMIC" => "planar dynamic frames",
        "GATED" => "planar gated frames",
        "WHOLE BODY" => "planar whole-body scan",
        "TOMO" => "SPECT projections, not reconstructed",
        "GATED TOMO" => "gated SPECT projections, not reconstructed",
        _ => "not an NM type of data",
    };

    /// <summary>The planes of a RECON TOMO object, one per frame, placed by the NM geometry rules above.</summary>
    public static IReadOnlyList<SeriesSlice> Slices(DicomFile file)
    {
        var ds = file.Dataset;
        void Fail(string message) => throw new ImageFormatException(file.Path, -1, message);
        T Number<T>(Func<T> read)
        {
            try { return read(); }
            catch (FormatException e) { throw new ImageFormatException(file.Path, -1, e.Message, e); }
        }

        if (NotAVolume(ds) is { } why) Fail(why);
        var frames = Number(() => ds.GetInt(DicomTags.NumberOfFrames)) ?? 1;
        if (frames < 1) Fail($"Number of Frames (0028,0008) is {frames}");

        // Frame Increment Pointer: every vector it names must be present with one value per frame.
        var pointers = ds.Get(DicomTags.FrameIncrementPointer) is { IsSequence: false } fip
            ? fip.GetNumbers().Select(v => DicomTag.FromValue((uint)v)).ToList() : [];
        if (pointers.Count == 0) Fail("Frame Increment Pointer (0028,0009) is missing: the frames of an NM image cannot be indexed");
        foreach (var p in pointers)
            if (!Vectors.Any(v => v.Vector == p))
                Fail($"Frame Increment Pointer (0028,0009) names {p}{(DicomDictionary.Find(p) is { } known ? $" {known.Keyword}" : "")}, which is not an NM frame index vector");
        if (!pointers.Contains(DicomTags.SliceVector))
            Fail($"Frame Increment Pointer (0028,0009) is {string.Join('\\', pointers)}, without Slice Vector (0054,0080) that a RECON TOMO image is sequenced by");

        // Every vector present (named by the pointer or not): one value per frame, each in 1..Number of …; all but the
        // slice vector must be constant, because the frames must form one volume (one energy window, detector, rotation, ...).
        int[] sliceOf = [];
        foreach (var (tag, countTag, what) in Vectors)
        {
            var values = Number(() => ds.GetDoubles(tag));
            if (values.Length == 0)
            {
                if (pointers.Contains(tag)) Fail($"{Name(tag)} is missing or empty, but Frame Increment Pointer (0028,0009) names it");
                continue;
            }
            if (values.Length != frames)
                Fail($"{Name(tag)} has {values.Length} values but Number of Frames (0028,0008) is {frames}: the frame vectors are inconsistent");
            var count = countTag is { } c ? Number(() => ds.GetInt(c)) : null;
            var bad = Array.FindIndex(values, v => v < 1 || v > (count ?? ushort.MaxValue) || v != Math.Floor(v));
            if (bad >= 0)
                Fail($"{Name(tag)} value {values[bad]} at frame {bad + 1} is outside 1..{(count is { } n ? $"{n}, the {Name(countTag!.Value)}" : "65535")}");
            if (tag == DicomTags.SliceVector) { sliceOf = values.Select(v => (int)v).ToArray(); continue; }
            var distinct = values.Distinct().ToList();
            if (distinct.Count > 1)
                Fail($"{Name(tag)} holds {distinct.Count} different {what}s ({string.Join(", ", distinct.Take(6))}): the frames are not one reconstructed volume (inconsistent frame vectors)");
        }

        // Slice Vector: each slice 1..Number of Slices exactly once; a skipped slice would make the spacing non-uniform.
        var slices = Number(() => ds.GetInt(DicomTags.NumberOfSlices)) ?? sliceOf.Max();
        var seen = new int[slices + 1];
        for (var f = 0; f < frames; f++)
        {
            if (seen[sliceOf[f]] != 0)
                Fail($"Slice Vector (0054,0080) gives slice {sliceOf[f]} to frames {seen[sliceOf[f]]} and {f + 1}: two frames at one slice position (inconsistent frame vectors)");
            seen[sliceOf[f]] = f + 1;
        }
        var missing = Enumerable.Range(1, slices).Where(s => seen[s] == 0).ToList();
        if (missing.Count > 0)
            Fail($"Slice Vector (0054,0080) skips slice(s) {string.Join(", ", missing.Take(10))} of Number of Slices (0054,0081) {slices}: the frames are not evenly spaced (non-uniform slice spacing)");

        // Geometry: detector item first, else the top level.
        var detectors = ds.GetSequence(DicomTags.DetectorInformationSequence);
        var source = detectors.Count > 0 && detectors[0].Contains(DicomTags.ImagePositionPatient) ? detectors[0] : ds;
        var where = ReferenceEquals(source, ds) ? "" : " in the Detector Information Sequence (0054,0022)";
        var position = Number(() => source.GetDoubles(DicomTags.ImagePositionPatient));
        var orientation = Number(() => source.GetDoubles(DicomTags.ImageOrientationPatient));
        if (position.Length != 3)
            Fail(ReferenceEquals(source, ds)
                ? "Image Position (Patient) (0020,0032) is in neither the Detector Information Sequence (0054,0022) nor the top level (or is not 3 values)"
                : $"Image Position (Patient) (0020,0032) is not 3 values{where}");
        if (orientation.Length != 6) Fail($"Image Orientation (Patient) (0020,0037) is missing or not 6 values{where}");
        for (var d = 1; d < detectors.Count; d++)
        {
            var p = Number(() => detectors[d].GetDoubles(DicomTags.ImagePositionPatient));
            var o = Number(() => detectors[d].GetDoubles(DicomTags.ImageOrientationPatient));
            if ((p.Length == 3 && !p.Zip(position).All(x => Math.Abs(x.First - x.Second) < 1e-3)) || (o.Length == 6 && !o.Zip(orientation).All(x => Math.Abs(x.First - x.Second) < 1e-5)))
                Fail($"Detector Information Sequence (0054,0022) item {d + 1} places the volume elsewhere than item 1 (Image Position/Orientation (Patient) differ): a reconstruction has one geometry");
        }
        var row = new Vec3(orientation[0], orientation[1], orientation[2]);
        var col = new Vec3(orientation[3], orientation[4], orientation[5]);
        if (Math.Abs(row.Length - 1) > 1e-3 || Math.Abs(col.Length - 1) > 1e-3 || Math.Abs(row.Dot(col)) > 1e-3)
            Fail($"Image Orientation (Patient) (0020,0037) {string.Join('\\', orientation)}{where} is not two orthonormal directions");
        row = row.Normalized();
        col = col.Normalized();
        var normal = row.Cross(col).Normalized();
        var spacing = Number(() => ds.GetDouble(DicomTags.SpacingBetweenSlices));
        if (frames > 1 && spacing is null)
            Fail("Spacing Between Slices (0018,0088) is missing: the frames of an NM reconstruction cannot be placed (Slice Thickness is not a substitute)");
        if (frames > 1 && (spacing == 0 || !double.IsFinite(spacing!.Value)))
            Fail($"Spacing Between Slices (0018,0088) is {spacing}: the frames of an NM reconstruction cannot be placed");
        var pixel = Number(() => ds.GetDoubles(DicomTags.PixelSpacing));
        if (pixel.Length != 2 || !(pixel[0] > 0) || !(pixel[1] > 0)) Fail("Pixel Spacing (0028,0030) is missing or not positive");
        var rows = Number(() => ds.GetInt(DicomTags.Rows)) ?? throw new ImageFormatException(file.Path, -1, "Rows (0028,0010) is missing");
        var cols = Number(() => ds.GetInt(DicomTags.Columns)) ?? throw new ImageFormatException(file.Path, -1, "Columns (0028,0011) is missing");
        var slope = Number(() => ds.GetDouble(DicomTags.RescaleSlope)) ?? 1.0;
        var intercept = Number(() => ds.GetDouble(DicomTags.RescaleIntercept)) ?? 0.0;
        if (slope == 0 || !double.IsFinite(slope) || !double.IsFinite(intercept))
            Fail($"Rescale Slope/Intercept {slope}/{intercept} is not usable");

        var origin = new Vec3(position[0], position[1], position[2]);
        var step = spacing ?? 0;
        return Enumerable.Range(0, frames).Select(f => new SeriesSlice(file, f, origin + normal * ((sliceOf[f] - 1) * step), row, col,
            pixel[0], pixel[1], rows, cols, slope, intercept)).ToList();
    }

    private static string Name(DicomTag tag) =>
        $"{System.Text.RegularExpressions.Regex.Replace(DicomDictionary.Find(tag)?.Keyword ?? "", "(?<=[a-z])(?=[A-Z])", " ")} {tag.ToString().ToUpperInvariant()}";
}
