using System.Globalization;
using FedRad.Dicom;

namespace FedRad.Imaging.Synthetic;

/// <summary>The files of a written synthetic study and the truth they were made from.</summary>
public sealed record SyntheticStudy(
    string Root, string PetFolder, string CtFolder, string RtStructPath, string SegPath,
    string StudyInstanceUid, string FrameOfReferenceUid,
    /// <summary>SUVbw per Bq/ml the PET was written with (weight / decayed dose).</summary>
    double SuvBwFactor,
    /// <summary>The SUV image as written (after noise and 16-bit quantisation).</summary>
    ImageVolume Suv,
    /// <summary>Voxels whose centre lies in the lesion / reference sphere, on the PET grid.</summary>
    MaskVolume Lesion, MaskVolume Reference);

/// <summary>
/// Writes a realistic synthetic PET/CT study as DICOM (explicit VR little endian): a PET series in Bq/ml with every
/// attribute SUV needs (weight, height, sex, dose, injection date/time, half-life, Decay Correction START, per-slice
/// Rescale Slope as scanners write), a CT series in HU on a finer grid of the same Frame of Reference, an RTSTRUCT with
/// the lesion and reference region as closed planar contours, and a DICOM SEG with them as two segments.
/// Everything is deterministic for a given <see cref="SyntheticStudyOptions.Seed"/>.
/// </summary>
public static class SyntheticPetCtWriter
{
    private const string PetStorage = "1.2.840.10008.5.1.4.1.1.128";
    private const string CtStorage = "1.2.840.10008.5.1.4.1.1.2";
    private const string RtStructStorage = "1.2.840.10008.5.1.4.1.1.481.3";
    private const string SegStorage = "1.2.840.10008.5.1.4.1.1.66.4";

    public static SyntheticStudy Write(string folder, SyntheticStudyOptions o)
    {
        var uid = (string what) => DicomUid.FromName($"fedrad-synthetic/{o.PatientId}/{o.Seed}/{what}");
        var study = uid("study");
        var frame = uid("frame-of-reference");
        var random = new Random(o.Seed);
        var lesionTexture = new Texture(random);
        var referenceTexture = new Texture(random);
        var regions = new[] { (o.Reference, referenceTexture), (o.Lesion, lesionTexture) };   // the lesion is drawn last, on top

        // PET truth in SUV, then activity.
        var pg = o.PetGrid;
        var decayedDose = o.InjectedDoseMBq * 1e6 * Math.Pow(2, -o.UptakeTime.TotalSeconds / o.HalfLifeS);
        var suvFactor = o.WeightKg * 1000 / decayedDose;
        var activity = new float[pg.VoxelCount];
        for (var k = 0; k < pg.SizeZ; k++)
            for (var j = 0; j < pg.SizeY; j++)
                for (var i = 0; i < pg.SizeX; i++)
                {
                    var p = pg.ToPatient(i, j, k);
                    if (!InBody(o, p)) continue;
                    var suv = o.BackgroundSuv;
                    foreach (var (r, texture) in regions)
                        if ((p - r.Centre).Length <= r.RadiusMm) suv = r.MeanSuv * Math.Max(0.05, 1 + r.Heterogeneity * texture.At(p));
                    suv *= Math.Max(0, 1 + o.PetNoise * Gaussian(random));
                    activity[pg.Index(i, j, k)] = (float)(suv / suvFactor);
                }

        var petFolder = Path.Combine(folder, "PET");
        var ctFolder = Path.Combine(folder, "CT");
        var petSeries = uid("pet-series");
        var written = new float[pg.VoxelCount];
        var plane = pg.SizeX * pg.SizeY;
        var petInstances = new List<string>();
        for (var k = 0; k < pg.SizeZ; k++)
        {
            var slice = activity.AsSpan(k * plane, plane);
            var max = 0f;
            foreach (var v in slice) max = Math.Max(max, v);
            var slope = max > 0 ? max / 32767.0 : 1.0;
            var pixels = new byte[plane * 2];
            for (var n = 0; n < plane; n++)
            {
                var stored = (short)Math.Round(slice[n] / slope);
                BitConverter.TryWriteBytes(pixels.AsSpan(2 * n), stored);
                written[k * plane + n] = (float)(stored * slope * suvFactor);
            }
            var sop = uid($"pet-{k}");
            petInstances.Add(sop);
            var ds = Common(o, study, frame, petSeries, sop, PetStorage, "PT", "PET AC (synthetic)", 1);
            Geometry(ds, pg, k);
            ds.Add(DicomTags.ImageType, "ORIGINAL", "PRIMARY");
            ds.Add(DicomTags.AcquisitionDate, Da(o.ScanStart));
            ds.Add(DicomTags.AcquisitionTime, Tm(o.ScanStart));
            ds.AddNumbers(DicomTags.ActualFrameDuration, 120000);
            ds.AddNumbers(DicomTags.FrameReferenceTime, 0.0);
            ds.AddNumbers(DicomTags.DecayFactor, 1);
            ds.Add(DicomTags.Units, "BQML");
            ds.Add(DicomTags.DecayCorrection, "START");
            ds.Add(DicomTags.CorrectedImage, "DECY", "ATTN", "SCAT", "DTIM", "RAN", "NORM");
            ds.Add(DicomTags.SeriesType, "STATIC", "IMAGE");
            ds.Add(DicomTags.CountsSource, "EMISSION");
            ds.AddNumbers(DicomTags.NumberOfSlices, DicomVR.US, pg.SizeZ);
            ds.AddNumbers(DicomTags.ImageIndex, DicomVR.US, k + 1);
            var injection = o.ScanStart - o.UptakeTime;
            var nuclide = new DicomDataset().Add(DicomTags.CodeValue, "C-111A1").Add(DicomTags.CodingSchemeDesignator, "SRT").Add(DicomTags.CodeMeaning, "^18^Fluorine");
            var radio = new DicomDataset()
                .Add(DicomTags.Radiopharmaceutical, "Fluorodeoxyglucose")
                .Add(DicomTags.RadiopharmaceuticalStartTime, Tm(injection))
                .AddNumbers(DicomTags.RadionuclideTotalDose, o.InjectedDoseMBq * 1e6)
                .AddNumbers(DicomTags.RadionuclideHalfLife, o.HalfLifeS)
                .AddNumbers(DicomTags.RadionuclidePositronFraction, 0.9673)
                .Add(DicomTags.RadiopharmaceuticalStartDateTime, $"{Da(injection)}{Tm(injection)}")
                .AddSequence(DicomTags.RadionuclideCodeSequence, nuclide);
            ds.AddSequence(DicomTags.RadiopharmaceuticalInformationSequence, radio);
            Pixels(ds, pg, signed: true, pixels);
            ds.AddNumbers(DicomTags.RescaleIntercept, 0.0);
            ds.AddNumbers(DicomTags.RescaleSlope, slope);
            ds.Add(DicomTags.RescaleType, "BQML");
            DicomWriter.Write(Path.Combine(petFolder, $"PT_{k + 1:0000}.dcm"), ds);
        }

        // CT in HU on its own grid.
        var cg = o.CtGrid;
        var ctSeries = uid("ct-series");
        var cplane = cg.SizeX * cg.SizeY;
        for (var k = 0; k < cg.SizeZ; k++)
        {
            var pixels = new byte[cplane * 2];
            for (var j = 0; j < cg.SizeY; j++)
                for (var i = 0; i < cg.SizeX; i++)
                {
                    var p = cg.ToPatient(i, j, k);
                    double hu = -1000;
                    if (InBody(o, p))
                    {
                        hu = 40;
                        foreach (var (r, _) in regions)
                            if ((p - r.Centre).Length <= r.RadiusMm) hu = r.Hu;
                        hu += 8 * Gaussian(random);
                    }
                    BitConverter.TryWriteBytes(pixels.AsSpan(2 * (j * cg.SizeX + i)), (ushort)Math.Clamp(Math.Round(hu + 1024), 0, 4095));
                }
            var ds = Common(o, study, frame, ctSeries, uid($"ct-{k}"), CtStorage, "CT", "CT (synthetic)", 2);
            Geometry(ds, cg, k);
            ds.Add(DicomTags.ImageType, "ORIGINAL", "PRIMARY", "AXIAL");
            ds.AddNumbers(DicomTags.KVP, 120);
            Pixels(ds, cg, signed: false, pixels, bitsStored: 12);
            ds.AddNumbers(DicomTags.RescaleIntercept, -1024);
            ds.AddNumbers(DicomTags.RescaleSlope, 1);
            ds.Add(DicomTags.RescaleType, "HU");
            DicomWriter.Write(Path.Combine(ctFolder, $"CT_{k + 1:0000}.dcm"), ds);
        }

        var lesion = SphereMask(pg, o.Lesion);
        var reference = SphereMask(pg, o.Reference);
        foreach (var r in new[] { lesion, reference })
            if (r.Count() == 0) throw new ArgumentException($"the region '{r.Name}' has no voxel centre on the PET grid");
        var rtPath = Path.Combine(folder, "RTSTRUCT", "RS.dcm");
        WriteRtStruct(rtPath, o, study, frame, petSeries, petInstances, uid);
        var segPath = Path.Combine(folder, "SEG", "SEG.dcm");
        WriteSeg(segPath, o, study, frame, petSeries, petInstances, uid);
        return new SyntheticStudy(folder, petFolder, ctFolder, rtPath, segPath, study, frame, suvFactor,
            new ImageVolume(pg, written, "SUVbw"), lesion, reference);
    }

    private static bool InBody(SyntheticStudyOptions o, Vec3 p) =>
        Math.Pow(p.X / o.BodySemiAxisX, 2) + Math.Pow(p.Y / o.BodySemiAxisY, 2) <= 1;

    private static MaskVolume SphereMask(ImageGrid g, SyntheticRegion r)
    {
        var inside = new bool[g.VoxelCount];
        for (var k = 0; k < g.SizeZ; k++)
            for (var j = 0; j < g.SizeY; j++)
                for (var i = 0; i < g.SizeX; i++)
                    inside[g.Index(i, j, k)] = (g.ToPatient(i, j, k) - r.Centre).Length <= r.RadiusMm;
        return new MaskVolume(g, inside, r.Name);
    }

    private static DicomDataset Common(SyntheticStudyOptions o, string study, string frame, string series, string sop, string sopClass, string modality, string description, int seriesNumber)
    {
        var ds = new DicomDataset();
        ds.Add(DicomTags.SpecificCharacterSet, "ISO_IR 192");
        ds.Add(DicomTags.SOPClassUID, sopClass);
        ds.Add(DicomTags.SOPInstanceUID, sop);
        ds.Add(DicomTags.StudyDate, Da(o.ScanStart));
        ds.Add(DicomTags.SeriesDate, Da(o.ScanStart));
        ds.Add(DicomTags.StudyTime, Tm(o.ScanStart));
        ds.Add(DicomTags.SeriesTime, Tm(o.ScanStart));
        ds.Add(DicomTags.Modality, modality);
        ds.Add(DicomTags.Manufacturer, "FedRad");
        ds.Add(DicomTags.InstitutionName, o.InstitutionName);
        ds.Add(DicomTags.SeriesDescription, description);
        ds.Add(DicomTags.PatientName, o.PatientName);
        ds.Add(DicomTags.PatientID, o.PatientId);
        ds.Add(DicomTags.PatientSex, o.Sex);
        ds.AddNumbers(DicomTags.PatientSize, o.HeightM);
        ds.AddNumbers(DicomTags.PatientWeight, o.WeightKg);
        ds.Add(DicomTags.StudyInstanceUID, study);
        ds.Add(DicomTags.SeriesInstanceUID, series);
        ds.Add(DicomTags.StudyID, "1");
        ds.AddNumbers(DicomTags.SeriesNumber, seriesNumber);
        ds.Add(DicomTags.FrameOfReferenceUID, frame);
        ds.Add(DicomTags.PositionReferenceIndicator, "");
        return ds;
    }

    private static void Geometry(DicomDataset ds, ImageGrid g, int k)
    {
        var p = g.ToPatient(0, 0, k);
        ds.AddNumbers(DicomTags.InstanceNumber, k + 1);
        ds.AddNumbers(DicomTags.ImagePositionPatient, p.X, p.Y, p.Z);
        ds.AddNumbers(DicomTags.ImageOrientationPatient, g.AxisI.X, g.AxisI.Y, g.AxisI.Z, g.AxisJ.X, g.AxisJ.Y, g.AxisJ.Z);
        ds.AddNumbers(DicomTags.SliceLocation, p.Dot(g.AxisK));
        ds.AddNumbers(DicomTags.PixelSpacing, g.SpacingY, g.SpacingX);
        ds.AddNumbers(DicomTags.SliceThickness, g.SpacingZ);
    }

    private static void Pixels(DicomDataset ds, ImageGrid g, bool signed, byte[] pixels, int bitsStored = 16)
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

    private static void WriteRtStruct(string path, SyntheticStudyOptions o, string study, string frame, string petSeries, List<string> petInstances, Func<string, string> uid)
    {
        var g = o.PetGrid;
        var ds = Common(o, study, frame, uid("rt-series"), uid("rt"), RtStructStorage, "RTSTRUCT", "Regions (synthetic)", 3);
        ds.Remove(DicomTags.FrameOfReferenceUID);
        ds.Remove(DicomTags.PositionReferenceIndicator);
        ds.Add(DicomTags.StructureSetLabel, "FedRad");
        ds.Add(DicomTags.StructureSetDate, Da(o.ScanStart));
        ds.Add(DicomTags.StructureSetTime, Tm(o.ScanStart));
        var contourImages = petInstances.Select(sop => new DicomDataset().Add(DicomTags.ReferencedSOPClassUID, PetStorage).Add(DicomTags.ReferencedSOPInstanceUID, sop)).ToArray();
        var rtSeries = new DicomDataset().Add(DicomTags.SeriesInstanceUID, petSeries).AddSequence(DicomTags.ContourImageSequence, contourImages);
        var rtStudy = new DicomDataset().Add(DicomTags.ReferencedSOPClassUID, "1.2.840.10008.3.1.2.3.1").Add(DicomTags.ReferencedSOPInstanceUID, study)
            .AddSequence(DicomTags.RTReferencedSeriesSequence, rtSeries);
        ds.AddSequence(DicomTags.ReferencedFrameOfReferenceSequence,
            new DicomDataset().Add(DicomTags.FrameOfReferenceUID, frame).AddSequence(DicomTags.RTReferencedStudySequence, rtStudy));
        SyntheticRegion[] regions = [o.Lesion, o.Reference];
        ds.AddSequence(DicomTags.StructureSetROISequence, regions.Select((r, n) => new DicomDataset()
            .AddNumbers(DicomTags.ROINumber, n + 1).Add(DicomTags.ReferencedFrameOfReferenceUID, frame)
            .Add(DicomTags.ROIName, r.Name).Add(DicomTags.ROIGenerationAlgorithm, "AUTOMATIC")).ToArray());
        ds.AddSequence(DicomTags.ROIContourSequence, regions.Select((r, n) =>
        {
            // One circle per PET slice through the sphere: 128-gon circumscribing the section, so every voxel centre
            // inside the sphere is inside the polygon.
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
                    var p = centre + g.AxisI * (radius * Math.Cos(t)) + g.AxisJ * (radius * Math.Sin(t));
                    points.AddRange([Math.Round(p.X, 4), Math.Round(p.Y, 4), Math.Round(p.Z, 4)]);
                }
                contours.Add(new DicomDataset()
                    .AddSequence(DicomTags.ContourImageSequence, new DicomDataset().Add(DicomTags.ReferencedSOPClassUID, PetStorage).Add(DicomTags.ReferencedSOPInstanceUID, petInstances[k]))
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

    private static void WriteSeg(string path, SyntheticStudyOptions o, string study, string frame, string petSeries, List<string> petInstances, Func<string, string> uid)
    {
        var g = o.PetGrid;
        var ds = Common(o, study, frame, uid("seg-series"), uid("seg"), SegStorage, "SEG", "Segmentation (synthetic)", 4);
        ds.Add(DicomTags.ImageType, "DERIVED", "PRIMARY");
        ds.Add(DicomTags.ContentLabel, "REGIONS");
        ds.Add(DicomTags.ContentDescription, "Lesion and reference region");
        ds.Add(DicomTags.ContentCreatorName, "FedRad");
        ds.Add(DicomTags.SegmentationType, o.FractionalSeg ? "FRACTIONAL" : "BINARY");
        if (o.FractionalSeg)
        {
            ds.Add(DicomTags.SegmentationFractionalType, "OCCUPANCY");
            ds.AddNumbers(DicomTags.MaximumFractionalValue, 255);
        }
        SyntheticRegion[] regions = [o.Lesion, o.Reference];
        ds.AddSequence(DicomTags.SegmentSequence, regions.Select((r, n) => new DicomDataset()
            .AddSequence(DicomTags.SegmentedPropertyCategoryCodeSequence, Code(n == 0 ? "M-01000" : "T-D0050", n == 0 ? "Morphologically Altered Structure" : "Tissue"))
            .AddNumbers(DicomTags.SegmentNumber, n + 1).Add(DicomTags.SegmentLabel, r.Name).Add(DicomTags.SegmentAlgorithmType, "MANUAL")
            .AddSequence(DicomTags.SegmentedPropertyTypeCodeSequence, Code(n == 0 ? "M-80003" : "T-62000", n == 0 ? "Neoplasm, Primary" : "Liver"))).ToArray());
        ds.AddSequence(DicomTags.ReferencedSeriesSequence, new DicomDataset().AddSequence(DicomTags.ReferencedInstanceSequence,
            petInstances.Select(sop => new DicomDataset().Add(DicomTags.ReferencedSOPClassUID, PetStorage).Add(DicomTags.ReferencedSOPInstanceUID, sop)).ToArray())
            .Add(DicomTags.SeriesInstanceUID, petSeries));
        ds.AddSequence(DicomTags.SharedFunctionalGroupsSequence, new DicomDataset()
            .AddSequence(DicomTags.PixelMeasuresSequence, new DicomDataset().AddNumbers(DicomTags.SliceThickness, g.SpacingZ)
                .AddNumbers(DicomTags.SpacingBetweenSlices, g.SpacingZ).AddNumbers(DicomTags.PixelSpacing, g.SpacingY, g.SpacingX))
            .AddSequence(DicomTags.PlaneOrientationSequence, new DicomDataset().AddNumbers(DicomTags.ImageOrientationPatient,
                g.AxisI.X, g.AxisI.Y, g.AxisI.Z, g.AxisJ.X, g.AxisJ.Y, g.AxisJ.Z)));

        // One frame per (segment, slice) that holds part of the segment: binary voxel-centre rule, or occupancy from 4x4x4 sub-samples.
        var plane = g.SizeX * g.SizeY;
        var frames = new List<(int Segment, int K, byte[] Values)>();
        for (var s = 0; s < regions.Length; s++)
            for (var k = 0; k < g.SizeZ; k++)
            {
                var values = new byte[plane];
                var any = false;
                for (var j = 0; j < g.SizeY; j++)
                    for (var i = 0; i < g.SizeX; i++)
                    {
                        var v = o.FractionalSeg ? Occupancy(g, i, j, k, regions[s]) : (g.ToPatient(i, j, k) - regions[s].Centre).Length <= regions[s].RadiusMm ? (byte)1 : (byte)0;
                        values[j * g.SizeX + i] = v;
                        any |= v > 0;
                    }
                if (any) frames.Add((s + 1, k, values));
            }
        ds.AddSequence(DicomTags.PerFrameFunctionalGroupsSequence, frames.Select(f =>
        {
            var p = g.ToPatient(0, 0, f.K);
            return new DicomDataset()
                .AddSequence(DicomTags.FrameContentSequence, new DicomDataset().AddNumbers(DicomTags.DimensionIndexValues, DicomVR.UL, f.Segment, f.K + 1))
                .AddSequence(DicomTags.PlanePositionSequence, new DicomDataset().AddNumbers(DicomTags.ImagePositionPatient, p.X, p.Y, p.Z))
                .AddSequence(DicomTags.SegmentIdentificationSequence, new DicomDataset().AddNumbers(DicomTags.ReferencedSegmentNumber, DicomVR.US, f.Segment))
                .AddSequence(DicomTags.DerivationImageSequence, new DicomDataset().AddSequence(DicomTags.SourceImageSequence,
                    new DicomDataset().Add(DicomTags.ReferencedSOPClassUID, PetStorage).Add(DicomTags.ReferencedSOPInstanceUID, petInstances[f.K])));
        }).ToArray());
        byte[] pixels;
        if (o.FractionalSeg) pixels = frames.SelectMany(f => f.Values).ToArray();
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
        var bits = o.FractionalSeg ? 8 : 1;
        ds.AddNumbers(DicomTags.BitsAllocated, bits);
        ds.AddNumbers(DicomTags.BitsStored, bits);
        ds.AddNumbers(DicomTags.HighBit, bits - 1);
        ds.AddNumbers(DicomTags.PixelRepresentation, 0.0);
        ds.Add(DicomTags.LossyImageCompression, "00");
        ds.AddBytes(DicomTags.PixelData, DicomVR.OB, pixels);
        DicomWriter.Write(path, ds);
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

    private static DicomDataset Code(string value, string meaning) =>
        new DicomDataset().Add(DicomTags.CodeValue, value).Add(DicomTags.CodingSchemeDesignator, "SRT").Add(DicomTags.CodeMeaning, meaning);

    private static string Da(DateTime t) => t.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
    private static string Tm(DateTime t) => t.ToString("HHmmss.ffffff", CultureInfo.InvariantCulture);

    private static double Gaussian(Random r) => Math.Sqrt(-2 * Math.Log(1 - r.NextDouble())) * Math.Cos(2 * Math.PI * r.NextDouble());

    /// <summary>A smooth random field with mean 0 and standard deviation about 1: a sum of 12 random plane waves, wavelengths 8–24 mm.</summary>
    private sealed class Texture
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
