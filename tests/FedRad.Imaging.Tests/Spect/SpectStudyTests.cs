using FedRad.Imaging.Alignment;
using FedRad.Imaging.Pet;
using FedRad.Imaging.Rois;
using FedRad.Imaging.Series;
using FedRad.Imaging.Spect;
using FedRad.Imaging.Synthetic;
using FedRad.Radiomics;
using FedRad.Radiomics.Features;
using FedRad.Radiomics.Settings;

namespace FedRad.Imaging.Tests.Spect;

/// <summary>A synthetic SPECT/CT study written as DICOM and read back: SUV with the site calibration, counts without.</summary>
public class SpectStudyTests
{
    /// <summary>Count-based texture settings: 3D, no interpolation (the SPECT grid is isotropic), 32 fixed bins over the ROI range.</summary>
    internal static readonly RadiomicsSettings CountSettings = SettingsLoader.FromYaml("""
        name: SPECT counts, FBN 32, 3D
        approaches: [3D]
        interpolation: {enabled: false}
        discretisation:
          texture: {method: fixed_bin_number, bins: 32}
          ivh: {method: fixed_bin_number, bins: 100}
        """);

    [Fact]
    public void WrittenStudyLoadsBackToSuvWithTheSiteCalibration()
    {
        using var dir = TestData.Temp();
        var o = new SyntheticSpectStudyOptions { Seed = 7 };
        var study = SyntheticSpectCtWriter.Write(dir.Path, o);

        // dcmtk reads every file; the NM object says what it is.
        foreach (var file in Directory.GetFiles(dir.Path, "*.dcm", SearchOption.AllDirectories))
            ExternalTool.Run("dcmdump", "-q", file);
        var dump = ExternalTool.Run("dcmdump", study.SpectPath);
        Assert.Contains("(0008,0016) UI =NuclearMedicineImageStorage", dump);
        Assert.Contains(@"(0008,0008) CS [ORIGINAL\PRIMARY\RECON TOMO\EMISSION]", dump);
        Assert.Contains("(0028,0009) AT (0054,0080)", dump);
        Assert.Contains("(0028,0008) IS [48]", dump);

        var calibration = SpectCalibrationTable.Load(study.CalibrationPath);
        var spect = SpectSeries.Load(study.SpectFolder, new SpectLoadOptions { Calibration = calibration });
        Assert.Equal(SpectQuantity.Suv, spect.Quantity);
        Assert.Null(spect.SuvRefusal);
        Assert.True(spect.Grid.SameGeometry(o.SpectGrid), $"{spect.Grid} vs {o.SpectGrid}");

        // Bq/mL per count by hand: 10^6 / (90 cps/MBq × 60 × 25 s × 0.110592 mL).
        Assert.Equal(1e6 / (90 * 1500 * 0.110592), spect.ActivityPerCount!.Value, 1e-9);
        // SUVbw per Bq/mL by hand: weight / dose decayed to the acquisition's average count-rate time, whose decay factor is
        // (1 − e^(−λT)) / (λT) after the 3 h uptake (ENSDF Tc-99m 6.0072 h; T = 1500 s).
        var lambda = Math.Log(2) / (6.0072 * 3600);
        var decayed = 740e6 * Math.Exp(-lambda * 3 * 3600) * (1 - Math.Exp(-lambda * 1500)) / (lambda * 1500);
        Assert.Equal(75000 / decayed, spect.Conversion!.UniformFactor!.Value, 1e-12);

        // The SUV the writer put in (from counts it computed by integrating the decaying activity) comes back.
        for (var n = 0; n < study.Suv.Voxels.Length; n++)
            Assert.Equal(study.Suv.Voxels[n], spect.Suv!.Voxels[n], 2e-4f * Math.Max(1, study.Suv.Voxels[n]));
        Assert.Equal(study.Counts.Voxels, spect.Counts.Voxels);

        // RTSTRUCT and SEG give the truth masks on the SPECT grid; uptake as designed.
        var rt = RoiLoader.Load(study.RtStructPath, spect.Grid, spect.FrameOfReferenceUid, new RoiSelection("Lesion"));
        var gland = RoiLoader.Load(study.SegPath, spect.Grid, spect.FrameOfReferenceUid, new RoiSelection(SegmentNumber: 2));
        Assert.Equal(study.Lesion.Voxels, rt.Mask.Voxels);
        Assert.Equal(study.Reference.Voxels, gland.Mask.Voxels);
        var lesion = PetMetrics.Compute(spect.Suv!, rt.Mask);
        Assert.InRange(lesion.SuvMean, 7.0, 9.0);
        Assert.InRange(PetMetrics.Compute(spect.Suv!, gland.Mask).SuvMean, 2.8, 3.2);

        // SPECT/CT alignment through patient coordinates: CT on the SPECT grid shows the lesion's 300 HU and air in the corner.
        var ct = DicomSeriesReader.Load(study.CtFolder, "CT");
        var ctOnSpect = PetCtAlignment.CtOnPetGrid(ct, spect.Series);
        Assert.True(ctOnSpect.Grid.SameGeometry(spect.Grid));
        var c = spect.Grid.ToIndex(o.Lesion.Centre);
        Assert.InRange(ctOnSpect[(int)Math.Round(c.X), (int)Math.Round(c.Y), (int)Math.Round(c.Z)], 300 - 20, 300 + 20);
        Assert.InRange(ctOnSpect[0, 0, 10], -1010, -990);
    }

    [Fact]
    public void WithoutCalibrationSuvIsRefusedAndCountBasedFeaturesStillWork()
    {
        using var dir = TestData.Temp();
        var study = SyntheticSpectCtWriter.Write(dir.Path, new SyntheticSpectStudyOptions { Seed = 3 });
        var spect = SpectSeries.Load(study.SpectFolder);

        Assert.Equal(SpectQuantity.Counts, spect.Quantity);
        Assert.Null(spect.Suv);
        Assert.Contains("no site calibration", spect.SuvRefusal);
        Assert.Contains(spect.Warnings, w => w.StartsWith("SUV refused") && w.Contains("count-based values only"));
        Assert.Equal("counts", spect.Values.Unit);
        Assert.Equal(study.Counts.Voxels, spect.Values.Voxels);

        // A study defined on SUV refuses this image with the reason.
        var e = Assert.Throws<SuvRefusedException>(() => SpectSeries.Load(study.SpectFolder, new SpectLoadOptions { Require = SpectQuantity.Suv }));
        Assert.Contains("no site calibration", e.Reason);

        // Count-based radiomics: IBSI mean intensity (Q4LE) and maximum (84IY) equal the counts inside the mask.
        var roi = RoiLoader.Load(study.RtStructPath, spect.Grid, spect.FrameOfReferenceUid, new RoiSelection("Lesion"));
        var features = RadiomicsExtractor.Extract(spect.Values, roi.Mask, CountSettings);
        var inside = spect.Values.Voxels.Where((_, n) => roi.Mask.Voxels[n]).Select(v => (double)v).ToArray();
        Assert.Equal(inside.Average(), features.Get("Q4LE").Value, 1e-6 * inside.Average());
        Assert.Equal(inside.Max(), features.Get("84IY").Value, 1e-9);
        Assert.Equal(roi.Mask.Count() * 0.110592 * 1000, features.Get("YEKZ").Value, 1e-3);   // approximate volume, mm³
        Assert.All(features.Values.Where(v => v.Family == "glcm"), v => Assert.True(double.IsFinite(v.Value), $"{v.Feature} {v.Value}"));
    }
}
