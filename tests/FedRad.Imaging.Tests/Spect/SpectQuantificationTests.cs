using FedRad.Dicom;
using FedRad.Imaging.Pet;
using FedRad.Imaging.Series;
using FedRad.Imaging.Spect;
using FedRad.Imaging.Synthetic;

namespace FedRad.Imaging.Tests.Spect;

/// <summary>Counts → Bq/mL → SUV for every route, and every refusal with its reason.</summary>
public class SpectQuantificationTests
{
    private static readonly double Lambda = Math.Log(2) / (6.0072 * 3600);   // ENSDF Tc-99m

    /// <summary>SUV read with the dose decayed to the acquisition start instead of the average count-rate time is lower by (1 − e^(−λT)) / (λT).</summary>
    private static double StartInsteadOfAverage(double acquisitionS) => (1 - Math.Exp(-Lambda * acquisitionS)) / (Lambda * acquisitionS);

    private static SpectImage Load(SyntheticSpectStudy s, string? calibrationYaml = null) =>
        SpectSeries.Load(s.SpectFolder, new SpectLoadOptions
        {
            Calibration = calibrationYaml is null ? SpectCalibrationTable.Load(s.CalibrationPath) : SpectCalibrationTable.Parse(calibrationYaml, "site.yaml"),
        });

    private static void AssertSuv(ImageVolume expected, ImageVolume actual, double ratio = 1, double tolerance = 2e-4)
    {
        for (var n = 0; n < expected.Voxels.Length; n++)
            Assert.Equal(expected.Voxels[n] * ratio, actual.Voxels[n], tolerance * Math.Max(1, expected.Voxels[n]));
    }

    [Fact]
    public void VendorRealWorldValueMappingNeedsNoCalibration()
    {
        using var dir = TestData.Temp();
        var study = SyntheticSpectCtWriter.Write(dir.Path, SpectFiles.Small() with { Units = SyntheticSpectUnits.RealWorldBqPerMl });
        Assert.Contains("(0040,9225) FD ", ExternalTool.Run("dcmdump", study.SpectPath));
        var spect = SpectSeries.Load(study.SpectFolder);
        Assert.Equal(SpectQuantity.Suv, spect.Quantity);
        Assert.Contains("Real World Value Mapping (0040,9096) 'BQML' in Bq/ml", spect.ActivityMethod);
        Assert.Equal(study.BqPerMlPerCount, spect.ActivityPerCount!.Value, 1e-9 * study.BqPerMlPerCount);
        AssertSuv(study.Suv, spect.Suv!);
    }

    /// <summary>177Lu has no CID 18 code: the writer gives a local code, and the loader recognises the code meaning.</summary>
    [Fact]
    public void Lutetium177DosimetryScanIsQuantified()
    {
        using var dir = TestData.Temp();
        var o = SpectFiles.Small() with
        {
            Nuclide = Radionuclides.Lu177, Radiopharmaceutical = "177Lu-DOTATATE", InjectedDoseMBq = 7400, UptakeTime = TimeSpan.FromHours(24),
            EnergyWindowName = "LU177_EM208", EnergyWindowLowerKeV = 187.2, EnergyWindowUpperKeV = 228.8, CpsPerMBq = 12,
        };
        var study = SyntheticSpectCtWriter.Write(dir.Path, o);
        var spect = Load(study);
        Assert.Equal(Radionuclides.Lu177, spect.Acquisition.Nuclide);
        Assert.Contains("'^177^Lutetium'", spect.Acquisition.NuclideSource);
        AssertSuv(study.Suv, spect.Suv!);
    }

    [Fact]
    public void UnknownIsotopeRefusesCalibrationAndSuv()
    {
        using var dir = TestData.Temp();
        var study = SyntheticSpectCtWriter.Write(dir.Path, SpectFiles.Small());
        SpectFiles.Edit(study.SpectPath, ds =>
        {
            var radio = SpectFiles.Item(ds, DicomTags.RadiopharmaceuticalInformationSequence);
            radio.Add(DicomTags.Radiopharmaceutical, "Gallium citrate");
            SpectFiles.Item(radio, DicomTags.RadionuclideCodeSequence).Add(DicomTags.CodeValue, "C-131A2").Add(DicomTags.CodeMeaning, "^67^Gallium");
        });
        var spect = Load(study);
        Assert.Equal(SpectQuantity.Counts, spect.Quantity);
        Assert.Equal("unknown isotope (Ga-67, from Radionuclide Code Sequence (0054,0300) Code Meaning '^67^Gallium', has no half-life in FedRad), so no calibration can be matched", spect.ActivityRefusal);
        Assert.Contains(spect.Warnings, w => w.StartsWith("SUV refused — no activity concentration: unknown isotope"));
    }

    [Fact]
    public void IsotopeNamedNowhereIsReportedWithEveryPlaceLooked()
    {
        using var dir = TestData.Temp();
        var study = SyntheticSpectCtWriter.Write(dir.Path, SpectFiles.Small() with { Units = SyntheticSpectUnits.RealWorldBqPerMl });
        SpectFiles.Edit(study.SpectPath, ds =>
        {
            var radio = SpectFiles.Item(ds, DicomTags.RadiopharmaceuticalInformationSequence);
            radio.Add(DicomTags.Radiopharmaceutical, "MDP");
            radio.Remove(DicomTags.RadionuclideCodeSequence);
        });
        var spect = SpectSeries.Load(study.SpectFolder);
        Assert.Equal(SpectQuantity.ActivityConcentration, spect.Quantity);   // vendor units need no isotope
        Assert.Equal("unknown isotope: no radionuclide named in Radionuclide Code Sequence (0054,0300) Code Meaning, Radiopharmaceutical (0018,0031) 'MDP', GE private radionuclide name (0011,xx0D GEMS_GENIE_1)", spect.SuvRefusal);
    }

    [Fact]
    public void NoMatchingCalibrationListsWhatTheImageIsAndWhatTheFileHas()
    {
        using var dir = TestData.Temp();
        var study = SyntheticSpectCtWriter.Write(dir.Path, SpectFiles.Small());
        var spect = Load(study, """
            calibrations:
              - camera: { station_name: NM-OTHER }
                isotope: Tc-99m
                energy_window: { name: TC99M_EM }
                bq_per_ml_per_count: 60
            """);
        Assert.Equal(SpectQuantity.Counts, spect.Quantity);
        Assert.Equal("no calibration in site.yaml for camera manufacturer 'FedRad', model 'Synthetic SPECT/CT', station 'NM-SYNTH-1', serial '0001', Tc-99m, "
            + "energy window(s) 'TC99M_EM' 126.45–154.55 keV; its entries: site.yaml line 2: station 'NM-OTHER', Tc-99m, window 'TC99M_EM': 60 Bq/mL per count", spect.ActivityRefusal);
    }

    [Fact]
    public void TwoMatchingCalibrationsAreRefusedAsAmbiguous()
    {
        using var dir = TestData.Temp();
        var study = SyntheticSpectCtWriter.Write(dir.Path, SpectFiles.Small());
        var spect = Load(study, """
            calibrations:
              - camera: { station_name: NM-SYNTH-1 }
                isotope: Tc-99m
                energy_window: { name: TC99M_EM }
                bq_per_ml_per_count: 60
              - camera: { manufacturer_model: Synthetic SPECT/CT }
                isotope: Tc-99m
                energy_window: { lower_kev: 126, upper_kev: 155 }
                bq_per_ml_per_count: 61
            """);
        Assert.Null(spect.Activity);
        Assert.StartsWith("2 calibrations in site.yaml match", spect.ActivityRefusal);
        Assert.Contains("make them specific", spect.ActivityRefusal);
    }

    [Fact]
    public void DirectBqPerCountCalibrationIsApplied()
    {
        using var dir = TestData.Temp();
        var study = SyntheticSpectCtWriter.Write(dir.Path, SpectFiles.Small());
        var spect = Load(study, $"""
            calibrations:
              - camera: {"{"} device_serial_number: "0001" {"}"}
                isotope: 99mTc
                energy_window: {"{"} lower_kev: 126.0, upper_kev: 155.0 {"}"}
                bq_per_ml_per_count: {study.BqPerMlPerCount:R}
            """);
        Assert.Equal(study.BqPerMlPerCount, spect.ActivityPerCount);
        AssertSuv(study.Suv, spect.Suv!);
    }

    [Fact]
    public void MissingInjectionGivesActivityButNoSuv()
    {
        using var dir = TestData.Temp();
        var study = SyntheticSpectCtWriter.Write(dir.Path, SpectFiles.Small() with { WriteInjection = false });
        var spect = Load(study);
        Assert.Equal(SpectQuantity.ActivityConcentration, spect.Quantity);
        Assert.Equal("Radionuclide Total Dose (0018,1074) is missing", spect.SuvRefusal);
        Assert.Contains(spect.Warnings, w => w == "SUV refused — Radionuclide Total Dose (0018,1074) is missing; activity concentration (Bq/mL) only");
        // Bq/mL is the truth SUV × the activity an SUV of 1 stands for.
        var bqPerSuv = 1 / study.SuvBwFactor;
        for (var n = 0; n < study.Suv.Voxels.Length; n += 7)
            Assert.Equal(study.Suv.Voxels[n] * bqPerSuv, spect.Activity!.Voxels[n], 2e-4 * Math.Max(1, study.Suv.Voxels[n] * bqPerSuv));
        Assert.Throws<SuvRefusedException>(() => SpectSeries.Load(study.SpectFolder,
            new SpectLoadOptions { Calibration = SpectCalibrationTable.Load(study.CalibrationPath), Require = SpectQuantity.Suv }));
    }

    [Theory]
    [InlineData("not-attenuation-corrected", "the image is not attenuation corrected (Corrected Image is UNIF\\COR\\SCAT)")]
    [InlineData("no-acquisition-time", "Acquisition Date (0008,0022) and Time (0008,0032) (or Acquisition DateTime (0008,002A)) are missing")]
    [InlineData("no-weight", "Patient Weight (0010,1030) is missing, which SUVbw needs")]
    public void SuvRefusalsNameTheField(string kind, string reason)
    {
        using var dir = TestData.Temp();
        var study = SyntheticSpectCtWriter.Write(dir.Path, SpectFiles.Small());
        SpectFiles.Edit(study.SpectPath, ds =>
        {
            switch (kind)
            {
                case "not-attenuation-corrected": ds.Add(DicomTags.CorrectedImage, "UNIF", "COR", "SCAT"); break;
                case "no-acquisition-time": ds.Remove(DicomTags.AcquisitionDate); ds.Remove(DicomTags.AcquisitionTime); break;
                case "no-weight": ds.Remove(DicomTags.PatientWeight); break;
            }
        });
        var spect = Load(study);
        Assert.Equal(SpectQuantity.ActivityConcentration, spect.Quantity);
        Assert.StartsWith(reason, spect.SuvRefusal);
    }

    /// <summary>
    /// Reconstructions that keep one frame per rotation (GE Xeleris) do not say how long the acquisition was: a calibration
    /// per acquisition time cannot be applied, one per projection time can, with the dose decayed to the acquisition start.
    /// </summary>
    [Fact]
    public void UnknownAcquisitionDurationIsHandledPerCalibrationTime()
    {
        using var dir = TestData.Temp();
        var study = SyntheticSpectCtWriter.Write(dir.Path, SpectFiles.Small());
        SpectFiles.Edit(study.SpectPath, ds => SpectFiles.Item(ds, DicomTags.RotationInformationSequence).AddNumbers(DicomTags.NumberOfFramesInRotation, 1));

        var perAcquisition = Load(study);
        Assert.Equal(SpectQuantity.Counts, perAcquisition.Quantity);
        Assert.Contains("the header does not give it (Number of Frames in Rotation (0054,0053) is 1, Actual Frame Duration (0018,1242) 25000)", perAcquisition.ActivityRefusal);

        // The same camera per projection time: 90 cps/MBq over 60 views of 25 s is 5400 cps/MBq over one 25 s view.
        var perProjection = Load(study, """
            calibrations:
              - camera: { station_name: NM-SYNTH-1 }
                isotope: Tc-99m
                energy_window: { name: TC99M_EM }
                cps_per_mbq: 5400
                time: projection
            """);
        Assert.Equal(study.BqPerMlPerCount, perProjection.ActivityPerCount!.Value, 1e-9 * study.BqPerMlPerCount);
        Assert.Contains(perProjection.Warnings, w => w.StartsWith("the acquisition duration is not in the header"));
        AssertSuv(study.Suv, perProjection.Suv!, StartInsteadOfAverage(1500));
    }

    /// <summary>Corrected Image DECY: the counts are corrected to the acquisition start, so the dose is decayed to it.</summary>
    [Fact]
    public void DecayCorrectedCountsUseTheAcquisitionStart()
    {
        using var dir = TestData.Temp();
        var study = SyntheticSpectCtWriter.Write(dir.Path, SpectFiles.Small());
        SpectFiles.Edit(study.SpectPath, ds => ds.Add(DicomTags.CorrectedImage, "UNIF", "COR", "ATTN", "SCAT", "DECY"));
        var spect = Load(study);
        Assert.DoesNotContain(spect.Warnings, w => w.Contains("acquisition duration"));
        AssertSuv(study.Suv, spect.Suv!, StartInsteadOfAverage(1500));
    }

    [Fact]
    public void HeaderHalfLifeThatDisagreesWithEnsdfIsReportedAndNotUsed()
    {
        using var dir = TestData.Temp();
        var study = SyntheticSpectCtWriter.Write(dir.Path, SpectFiles.Small());
        SpectFiles.Edit(study.SpectPath, ds => SpectFiles.Item(ds, DicomTags.RadiopharmaceuticalInformationSequence).AddNumbers(DicomTags.RadionuclideHalfLife, 21000));
        var spect = Load(study);
        Assert.Contains(spect.Warnings, w => w.StartsWith("Radionuclide Half Life (0018,1075) 21000 s differs from the ENSDF half-life of Tc-99m (21625.9 s)"));
        AssertSuv(study.Suv, spect.Suv!);
    }

    /// <summary>
    /// SPECT that a vendor stored as other objects: one file per slice, as PET Image Storage in Bq/mL (Tc-99m named in
    /// the radionuclide code, no half-life: the ENSDF one is used) and as NM-modality Secondary Capture slices in counts.
    /// </summary>
    [Fact]
    public void SpectStoredAsSingleFramePetOrNmSlicesIsRead()
    {
        using var dir = TestData.Temp();
        var o = SpectFiles.Small();
        var study = SyntheticSpectCtWriter.Write(Path.Combine(dir.Path, "study"), o);
        var volume = DicomSeriesReader.Load(study.SpectFolder, "NM");

        // PET-format: activity at the acquisition start (values decay corrected to it, as PET START means).
        var petFolder = Path.Combine(dir.Path, "as-pet");
        var bqPerSuvAtStart = 740e6 * Math.Exp(-Lambda * 3 * 3600) / 75000;
        WriteSlices(petFolder, volume, "1.2.840.10008.5.1.4.1.1.128", "PT", (ds, k, voxels) =>
        {
            var values = voxels.Select((_, n) => study.Suv.Voxels[k * voxels.Length + n] * bqPerSuvAtStart).ToArray();
            var slope = values.Max() / 32000;
            ds.AddNumbers(DicomTags.RescaleSlope, slope);
            ds.AddNumbers(DicomTags.RescaleIntercept, 0.0);
            ds.Add(DicomTags.Units, "BQML");
            ds.Add(DicomTags.DecayCorrection, "START");
            ds.Add(DicomTags.CorrectedImage, "ATTN", "SCAT", "DECY");
            ds.Add(DicomTags.SeriesDate, "20250314");
            ds.Add(DicomTags.SeriesTime, "113000");
            return values.Select(v => (ushort)Math.Round(v / slope)).ToArray();
        });
        var pet = SpectSeries.Load(petFolder);
        Assert.Equal("PT", pet.Series.Modality);
        Assert.Contains(pet.Warnings, w => w.StartsWith("Radionuclide Half Life (0018,1075) is missing; the ENSDF half-life of Tc-99m"));
        Assert.True(pet.Grid.SameGeometry(o.SpectGrid));
        AssertSuv(study.Suv, pet.Suv!, 1, 1e-3);   // 16-bit rescaled Bq/mL: half a step of max/32000

        // Counts in single-frame NM-modality slices: quantified with the site calibration like the multi-frame object.
        var scFolder = Path.Combine(dir.Path, "as-nm-slices");
        WriteSlices(scFolder, volume, "1.2.840.10008.5.1.4.1.1.7", "NM", (_, k, voxels) => voxels.Select(v => (ushort)v).ToArray());
        var sc = SpectSeries.Load(scFolder, new SpectLoadOptions { Calibration = SpectCalibrationTable.Load(study.CalibrationPath) });
        Assert.Equal(SpectQuantity.Suv, sc.Quantity);
        AssertSuv(study.Suv, sc.Suv!);

        // One slice moved 3 mm (of 9.6): uneven spacing is refused, naming the slice.
        var moved = Directory.GetFiles(scFolder).Order().ElementAt(10);
        SpectFiles.Edit(moved, ds => ds.AddNumbers(DicomTags.ImagePositionPatient, [.. ds.GetDoubles(DicomTags.ImagePositionPatient).Select((v, i) => i == 2 ? v + 3 : v)]));
        var e = Assert.Throws<SeriesGeometryException>(() => SpectSeries.Load(scFolder));
        Assert.Contains($"uneven spacing of Image Position (Patient) (0020,0032): {Path.GetFileName(moved)} lies 3 mm", e.Message);
    }

    /// <summary>Writes the NM volume as one file per slice of <paramref name="sopClass"/>, keeping the NM header attributes.</summary>
    private static void WriteSlices(string folder, DicomVolume volume, string sopClass, string modality, Func<DicomDataset, int, float[], ushort[]> pixels)
    {
        var g = volume.Grid;
        var plane = g.SizeX * g.SizeY;
        for (var k = 0; k < g.SizeZ; k++)
        {
            var ds = DicomReader.Read(volume.Slices[0].File.Path).Dataset;   // a fresh copy of the NM header
            foreach (var tag in new[] { DicomTags.NumberOfFrames, DicomTags.FrameIncrementPointer, DicomTags.SliceVector, DicomTags.NumberOfSlices,
                         DicomTags.DetectorInformationSequence, DicomTags.SpacingBetweenSlices, DicomTags.PixelData })
                ds.Remove(tag);
            ds.Add(DicomTags.SOPClassUID, sopClass);
            ds.Add(DicomTags.SOPInstanceUID, DicomUid.FromName($"{folder}/{k}"));
            ds.Add(DicomTags.SeriesInstanceUID, DicomUid.FromName(folder));
            ds.Add(DicomTags.Modality, modality);
            ds.Add(DicomTags.ImageType, "DERIVED", "PRIMARY");
            var p = g.ToPatient(0, 0, k);
            ds.AddNumbers(DicomTags.ImagePositionPatient, p.X, p.Y, p.Z);
            ds.AddNumbers(DicomTags.ImageOrientationPatient, 1.0, 0, 0, 0, 1, 0);
            ds.AddNumbers(DicomTags.InstanceNumber, k + 1);
            var values = pixels(ds, k, volume.Image.Voxels.AsSpan(k * plane, plane).ToArray());
            var bytes = new byte[plane * 2];
            for (var n = 0; n < plane; n++) BitConverter.TryWriteBytes(bytes.AsSpan(2 * n), values[n]);
            ds.AddBytes(DicomTags.PixelData, DicomVR.OW, bytes);
            DicomWriter.Write(Path.Combine(folder, $"IM_{k + 1:0000}.dcm"), ds);
        }
    }
}
