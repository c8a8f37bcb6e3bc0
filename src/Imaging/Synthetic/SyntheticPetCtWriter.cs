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

    public static SyntheticStudy Write(string folder, SyntheticStudyOptions o)
    {
        var uid = (string what) => DicomUid.FromName($"fedrad-synthetic/{o.PatientId}/{o.Seed}/{what}");
        var study = uid("study");
        var frame = uid("frame-of-reference");
        var patient = new SyntheticPatient(o.PatientId, o.PatientName, o.InstitutionName, o.Sex, o.HeightM, o.WeightKg, o.ScanStart);
        var random = new Random(o.Seed);
        var lesionTexture = new SyntheticDicom.Texture(random);
        var referenceTexture = new SyntheticDicom.Texture(random);
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
                    if (!SyntheticDicom.InBody(o.BodySemiAxisX, o.BodySemiAxisY, p)) continue;
                    var suv = o.BackgroundSuv;
                    foreach (var (r, texture) in regions)
                        if ((p - r.Centre).Length <= r.RadiusMm) suv = r.MeanSuv * Math.Max(0.05, 1 + r.Heterogeneity * texture.At(p));
                    suv *= Math.Max(0, 1 + o.PetNoise * SyntheticDicom.Gaussian(random));
                    activity[pg.Index(i, j, k)] = (float)(suv / suvFactor);
                }

        var petFolder = Path.Combine(folder, "PET");
        var ctFolder = Path.Combine(folder, "CT");
        var petSeries = uid("pet-series");
        var written = new float[pg.VoxelCount];
        var plane = pg.SizeX * pg.SizeY;
        var petInstances = new List<SyntheticPlaneReference>();
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
            petInstances.Add(new SyntheticPlaneReference(PetStorage, sop));
            var ds = SyntheticDicom.Common(patient, study, frame, petSeries, sop, PetStorage, "PT", "PET AC (synthetic)", 1);
            SyntheticDicom.Geometry(ds, pg, k);
            ds.Add(DicomTags.ImageType, "ORIGINAL", "PRIMARY");
            ds.Add(DicomTags.AcquisitionDate, SyntheticDicom.Da(o.ScanStart));
            ds.Add(DicomTags.AcquisitionTime, SyntheticDicom.Tm(o.ScanStart));
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
            var nuclide = SyntheticDicom.Code("C-111A1", "^18^Fluorine");
            var radio = new DicomDataset()
                .Add(DicomTags.Radiopharmaceutical, "Fluorodeoxyglucose")
                .Add(DicomTags.RadiopharmaceuticalStartTime, SyntheticDicom.Tm(injection))
                .AddNumbers(DicomTags.RadionuclideTotalDose, o.InjectedDoseMBq * 1e6)
                .AddNumbers(DicomTags.RadionuclideHalfLife, o.HalfLifeS)
                .AddNumbers(DicomTags.RadionuclidePositronFraction, 0.9673)
                .Add(DicomTags.RadiopharmaceuticalStartDateTime, $"{SyntheticDicom.Da(injection)}{SyntheticDicom.Tm(injection)}")
                .AddSequence(DicomTags.RadionuclideCodeSequence, nuclide);
            ds.AddSequence(DicomTags.RadiopharmaceuticalInformationSequence, radio);
            SyntheticDicom.Pixels(ds, pg, signed: true, pixels);
            ds.AddNumbers(DicomTags.RescaleIntercept, 0.0);
            ds.AddNumbers(DicomTags.RescaleSlope, slope);
            ds.Add(DicomTags.RescaleType, "BQML");
            DicomWriter.Write(Path.Combine(petFolder, $"PT_{k + 1:0000}.dcm"), ds);
        }

        // CT in HU on its own grid.
        SyntheticRegion[] rois = [o.Lesion, o.Reference];
        SyntheticDicom.WriteCt(ctFolder, patient, o.CtGrid, o.BodySemiAxisX, o.BodySemiAxisY, [o.Reference, o.Lesion], study, frame, uid("ct-series"), uid, random);

        var lesion = SyntheticDicom.SphereMask(pg, o.Lesion);
        var reference = SyntheticDicom.SphereMask(pg, o.Reference);
        foreach (var r in new[] { lesion, reference })
            if (r.Count() == 0) throw new ArgumentException($"the region '{r.Name}' has no voxel centre on the PET grid");
        var rtPath = Path.Combine(folder, "RTSTRUCT", "RS.dcm");
        SyntheticDicom.WriteRtStruct(rtPath, patient, pg, rois, study, frame, petSeries, petInstances, uid);
        var segPath = Path.Combine(folder, "SEG", "SEG.dcm");
        SyntheticDicom.WriteSeg(segPath, patient, pg, rois, SegmentCodes, o.FractionalSeg, study, frame, petSeries, petInstances, uid);
        return new SyntheticStudy(folder, petFolder, ctFolder, rtPath, segPath, study, frame, suvFactor,
            new ImageVolume(pg, written, "SUVbw"), lesion, reference);
    }

    /// <summary>SEG category and type codes of the lesion and the reference region (liver).</summary>
    internal static readonly (string, string, string, string)[] SegmentCodes =
    [
        ("M-01000", "Morphologically Altered Structure", "M-80003", "Neoplasm, Primary"),
        ("T-D0050", "Tissue", "T-62000", "Liver"),
    ];
}
