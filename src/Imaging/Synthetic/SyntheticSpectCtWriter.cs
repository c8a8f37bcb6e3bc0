using System.Globalization;
using FedRad.Dicom;
using FedRad.Imaging.Pet;
using FedRad.Imaging.Series;
using FedRad.Imaging.Spect;

namespace FedRad.Imaging.Synthetic;

/// <summary>The files of a written synthetic SPECT/CT study and the truth they were made from.</summary>
public sealed record SyntheticSpectStudy(
    string Root,
    /// <summary>Folder holding the one NM multi-frame RECON TOMO file.</summary>
    string SpectFolder, string SpectPath, string CtFolder, string RtStructPath, string SegPath,
    /// <summary>The site calibration of the synthetic camera (YAML), for <see cref="SpectLoadOptions.Calibration"/>.</summary>
    string CalibrationPath,
    string StudyInstanceUid, string FrameOfReferenceUid,
    /// <summary>Bq/mL per stored count (the calibration's 10⁶ / (cps/MBq × acquisition s × voxel mL)).</summary>
    double BqPerMlPerCount,
    /// <summary>SUVbw per Bq/mL: weight / dose decayed to the acquisition's average count-rate time.</summary>
    double SuvBwFactor,
    /// <summary>The counts as stored (after noise and rounding).</summary>
    ImageVolume Counts,
    /// <summary>The SUVbw the stored counts represent.</summary>
    ImageVolume Suv,
    /// <summary>Voxels whose centre lies in the lesion / reference sphere, on the SPECT grid.</summary>
    MaskVolume Lesion, MaskVolume Reference);

/// <summary>
/// Writes a synthetic SPECT/CT study as DICOM (explicit VR little endian), deterministic per seed: the SPECT as one NM
/// Image object of type RECON TOMO (frames sequenced by Slice Vector, geometry in the Detector Information Sequence, one
/// energy window, rotation with frame duration and views, radionuclide code, dose and injection time, camera identity,
/// attenuation and scatter corrected), a CT series in HU on a finer grid of the same Frame of Reference, an RTSTRUCT and a
/// SEG of the lesion and reference region on the SPECT grid, and <c>site-calibration.yaml</c> for the synthetic camera.
/// <para>Counts follow the physics the loader inverts independently: a voxel of SUV s holds
/// S × V × ∫ C(t) dt over the acquisition [t₀, t₀ + T], with C(t) = s × dose × e^(−λ(t − t_inj)) / weight, S the camera's
/// cps/MBq and V the voxel volume; the integral is e^(−λ(t₀ − t_inj)) (1 − e^(−λT)) / λ.</para>
/// </summary>
public static class SyntheticSpectCtWriter
{
    public static SyntheticSpectStudy Write(string folder, SyntheticSpectStudyOptions o)
    {
        var uid = (string what) => DicomUid.FromName($"fedrad-synthetic-spect/{o.PatientId}/{o.Seed}/{o.Timepoint}/{what}");
        var study = uid("study");
        var frame = uid("frame-of-reference");
        var patient = new SyntheticPatient(o.PatientId, o.PatientName, o.InstitutionName, o.Sex, o.HeightM, o.WeightKg, o.ScanStart);
        var random = new Random(o.Seed);
        var lesionTexture = new SyntheticDicom.Texture(random);
        var referenceTexture = new SyntheticDicom.Texture(random);
        var regions = new[] { (o.Reference, referenceTexture), (o.Lesion, lesionTexture) };   // the lesion is drawn last, on top

        // Counts per unit SUV: S × V × dose / weight × e^(−λ(t0 − t_inj)) × (1 − e^(−λT)) / λ, S in counts/s per Bq.
        var g = o.SpectGrid;
        var lambda = Math.Log(2) / o.Nuclide.HalfLifeSeconds;
        var acquisitionS = o.ViewsPerRotation * o.ViewDuration.TotalSeconds;
        var voxelMl = g.VoxelVolume / 1000;
        var integral = Math.Exp(-lambda * o.UptakeTime.TotalSeconds) * (1 - Math.Exp(-lambda * acquisitionS)) / lambda;
        var countsPerSuv = o.CpsPerMBq / 1e6 * voxelMl * (o.InjectedDoseMBq * 1e6 / (o.WeightKg * 1000)) * integral;
        var bqPerMlPerCount = 1e6 / (o.CpsPerMBq * acquisitionS * voxelMl);
        var suvFactor = 1 / (countsPerSuv * bqPerMlPerCount);

        var counts = new float[g.VoxelCount];
        var suvWritten = new float[g.VoxelCount];
        var plane = g.SizeX * g.SizeY;
        var pixels = new byte[g.VoxelCount * 2];
        for (var k = 0; k < g.SizeZ; k++)
        {
            var f = o.StackDownwards ? g.SizeZ - 1 - k : k;   // the frame that holds grid slice k
            for (var j = 0; j < g.SizeY; j++)
                for (var i = 0; i < g.SizeX; i++)
                {
                    var p = g.ToPatient(i, j, k);
                    double suv = 0;
                    if (SyntheticDicom.InBody(o.BodySemiAxisX, o.BodySemiAxisY, p))
                    {
                        suv = o.BackgroundSuv;
                        foreach (var (r, texture) in regions)
                            if ((p - r.Centre).Length <= r.RadiusMm) suv = r.MeanSuv * Math.Max(0.05, 1 + r.Heterogeneity * texture.At(p));
                        suv *= Math.Max(0, 1 + o.Noise * SyntheticDicom.Gaussian(random));
                    }
                    var stored = (ushort)Math.Clamp(Math.Round(suv * countsPerSuv), 0, ushort.MaxValue);
                    var n = g.Index(i, j, k);
                    counts[n] = stored;
                    suvWritten[n] = (float)(stored / countsPerSuv);
                    BitConverter.TryWriteBytes(pixels.AsSpan(2 * (f * plane + j * g.SizeX + i)), stored);
                }
        }

        var spectFolder = Path.Combine(folder, "SPECT");
        var spectPath = Path.Combine(spectFolder, "NM_RECON.dcm");
        var spectSeries = uid("spect-series");
        var sop = uid("spect");
        WriteNm(spectPath, o, patient, study, frame, spectSeries, sop, pixels, bqPerMlPerCount);
        var planes = Enumerable.Range(0, g.SizeZ)
            .Select(k => new SyntheticPlaneReference(NmImage.NmImageStorage, sop, (o.StackDownwards ? g.SizeZ - 1 - k : k) + 1)).ToList();

        var ctFolder = Path.Combine(folder, "CT");
        SyntheticDicom.WriteCt(ctFolder, patient, o.CtGrid, o.BodySemiAxisX, o.BodySemiAxisY, [o.Reference, o.Lesion], study, frame, uid("ct-series"), uid, random);

        var lesion = SyntheticDicom.SphereMask(g, o.Lesion);
        var reference = SyntheticDicom.SphereMask(g, o.Reference);
        foreach (var r in new[] { lesion, reference })
            if (r.Count() == 0) throw new ArgumentException($"the region '{r.Name}' has no voxel centre on the SPECT grid");
        SyntheticRegion[] rois = [o.Lesion, o.Reference];
        var rtPath = Path.Combine(folder, "RTSTRUCT", "RS.dcm");
        SyntheticDicom.WriteRtStruct(rtPath, patient, g, rois, study, frame, spectSeries, planes, uid);
        var segPath = Path.Combine(folder, "SEG", "SEG.dcm");
        (string, string, string, string)[] codes =
        [
            ("M-01000", "Morphologically Altered Structure", "M-80003", "Neoplasm, Primary"),
            ("T-D0050", "Tissue", "T-61100", "Salivary gland"),
        ];
        SyntheticDicom.WriteSeg(segPath, patient, g, rois, codes, o.FractionalSeg, study, frame, spectSeries, planes, uid);

        var calibrationPath = Path.Combine(folder, "site-calibration.yaml");
        File.WriteAllText(calibrationPath, string.Create(CultureInfo.InvariantCulture, $"""
            # Site SPECT calibration of the synthetic camera (written by FedRad's SyntheticSpectCtWriter).
            calibrations:
              - camera: {"{"} manufacturer_model: "{o.ManufacturerModelName}", station_name: "{o.StationName}" {"}"}
                isotope: {o.Nuclide.Symbol}
                energy_window: {"{"} name: "{o.EnergyWindowName}", lower_kev: {o.EnergyWindowLowerKeV:R}, upper_kev: {o.EnergyWindowUpperKeV:R} {"}"}
                cps_per_mbq: {o.CpsPerMBq:R}
                time: acquisition
                note: "synthetic volume sensitivity"

            """));

        return new SyntheticSpectStudy(folder, spectFolder, spectPath, ctFolder, rtPath, segPath, calibrationPath, study, frame,
            bqPerMlPerCount, suvFactor, new ImageVolume(g, counts, "counts"), new ImageVolume(g, suvWritten, SuvNormalisation.BodyWeight.Symbol()),
            lesion, reference);
    }

    private static void WriteNm(string path, SyntheticSpectStudyOptions o, SyntheticPatient patient, string study, string frame, string series, string sop,
        byte[] pixels, double bqPerMlPerCount)
    {
        var g = o.SpectGrid;
        var nz = g.SizeZ;
        var ds = SyntheticDicom.Common(patient, study, frame, series, sop, NmImage.NmImageStorage, "NM", "SPECT OSEM AC SC (synthetic)", 1);
        // The reconstruction is made after the scan: Series Date/Time is the reconstruction's, Acquisition Date/Time the scan's.
        var reconstructed = o.ScanStart + TimeSpan.FromSeconds(o.ViewsPerRotation * o.ViewDuration.TotalSeconds) + TimeSpan.FromMinutes(10);
        ds.Add(DicomTags.SeriesDate, SyntheticDicom.Da(reconstructed));
        ds.Add(DicomTags.SeriesTime, SyntheticDicom.Tm(reconstructed));
        ds.Add(DicomTags.AcquisitionDate, SyntheticDicom.Da(o.ScanStart));
        ds.Add(DicomTags.AcquisitionTime, SyntheticDicom.Tm(o.ScanStart));
        ds.Add(DicomTags.ImageType, "ORIGINAL", "PRIMARY", "RECON TOMO", "EMISSION");
        ds.Add(DicomTags.Manufacturer, o.Manufacturer);
        ds.Add(DicomTags.ManufacturerModelName, o.ManufacturerModelName);
        ds.Add(DicomTags.StationName, o.StationName);
        ds.Add(DicomTags.DeviceSerialNumber, o.DeviceSerialNumber);
        ds.AddNumbers(DicomTags.InstanceNumber, 1);

        // NM Multi-frame: RECON TOMO frames are sequenced by Slice Vector only (PS3.3 C.8.4.8.1.1).
        ds.AddNumbers(DicomTags.NumberOfFrames, nz);
        ds.AddNumbers(DicomTags.FrameIncrementPointer, DicomTags.SliceVector.Value);
        ds.AddNumbers(DicomTags.SliceVector, [.. Enumerable.Range(1, nz).Select(s => (double)s)]);
        ds.AddNumbers(DicomTags.NumberOfSlices, nz);
        ds.AddNumbers(DicomTags.NumberOfEnergyWindows, 1);
        ds.AddNumbers(DicomTags.NumberOfDetectors, 1);
        ds.AddNumbers(DicomTags.NumberOfRotations, 1);
        ds.AddSequence(DicomTags.EnergyWindowInformationSequence, new DicomDataset()
            .AddSequence(DicomTags.EnergyWindowRangeSequence, new DicomDataset()
                .AddNumbers(DicomTags.EnergyWindowLowerLimit, o.EnergyWindowLowerKeV).AddNumbers(DicomTags.EnergyWindowUpperLimit, o.EnergyWindowUpperKeV))
            .Add(DicomTags.EnergyWindowName, o.EnergyWindowName));

        // NM Detector: position and orientation of the first frame; NM Reconstruction: signed spacing along row × column.
        var first = g.ToPatient(0, 0, o.StackDownwards ? nz - 1 : 0);
        ds.AddSequence(DicomTags.DetectorInformationSequence, new DicomDataset()
            .Add(DicomTags.CollimatorGridName, "LEHR")
            .Add(DicomTags.CollimatorType, "PARA")
            .AddNumbers(DicomTags.StartAngle, 0.0)
            .AddNumbers(DicomTags.ImagePositionPatient, first.X, first.Y, first.Z)
            .AddNumbers(DicomTags.ImageOrientationPatient, g.AxisI.X, g.AxisI.Y, g.AxisI.Z, g.AxisJ.X, g.AxisJ.Y, g.AxisJ.Z));
        ds.AddSequence(DicomTags.RotationInformationSequence, new DicomDataset()
            .AddNumbers(DicomTags.ScanArc, 360)
            .AddNumbers(DicomTags.AngularStep, 360.0 / o.ViewsPerRotation)
            .AddNumbers(DicomTags.ActualFrameDuration, o.ViewDuration.TotalMilliseconds)
            .AddNumbers(DicomTags.NumberOfFramesInRotation, o.ViewsPerRotation));
        ds.Add(DicomTags.TypeOfDetectorMotion, "STEP AND SHOOT");
        ds.AddNumbers(DicomTags.SpacingBetweenSlices, o.StackDownwards ? -g.SpacingZ : g.SpacingZ);
        ds.AddNumbers(DicomTags.SliceThickness, g.SpacingZ);
        ds.AddNumbers(DicomTags.PixelSpacing, g.SpacingY, g.SpacingX);
        ds.Add(DicomTags.CorrectedImage, "UNIF", "COR", "ATTN", "SCAT");
        ds.Add(DicomTags.ReconstructionMethod, "OSEM 8i6s");

        // NM Isotope: radiopharmaceutical, radionuclide code (CID 18), dose in Bq and injection time.
        var injection = o.ScanStart - o.UptakeTime;
        var nuclide = o.Nuclide.SrtCode is { } code
            ? SyntheticDicom.Code(code, o.Nuclide.CodeMeaning)
            : SyntheticDicom.Code(o.Nuclide.Symbol.Replace("-", "").ToUpperInvariant(), o.Nuclide.CodeMeaning, "99FEDRAD");
        var radio = new DicomDataset().Add(DicomTags.Radiopharmaceutical, o.Radiopharmaceutical).AddSequence(DicomTags.RadionuclideCodeSequence, nuclide);
        if (o.WriteInjection)
            radio.Add(DicomTags.RadiopharmaceuticalStartTime, SyntheticDicom.Tm(injection))
                .Add(DicomTags.RadiopharmaceuticalStartDateTime, $"{SyntheticDicom.Da(injection)}{SyntheticDicom.Tm(injection)}")
                .AddNumbers(DicomTags.RadionuclideTotalDose, o.InjectedDoseMBq * 1e6);
        ds.AddSequence(DicomTags.RadiopharmaceuticalInformationSequence, radio);

        if (o.Units == SyntheticSpectUnits.RealWorldBqPerMl)
            ds.AddSequence(DicomTags.RealWorldValueMappingSequence, new DicomDataset()
                .AddNumbers(new DicomTag(0x0040, 0x9216), DicomVR.US, 0)        // Real World Value First Value Mapped
                .AddNumbers(new DicomTag(0x0040, 0x9211), DicomVR.US, 65535)    // Real World Value Last Value Mapped
                .Add(DicomTags.LUTLabel, "BQML")
                .AddSequence(DicomTags.MeasurementUnitsCodeSequence, SyntheticDicom.Code("Bq/ml", "Becquerels/milliliter", "UCUM"))
                .AddNumbers(DicomTags.RealWorldValueIntercept, 0.0)
                .AddNumbers(DicomTags.RealWorldValueSlope, bqPerMlPerCount));

        SyntheticDicom.Pixels(ds, g, signed: false, pixels);
        DicomWriter.Write(path, ds);
    }
}
