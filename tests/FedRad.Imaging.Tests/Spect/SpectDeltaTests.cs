using FedRad.Imaging.Rois;
using FedRad.Imaging.Spect;
using FedRad.Imaging.Synthetic;
using FedRad.Radiomics;
using FedRad.Radiomics.Features;
using FedRad.Radiomics.Multimodal;

namespace FedRad.Imaging.Tests.Spect;

/// <summary>
/// Two SPECT timepoints of one patient — salivary-gland uptake at its maximum and after stimulation — written, loaded,
/// checked for comparability, and turned into per-timepoint features and their delta.
/// </summary>
public class SpectDeltaTests
{
    private static (SyntheticSpectStudy Baseline, SyntheticSpectStudy FollowUp) WriteTimepoints(string root)
    {
        var t0 = SpectFiles.Small(11) with
        {
            PatientId = "SALIVA-01", Timepoint = "max", Radiopharmaceutical = "Tc99m pertechnetate", InjectedDoseMBq = 185,
            UptakeTime = TimeSpan.FromMinutes(20), ScanStart = new DateTime(2025, 5, 6, 9, 20, 0),
            Reference = new SyntheticRegion("Gland", new Vec3(-50, 20, -10), 25, 3.0, 0.1, 50),
        };
        var t1 = t0 with
        {
            Seed = 12, Timepoint = "stimulated", UptakeTime = TimeSpan.FromMinutes(75), ScanStart = new DateTime(2025, 5, 6, 10, 15, 0),
            Reference = t0.Reference with { MeanSuv = 1.2 },
        };
        return (SyntheticSpectCtWriter.Write(Path.Combine(root, "t0"), t0), SyntheticSpectCtWriter.Write(Path.Combine(root, "t1"), t1));
    }

    private static (FeatureSet Features, double Mean) Extract(SpectImage image, SyntheticSpectStudy study)
    {
        var gland = RoiLoader.Load(study.RtStructPath, image.Grid, image.FrameOfReferenceUid, new RoiSelection("Gland")).Mask;
        var mean = image.Values.Voxels.Where((_, n) => gland.Voxels[n]).Average(v => (double)v);
        return (RadiomicsExtractor.Extract(image.Values, gland, SpectStudyTests.CountSettings), mean);
    }

    [Fact]
    public void SuvTimepointsGiveFeaturesAndTheirDifference()
    {
        using var dir = TestData.Temp();
        var (s0, s1) = WriteTimepoints(dir.Path);
        var options = new SpectLoadOptions { Calibration = SpectCalibrationTable.Load(s0.CalibrationPath) };
        var baseline = SpectSeries.Load(s0.SpectFolder, options);
        var followUp = SpectSeries.Load(s1.SpectFolder, options);

        var (problems, caveats) = SpectTimepoints.Compare(baseline, followUp);
        Assert.Empty(problems);
        Assert.Empty(caveats);

        var (f0, mean0) = Extract(baseline, s0);
        var (f1, mean1) = Extract(followUp, s1);
        Assert.InRange(mean0, 2.7, 3.3);   // the gland's SUV as designed at each timepoint
        Assert.InRange(mean1, 1.05, 1.35);
        var delta = DeltaRadiomics.Compute(f0, f1);
        var meanDiff = delta.Values.Single(v => v.IbsiCode == "Q4LE" && v.Family.StartsWith("delta_diff"));
        var meanRel = delta.Values.Single(v => v.IbsiCode == "Q4LE" && v.Family.StartsWith("delta_rel"));
        Assert.Equal(mean1 - mean0, meanDiff.Value, 1e-6);
        Assert.Equal((mean1 - mean0) / mean0, meanRel.Value, 1e-6);
        Assert.Equal(f0.Values.Count, delta.Values.Count / 2);   // every feature of one timepoint has its delta

        // The wide rows a study's feature table takes: each timepoint's features and the deltas.
        var row = f0.ToWideRow("nm");
        Assert.True(row.ContainsKey("nm_stat_mean"), string.Join(", ", row.Keys.Take(5)));
        Assert.Contains(delta.ToWideRow("nm").Keys, k => k.StartsWith("nm_delta_diff_stat_mean"));
    }

    [Fact]
    public void CountTimepointsAreComparableWithTheDecayStatedAndMixedQuantitiesAreNot()
    {
        using var dir = TestData.Temp();
        var (s0, s1) = WriteTimepoints(dir.Path);
        var counts0 = SpectSeries.Load(s0.SpectFolder);
        var counts1 = SpectSeries.Load(s1.SpectFolder);
        var (problems, caveats) = SpectTimepoints.Compare(counts0, counts1);
        Assert.Empty(problems);
        // 55 minutes of Tc-99m decay (ENSDF 6.0072 h): 2^(−55/360.432) = 0.8997.
        Assert.Contains("Tc-99m decayed to 0.9 of its activity", Assert.Single(caveats));
        var delta = DeltaRadiomics.Compute(Extract(counts0, s0).Features, Extract(counts1, s1).Features);
        Assert.True(double.IsFinite(delta.Values.Single(v => v.IbsiCode == "Q4LE" && v.Family.StartsWith("delta_diff")).Value));

        var suv1 = SpectSeries.Load(s1.SpectFolder, new SpectLoadOptions { Calibration = SpectCalibrationTable.Load(s1.CalibrationPath) });
        var mixed = SpectTimepoints.Compare(counts0, suv1).Problems;
        Assert.Equal("different quantities: counts (Counts) at baseline, SUVbw (Suv) at follow-up; load both with the same calibration and normalisation", Assert.Single(mixed));

        var otherPatient = SyntheticSpectCtWriter.Write(Path.Combine(dir.Path, "other"), SpectFiles.Small(13) with { PatientId = "SALIVA-02", StationName = "NM-SYNTH-2" });
        var other = SpectTimepoints.Compare(counts0, SpectSeries.Load(otherPatient.SpectFolder)).Problems;
        Assert.Contains("different patients: Patient ID 'SALIVA-01' and 'SALIVA-02'", other);
        Assert.Contains(other, p => p.StartsWith("counts from different cameras"));
    }
}
