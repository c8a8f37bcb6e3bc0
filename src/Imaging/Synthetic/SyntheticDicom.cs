using System.Globalization;
using FedRad.Dicom;

namespace FedRad.Imaging.Synthetic;

/// <summary>Who and when a synthetic study is about (the Patient and Study modules every file carries).</summary>
internal sealed record SyntheticPatient(string PatientId, string PatientName, string InstitutionName, string Sex, double HeightM, double WeightKg, DateTime StudyTime);

/// <summary>One image plane a region of interest refers to: SOP Class, SOP Instance and, in a multi-frame image, the frame (1-based).</summary>
internal sealed record SyntheticPlaneReference(string SopClassUid, string SopInstanceUid, int? Frame = null);

/// <summary>
/// What the synthetic PET/CT and SPECT/CT writers share: the patient/study/series header, classic image geometry and
/// pixels, the body and spherical regions, a smooth random texture, the CT series, and the RTSTRUCT and SEG of the
/// regions on the emission grid.
/// </summary>
internal static class SyntheticDicom
{
    public const string CtStorage = "1.2.840.10008.5.1.4.1.1.2";
    private const string RtStructStorage = "1.2.840.10008.5.1.4.1.1.481.3";
    private const string SegStorage = "1.2.840.10008.5.1.4.1.1.66.4";

    public static bool InBody(double semiAxisX, double semiAxisY, Vec3 p) =>
        Math.Pow(p.X / semiAxisX, 2) + Math.Pow(p.Y / semiAxisY, 2) <= 1;

    /// <summary>Voxels whose centre lies in the sphere.</summary>
    public static MaskVolume SphereMask(ImageGrid g, SyntheticRegion r)
    {
        var inside = new bool[g.VoxelCount];
        for (var k = 0; k < g.SizeZ; k++)
            for (var j = 0; j < g.SizeY; j++)
                for (var i = 0; i < g.SizeX; i++)
                    inside[g.Index(i, j, k)] = (g.ToPatient(i, j, k) - r.Centre).Length <= r.RadiusMm;
        return new MaskVolume(g, inside, r.Name);
    }

    public static DicomDataset Common(SyntheticPatient p, string study, string frame, string series, string sop, string sopClass, string modality, string description, int seriesNumber)
    {
        var ds = new DicomDataset();
        ds.Add(DicomTags.SpecificCharacterSet, "ISO_IR 192");
        ds.Add(DicomTags.SOPClassUID, sopClass);
        ds.Add(DicomTags.SOPInstanceUID, sop);
        ds.Add(DicomTags.StudyDate, Da(p.StudyTime));
        ds.Add(DicomTags.SeriesDate, Da(p.StudyTime));
        ds.Add(DicomTags.StudyTime, Tm(p.StudyTime));
        ds.Add(DicomTags.SeriesTime, Tm(p.StudyTime));
        ds.Add(DicomTags.Modality, modality);
        ds.Add(DicomTags.Manufacturer, "FedRad");
        ds.Add(DicomTags.InstitutionName, p.InstitutionName);
        ds.Add(DicomTags.SeriesDescription, description);
        ds.Add(DicomTags.PatientName, p.PatientName);
        ds.Add(DicomTags.PatientID, p.PatientId);
        ds.Add(DicomTags.PatientSex, p.Sex);
        ds.AddNumbers(DicomTags.PatientSize, p.HeightM);
        ds.AddNumbers(DicomTags.PatientWeight, p.WeightKg);
        ds.Add(DicomTags.StudyInstanceUID, study);
        ds.Add(DicomTags.SeriesInstanceUID, series);
        ds.Add(DicomTags.StudyID, "1");
        ds.AddNumbers(DicomTags.SeriesNumber, seriesNumber);
        ds.Add(DicomTags.FrameOfReferenceUID, frame);
        ds.Add(DicomTags.PositionReferenceIndicator, "");
        return ds;
    }

    /// <summary>Image Plane module of slice k of a classic (one file per slice) series.</summary>
    public static void Geometry(DicomDataset ds, ImageGrid g, int k)
    {
        var p = g.ToPatient(0, 0, k);
        ds.AddNumbers(DicomTags.InstanceNumber, k + 1);
        ds.AddNumbers(DicomTags.ImagePositionPatient, p.X, p.Y, p.Z);
        ds.AddNumbers(DicomTags.ImageOrientationPatient, g.AxisI.X, g.AxisI.Y, g.AxisI.Z, g.AxisJ.X, g.AxisJ.Y, g.AxisJ.Z);
        ds.AddNumbers(DicomTags.SliceLocation, p.Dot(g.AxisK));
        ds.AddNumbers(DicomTags.PixelSpacing, g.SpacingY, g.SpacingX);
        ds.AddNumbers(DicomTags.SliceThickness, g.SpacingZ);
    }

    public static void Pixels(DicomDataset ds, ImageGrid g, bool signed, byte[] pixels, int bitsStored = 16)
    {
        ds.AddNumbers(DicomTags.SamplesPerPixel, 1);
        ds.Add(DicomTags.PhotometricInterpretation, "MONOCHROME2");
        ds.AddNumbers(DicomTags.Rows, g.SizeY);
        ds.AddNumbers(DicomTags.Columns, g.SizeX);
        ds.AddNumbers(DicomTags.BitsAllocated, 16);
        ds.AddNumbers(DicomTags.BitsStored, bitsStored);
        ds.AddNumbers(DicomTags.HighBit, bitsStored - 1);
        ds.AddNumbers(DicomTags.PixelRepresentation, signed ? 1 : 0);
        ds.AddBytes(DicomTags.PixelData, DicomVR.OW, pixels);
    }

    /// <summary>
    /// A CT series in HU on <paramref name="cg"/>: air outside the body, soft tissue (40 HU) inside, each region at its
    /// own HU, 8 HU Gaussian noise; 12-bit unsigned with intercept −1024, one file per slice.
    /// </summary>
    public static void WriteCt(string folder, SyntheticPatient p, ImageGrid cg, double semiAxisX, double semiAxisY, IReadOnlyList<SyntheticRegion> regions,
        string study, string frame, string series, Func<string, string> uid, Random random)
    {
        var plane = cg.SizeX * cg.SizeY;
        for (var k = 0; k < cg.SizeZ; k++)
        {
            var pixels = new byte[plane * 2];
            for (var j = 0; j < cg.SizeY; j++)
                for (var i = 0; i < cg.SizeX; i++)
                {
                    var pt = cg.ToPatient(i, j, k);
                    double hu = -1000;
                    if (InBody(semiAxisX, semiAxisY, pt))
                    {
                        hu = 40;
                        foreach (var r in regions)
                            if ((pt - r.Centre).Length <= r.RadiusMm) hu = r.Hu;
                        hu += 8 * Gaussian(random);
                    }
                    BitConverter.TryWriteBytes(pixels.AsSpan(2 * (j * cg.SizeX + i)), (ushort)Math.Clamp(Math.Round(hu + 1024), 0, 4095));
                }
            var ds = Common(p, study, frame, series, uid($"ct-{k}"), CtStorage, "CT", "CT (synthetic)", 2);
            Geometry(ds, cg, k);
            ds.Add(DicomTags.ImageType, "ORIGINAL", "PRIMARY", "AXIAL");
            ds.AddNumbers(DicomTags.KVP, 120);
            Pixels(ds, cg, signed: false, pixels, bitsStored: 12);
            ds.AddNumbers(DicomTags.RescaleIntercept, -1024);
            ds.AddNumbers(DicomTags.RescaleSlope, 1);
            ds.Add(DicomTags.RescaleType, "HU");
            DicomWriter.Write(Path.Combine(folder, $"CT_{k + 1:0000}.dcm"), ds);
        }
    }

    /// <summary>
    /// An RTSTRUCT with one ROI per region: one closed 128-gon per slice of <paramref name="g"/> through the sphere,
    /// circumscribing its section so every voxel centre inside the sphere is inside the polygon.
    /// </summary>
    public static void WriteRtStruct(string path, SyntheticPatient p, ImageGrid g, IReadOnlyList<SyntheticRegion> regions, string study, string frame,
        string imageSeries, IReadOnlyList<SyntheticPlaneReference> planes, Func<string, string> uid)
    {
        var ds = Common(p, study, frame, uid("rt-series"), uid("rt"), RtStructStorage, "RTSTRUCT", "Regions (synthetic)", 3);
        ds.Remove(DicomTags.FrameOfReferenceUID);
        ds.Remove(DicomTags.PositionReferenceIndicator);
        ds.Add(DicomTags.StructureSetLabel, "FedRad");
        ds.Add(DicomTags.StructureSetDate, Da(p.StudyTime));
        ds.Add(DicomTags.StructureSetTime, Tm(p.StudyTime));
        var contourImages = planes.DistinctBy(r => (r.SopInstanceUid, r.Frame)).Select(Reference).ToArray();
        var rtSeries = new DicomDataset().Add(DicomTags.SeriesInstanceUID, imageSeries).AddSequence(DicomTags.ContourImageSequence, contourImages);
        var rtStudy = new DicomDataset().Add(DicomTags.ReferencedSOPClassUID, "1.2.840.10008.3.1.2.3.1").Add(DicomTags.ReferencedSOPInstanceUID, study)
            .AddSequence(DicomTags.RTReferencedSeriesSequence, rtSeries);
        ds.AddSequence(DicomTags.ReferencedFrameOfReferenceSequence,
            new DicomDataset().Add(DicomTags.FrameOfReferenceUID, frame).AddSequence(DicomTags.RTReferencedStudySequence, rtStudy));
        ds.AddSequence(DicomTags.StructureSetROISequence, regions.Select((r, n) => new DicomDataset()
            .AddNumbers(DicomTags.ROINumber, n + 1).Add(DicomTags.ReferencedFrameOfReferenceUID, frame)
            .Add(DicomTags.ROIName, r.Name).Add(DicomTags.ROIGenerationAlgorithm, "AUTOMATIC")).ToArray());
        ds.AddSequence(DicomTags.ROIContourSequence, regions.Select((r, n) =>
        {
            var contours = new List<DicomDataset>();
            for (var k = 0; k < g.SizeZ; k++)
            {
                var centre = g.ToPatient(g.ToIndex(r.Centre).X, g.ToIndex(r.Centre).Y, k);
                var dz = (centre - r.Centre).Length;
                if (dz > r.RadiusMm) continue;
                var radius = Math.Sqrt(r.RadiusMm * r.RadiusMm - dz * dz) / Math.Cos(Math.PI / 128);
                if (radius < 1e-6) continue;
                var points = new List<double>();
                for (var a = 0; a < 128; a++)
                {
                    var t = 2 * Math.PI * a / 128;
                    var q = centre + g.AxisI * (radius * Math.Cos(t)) + g.AxisJ * (radius * Math.Sin(t));
                    points.AddRange([Math.Round(q.X, 4), Math.Round(q.Y, 4), Math.Round(q.Z, 4)]);
                }
                contours.Add(new DicomDataset()
                    .AddSequence(DicomTags.ContourImageSequence, Reference(planes[k]))
                    .Add(DicomTags.ContourGeometricType, "CLOSED_PLANAR")
                    .AddNumbers(DicomTags.NumberOfContourPoints, 128)
                    .AddNumbers(DicomTags.ContourData, [.. points]));
            }
            return new DicomDataset().AddNumbers(DicomTags.ROIDisplayColor, n == 0 ? 255 : 0, n == 0 ? 0 : 160, 0)
                .AddSequence(DicomTags.ContourSequence, [.. contours]).AddNumbers(DicomTags.ReferencedROINumber, n + 1);
        }).ToArray());
        ds.AddSequence(DicomTags.RTROIObservationsSequence, regions.Select((r, n) => new DicomDataset()
            .AddNumbers(DicomTags.ObservationNumber, n + 1).AddNumbers(DicomTags.ReferencedROINumber, n + 1)
            .Add(DicomTags.RTROIInterpretedType, n == 0 ? "GTV" : "ORGAN").Add(DicomTags.ROIInterpreter, "")).ToArray());
        DicomWriter.Write(path, ds);
    }

    /// <summary>
    /// A DICOM SEG with one segment per region on the grid <paramref name="g"/>: one frame per (segment, slice) that holds
    /// part of it; binary by the voxel-centre rule, or fractional occupancy from 4×4×4 sub-samples.
    /// </summary>
    public static void WriteSeg(string path, SyntheticPatient p, ImageGrid g, IReadOnlyList<SyntheticRegion> regions, (string Category, string CategoryMeaning, string Type, string TypeMeaning)[] codes,
        bool fractional, string study, string frame, string imageSeries, IReadOnlyList<SyntheticPlaneReference> planes, Func<string, string> uid)
    {
        var ds = Common(p, study, frame, uid("seg-series"), uid("seg"), SegStorage, "SEG", "Segmentation (synthetic)", 4);
        ds.Add(DicomTags.ImageType, "DERIVED", "PRIMARY");
        ds.Add(DicomTags.ContentLabel, "REGIONS");
        ds.Add(DicomTags.ContentDescription, "Lesion and reference region");
        ds.Add(DicomTags.ContentCreatorName, "FedRad");
        ds.Add(DicomTags.SegmentationType, fractional ? "FRACTIONAL" : "BINARY");
        if (fractional)
        {
            ds.Add(DicomTags.SegmentationFractionalType, "OCCUPANCY");
            ds.AddNumbers(DicomTags.MaximumFractionalValue, 255);
        }
        ds.AddSequence(DicomTags.SegmentSequence, regions.Select((r, n) => new DicomDataset()
            .AddSequence(DicomTags.SegmentedPropertyCategoryCodeSequence, Code(codes[n].Category, codes[n].CategoryMeaning))
            .AddNumbers(DicomTags.SegmentNumber, n + 1).Add(DicomTags.SegmentLabel, r.Name).Add(DicomTags.SegmentAlgorithmType, "MANUAL")
            .AddSequence(DicomTags.SegmentedPropertyTypeCodeSequence, Code(codes[n].Type, codes[n].TypeMeaning))).ToArray());
        ds.AddSequence(DicomTags.ReferencedSeriesSequence, new DicomDataset().AddSequence(DicomTags.ReferencedInstanceSequence,
            planes.DistinctBy(r => (r.SopInstanceUid, r.Frame)).Select(Reference).ToArray())
            .Add(DicomTags.SeriesInstanceUID, imageSeries));
        ds.AddSequence(DicomTags.SharedFunctionalGroupsSequence, new DicomDataset()
            .AddSequence(DicomTags.PixelMeasuresSequence, new DicomDataset().AddNumbers(DicomTags.SliceThickness, g.SpacingZ)
                .AddNumbers(DicomTags.SpacingBetweenSlices, g.SpacingZ).AddNumbers(DicomTags.PixelSpacing, g.SpacingY, g.SpacingX))
            .AddSequence(DicomTags.PlaneOrientationSequence, new DicomDataset().AddNumbers(DicomTags.ImageOrientationPatient,
                g.AxisI.X, g.AxisI.Y, g.AxisI.Z, g.AxisJ.X, g.AxisJ.Y, g.AxisJ.Z)));

        var plane = g.SizeX * g.SizeY;
        var frames = new List<(int Segment, int K, byte[] Values)>();
        for (var s = 0; s < regions.Count; s++)
            for (var k = 0; k < g.SizeZ; k++)
            {
                var values = new byte[plane];
                var any = false;
                for (var j = 0; j < g.SizeY; j++)
                    for (var i = 0; i < g.SizeX; i++)
                    {
                        var v = fractional ? Occupancy(g, i, j, k, regions[s]) : (g.ToPatient(i, j, k) - regions[s].Centre).Length <= regions[s].RadiusMm ? (byte)1 : (byte)0;
                        values[j * g.SizeX + i] = v;
                        any |= v > 0;
                    }
                if (any) frames.Add((s + 1, k, values));
            }
        ds.AddSequence(DicomTags.PerFrameFunctionalGroupsSequence, frames.Select(f =>
        {
            var q = g.ToPatient(0, 0, f.K);
            return new DicomDataset()
                .AddSequence(DicomTags.FrameContentSequence, new DicomDataset().AddNumbers(DicomTags.DimensionIndexValues, DicomVR.UL, f.Segment, f.K + 1))
                .AddSequence(DicomTags.PlanePositionSequence, new DicomDataset().AddNumbers(DicomTags.ImagePositionPatient, q.X, q.Y, q.Z))
                .AddSequence(DicomTags.SegmentIdentificationSequence, new DicomDataset().AddNumbers(DicomTags.ReferencedSegmentNumber, DicomVR.US, f.Segment))
                .AddSequence(DicomTags.DerivationImageSequence, new DicomDataset().AddSequence(DicomTags.SourceImageSequence, Reference(planes[f.K])));
        }).ToArray());
        byte[] pixels;
        if (fractional) pixels = frames.SelectMany(f => f.Values).ToArray();
        else
        {
            pixels = new byte[(frames.Count * plane + 7) / 8];
            for (var f = 0; f < frames.Count; f++)
                for (var n = 0; n < plane; n++)
                    if (frames[f].Values[n] != 0)
                    {
                        var bit = (long)f * plane + n;
                        pixels[bit >> 3] |= (byte)(1 << (int)(bit & 7));   // first pixel in the least significant bit
                    }
        }
        ds.AddNumbers(DicomTags.SamplesPerPixel, 1);
        ds.Add(DicomTags.PhotometricInterpretation, "MONOCHROME2");
        ds.AddNumbers(DicomTags.NumberOfFrames, frames.Count);
        ds.AddNumbers(DicomTags.Rows, g.SizeY);
        ds.AddNumbers(DicomTags.Columns, g.SizeX);
        var bits = fractional ? 8 : 1;
        ds.AddNumbers(DicomTags.BitsAllocated, bits);
        ds.AddNumbers(DicomTags.BitsStored, bits);
        ds.AddNumbers(DicomTags.HighBit, bits - 1);
        ds.AddNumbers(DicomTags.PixelRepresentation, 0.0);
        ds.Add(DicomTags.LossyImageCompression, "00");
        ds.AddBytes(DicomTags.PixelData, DicomVR.OB, pixels);
        DicomWriter.Write(path, ds);
    }

    private static DicomDataset Reference(SyntheticPlaneReference r)
    {
        var item = new DicomDataset().Add(DicomTags.ReferencedSOPClassUID, r.SopClassUid).Add(DicomTags.ReferencedSOPInstanceUID, r.SopInstanceUid);
        if (r.Frame is { } f) item.AddNumbers(DicomTags.ReferencedFrameNumber, f);
        return item;
    }

    private static byte Occupancy(ImageGrid g, int i, int j, int k, SyntheticRegion r)
    {
        var inside = 0;
        for (var a = 0; a < 4; a++)
            for (var b = 0; b < 4; b++)
                for (var c = 0; c < 4; c++)
                    if ((g.ToPatient(i - 0.375 + 0.25 * a, j - 0.375 + 0.25 * b, k - 0.375 + 0.25 * c) - r.Centre).Length <= r.RadiusMm) inside++;
        return (byte)Math.Round(255.0 * inside / 64);
    }

    public static DicomDataset Code(string value, string meaning, string scheme = "SRT") =>
        new DicomDataset().Add(DicomTags.CodeValue, value).Add(DicomTags.CodingSchemeDesignator, scheme).Add(DicomTags.CodeMeaning, meaning);

    public static string Da(DateTime t) => t.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
    public static string Tm(DateTime t) => t.ToString("HHmmss.ffffff", CultureInfo.InvariantCulture);

    public static double Gaussian(Random r) => Math.Sqrt(-2 * Math.Log(1 - r.NextDouble())) * Math.Cos(2 * Math.PI * r.NextDouble());

    /// <summary>A smooth random field with mean 0 and standard deviation about 1: a sum of 12 random plane waves, wavelengths 8–24 mm.</summary>
    public sealed class Texture
    {
        private readonly (Vec3 K, double Phase)[] _waves;

        public Texture(Random r)
        {
            _waves = new (Vec3, double)[12];
            for (var w = 0; w < _waves.Length; w++)
            {
                var dir = new Vec3(Gaussian(r), Gaussian(r), Gaussian(r)).Normalized();
                var wavelength = 8 + 16 * r.NextDouble();
                _waves[w] = (dir * (2 * Math.PI / wavelength), 2 * Math.PI * r.NextDouble());
            }
        }

        public double At(Vec3 p) => Math.Sqrt(2.0 / _waves.Length) * _waves.Sum(w => Math.Cos(w.K.Dot(p) + w.Phase));
    }
}
