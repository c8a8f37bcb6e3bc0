using System.Globalization;
using FedRad.Imaging;
using FedRad.Imaging.Pet;
using FedRad.Imaging.Spect;
using FedRad.Imaging.Synthetic;
using FedRad.Radiomics.Batch;
using FedRad.Radiomics.Io;
using FedRad.Radiomics.Settings;

namespace FedRad.Radiomics.Tests;

/// <summary>
/// SPECT (NM) rows in a radiomics batch: loaded in SUV with the site calibration (counts without one, said in the
/// warnings), and two timepoints of one patient turned into a delta table. Values are checked against statistics
/// computed here from the writer's truth (the SUV and counts it wrote and its voxel-centre lesion mask), not through the
/// loader or the feature code.
/// </summary>
public sealed class SpectBatchTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fedrad-spect-batch-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // No interpolation, so that the features are on the SPECT grid where the truth is.
    private static readonly RadiomicsSettings Settings = SettingsLoader.FromYaml("""
        name: SPECT SUV, FBS 0.25, 3D, native grid
        modality: NM
        approaches: [3D]
        interpolation: {enabled: false}
        resegmentation: {range: [0, null]}
        discretisation:
          texture: {method: fixed_bin_size, bin_width: 0.25}
          ivh: {method: fixed_bin_size, bin_width: 0.1}
        """, "test settings");

    // A 177Lu-PSMA patient scanned on days 1 and 4 (the same camera, window and calibration).
    private static SyntheticSpectStudyOptions Timepoint(string timepoint, int seed, double meanSuv, double heterogeneity, TimeSpan uptake) => new()
    {
        PatientId = "LU-07", Timepoint = timepoint, Seed = seed, UptakeTime = uptake,
        Nuclide = Radionuclides.Lu177, Radiopharmaceutical = "177Lu-PSMA-617", InjectedDoseMBq = 7400,
        EnergyWindowName = "LU177_EM", EnergyWindowLowerKeV = 187.2, EnergyWindowUpperKeV = 228.8,
        SpectGrid = ImageGrid.Axial(40, 40, 24, 4.8, 4.8, 4.8, new Vec3(-93.6, -93.6, -55.2)),
        CtGrid = ImageGrid.Axial(40, 40, 24, 4.8, 4.8, 4.8, new Vec3(-93.6, -93.6, -55.2)),
        Lesion = new SyntheticRegion("Lesion", new Vec3(30, -10, 4), 18, meanSuv, heterogeneity, 300),
        Reference = new SyntheticRegion("Gland", new Vec3(-45, 20, -10), 20, 3.0, 0, 50),
    };

    private static (double Mean, double Max, double Cov, double VolumeMm3) Truth(ImageVolume values, MaskVolume mask)
    {
        var inside = values.Voxels.Where((_, n) => mask.Voxels[n]).Select(v => (double)v).ToArray();
        var mean = inside.Average();
        var variance = inside.Sum(v => (v - mean) * (v - mean)) / inside.Length;   // IBSI: population variance
        return (mean, inside.Max(), Math.Sqrt(variance) / mean, inside.Length * values.Grid.VoxelVolume);
    }

    // The numeric columns of each row of a wide or delta CSV.
    private static Dictionary<string, double>[] ReadWide(string path)
    {
        var lines = File.ReadAllLines(path);
        var header = lines[0].Split(',');
        return lines.Skip(1).Select(l =>
        {
            var fields = l.Split(',');
            var row = new Dictionary<string, double>();
            for (var i = 0; i < header.Length; i++)
                if (double.TryParse(fields[i], NumberStyles.Float, CultureInfo.InvariantCulture, out var v)) row[header[i]] = v;
            return row;
        }).ToArray();
    }

    [Fact]
    public async Task TwoSpectTimepointsGiveSuvFeaturesAndTheirDelta()
    {
        var t0 = SyntheticSpectCtWriter.Write(Path.Combine(_dir, "t0"), Timepoint("day1", 21, 8.0, 0.30, TimeSpan.FromHours(24)));
        var t1 = SyntheticSpectCtWriter.Write(Path.Combine(_dir, "t1"), Timepoint("day4", 22, 4.5, 0.15, TimeSpan.FromHours(96)));
        var manifest = Path.Combine(_dir, "manifest.csv");
        File.WriteAllLines(manifest,
        [
            "patient_id,image,mask,roi,modality,timepoint",
            $"LU-07,{Path.GetRelativePath(_dir, t0.SpectFolder)},{Path.GetRelativePath(_dir, t0.RtStructPath)},Lesion,NM,day1",
            $"LU-07,{Path.GetRelativePath(_dir, t1.SpectFolder)},{Path.GetRelativePath(_dir, t1.RtStructPath)},Lesion,SPECT,day4",
        ]);
        var calibration = SpectCalibrationTable.Load(t0.CalibrationPath);
        var rows = BatchExtractor.ReadManifest(manifest).Select(r => r with { Input = r.Input with { SpectCalibration = calibration } }).ToList();
        Assert.All(rows, r => Assert.Equal("NM", r.Input.Modality));

        // The loader itself: SUV with the calibration, nothing said about counts.
        var (suv0, mask0, warnings0) = RoiInputLoader.Load(rows[0].Input);
        Assert.Equal("SUVbw", suv0.Unit);
        Assert.DoesNotContain(warnings0, w => w.Contains("counts"));
        Assert.Equal(t0.Lesion.Voxels, mask0.Voxels);

        var result = await BatchExtractor.RunAsync(rows, Settings, Path.Combine(_dir, "features.csv"), new BatchOptions(2, Delta: ("day1", "day4")), null, CancellationToken.None);
        Assert.Empty(result.Failures);
        Assert.Equal(2, result.Computed);

        var wide = ReadWide(result.WidePath);
        Assert.Equal(2, wide.Length);
        var delta = Assert.Single(ReadWide(result.DeltaPath!));
        var truth0 = Truth(t0.Suv, t0.Lesion);
        var truth1 = Truth(t1.Suv, t1.Lesion);
        // The loader's SUV equals the written SUV within 2e-4 relative (docs/imaging.md), so the statistics do too.
        foreach (var (row, truth) in new[] { (wide[0], truth0), (wide[1], truth1) })
        {
            Assert.Equal(truth.Mean, row["nm_lesion_stat_mean"], 3e-4 * truth.Mean);
            Assert.Equal(truth.Max, row["nm_lesion_stat_max"], 3e-4 * truth.Max);
            Assert.Equal(truth.Cov, row["nm_lesion_stat_cov"], 1e-3 * truth.Cov);
            Assert.Equal(truth.VolumeMm3, row["nm_lesion_morph_approx_volume"], 1e-6);
        }
        Assert.Equal(truth1.Mean - truth0.Mean, delta["delta_diff_nm_lesion_stat_mean"], 3e-4 * truth0.Mean);
        Assert.Equal((truth1.Mean - truth0.Mean) / truth0.Mean, delta["delta_rel_nm_lesion_stat_mean"], 1e-3);
        Assert.Equal(truth1.Cov - truth0.Cov, delta["delta_diff_nm_lesion_stat_cov"], 1e-3 * truth0.Cov);
        Assert.Equal(0, delta["delta_diff_nm_lesion_morph_approx_volume"]);
        // The lesion was designed to lose uptake and heterogeneity between the scans.
        Assert.True(delta["delta_diff_nm_lesion_stat_mean"] < -2.5);
        Assert.True(delta["delta_diff_nm_lesion_stat_cov"] < -0.05);
    }

    [Fact]
    public void WithoutCalibrationAnNmRowIsInCountsAndTheWarningsSaySo()
    {
        var t = SyntheticSpectCtWriter.Write(_dir, Timepoint("t0", 5, 8.0, 0.25, TimeSpan.FromHours(3)));
        var (image, mask, warnings) = RoiInputLoader.Load(new RoiInput(t.SpectFolder, t.RtStructPath, "Lesion", null, "NM"));
        Assert.Equal("counts", image.Unit);
        Assert.Contains(warnings, w => w.Contains("features computed from counts, not SUV (no SPECT calibration was given)"));
        var truth = Truth(t.Counts, t.Lesion);
        Assert.Equal(truth.Mean, Truth(image, mask).Mean, 1e-9 * truth.Mean);
    }

    [Fact]
    public void WithACalibrationAnNmRowThatCannotReachSuvFailsWithTheReason()
    {
        var t = SyntheticSpectCtWriter.Write(_dir, Timepoint("t0", 6, 8.0, 0.25, TimeSpan.FromHours(3)) with { WriteInjection = false });
        var input = new RoiInput(t.SpectFolder, t.RtStructPath, "Lesion", null, "NM", SpectCalibrationTable.Load(t.CalibrationPath));
        var e = Assert.Throws<SuvRefusedException>(() => RoiInputLoader.Load(input));
        Assert.Contains("dose", e.Message, StringComparison.OrdinalIgnoreCase);
        // Without the calibration the same row is read in counts.
        Assert.Equal("counts", RoiInputLoader.Load(input with { SpectCalibration = null }).Image.Unit);
    }

    /// <summary>One calibration file with every entry of the given ones (a site calibrating its cameras for several isotopes).</summary>
    internal static string MergeCalibrations(string path, IEnumerable<string> files)
    {
        var entries = files.Distinct().SelectMany(f => File.ReadAllLines(f).SkipWhile(l => l != "calibrations:").Skip(1));
        File.WriteAllLines(path, ["calibrations:", .. entries]);
        return path;
    }

    [Fact]
    public async Task A_delta_leaves_out_the_patient_whose_spect_timepoints_differ_in_isotope_or_in_camera_for_counts_and_says_why()
    {
        // LU-07: 177Lu on one camera at days 1 and 4. MIX-01: 99mTc at day 1, 177Lu at day 4. CAM-02: 177Lu, day 4 on another camera.
        var lu0 = SyntheticSpectCtWriter.Write(Path.Combine(_dir, "lu0"), Timepoint("day1", 21, 8.0, 0.30, TimeSpan.FromHours(24)));
        var lu1 = SyntheticSpectCtWriter.Write(Path.Combine(_dir, "lu1"), Timepoint("day4", 22, 4.5, 0.15, TimeSpan.FromHours(96))
            with { ScanStart = new SyntheticSpectStudyOptions().ScanStart.AddHours(72) });
        var shape = Timepoint("day1", 31, 8.0, 0.30, TimeSpan.FromHours(3));
        var tc0 = SyntheticSpectCtWriter.Write(Path.Combine(_dir, "tc0"), new SyntheticSpectStudyOptions   // the writer's 99mTc camera and window
        {
            PatientId = "MIX-01", Timepoint = "day1", Seed = 31, SpectGrid = shape.SpectGrid, CtGrid = shape.CtGrid, Lesion = shape.Lesion, Reference = shape.Reference,
        });
        var mix1 = SyntheticSpectCtWriter.Write(Path.Combine(_dir, "mix1"), Timepoint("day4", 32, 4.5, 0.15, TimeSpan.FromHours(96)) with { PatientId = "MIX-01" });
        var cam0 = SyntheticSpectCtWriter.Write(Path.Combine(_dir, "cam0"), Timepoint("day1", 41, 8.0, 0.30, TimeSpan.FromHours(24)) with { PatientId = "CAM-02" });
        var cam1 = SyntheticSpectCtWriter.Write(Path.Combine(_dir, "cam1"), Timepoint("day4", 42, 4.5, 0.15, TimeSpan.FromHours(96))
            with { PatientId = "CAM-02", StationName = "NM-WARD-B", ManufacturerModelName = "Other SPECT/CT", CpsPerMBq = 130 });
        var manifest = Path.Combine(_dir, "manifest.csv");
        string Row(string id, SyntheticSpectStudy s, string tp) => $"{id},{Path.GetRelativePath(_dir, s.SpectFolder)},{Path.GetRelativePath(_dir, s.RtStructPath)},Lesion,NM,{tp}";
        File.WriteAllLines(manifest,
        [
            "patient_id,image,mask,roi,modality,timepoint",
            Row("LU-07", lu0, "day1"), Row("LU-07", lu1, "day4"),
            Row("MIX-01", tc0, "day1"), Row("MIX-01", mix1, "day4"),
            Row("CAM-02", cam0, "day1"), Row("CAM-02", cam1, "day4"),
        ]);
        var rows = BatchExtractor.ReadManifest(manifest);
        var options = new BatchOptions(2, Delta: ("day1", "day4"));

        // In SUV (every camera and isotope calibrated): the isotopes differ for MIX-01; CAM-02's cameras do not matter.
        var calibration = SpectCalibrationTable.Load(MergeCalibrations(Path.Combine(_dir, "site-calibration.yaml"), [lu0.CalibrationPath, tc0.CalibrationPath, cam1.CalibrationPath]));
        var inSuv = rows.Select(r => r with { Input = r.Input with { SpectCalibration = calibration } }).ToList();
        var suv = await BatchExtractor.RunAsync(inSuv, Settings, Path.Combine(_dir, "suv", "features.csv"), options, null, CancellationToken.None);
        Assert.Empty(suv.Failures);
        Assert.Equal(6, ReadWide(suv.WidePath).Length);   // every timepoint's own features are still there
        Assert.Equal(["LU-07", "CAM-02"], DeltaPatients(suv.DeltaPath!));
        var mix = Assert.Single(suv.SpectPairs, p => p.Problems.Count > 0);
        Assert.Equal($"{manifest}: patient 'MIX-01', SPECT at timepoint 'day1' (line 4) and at 'day4' (line 5) are not comparable: different radionuclides: Tc-99m and Lu-177",
            mix.Refusal(manifest));
        Assert.All(suv.SpectPairs, p => Assert.Empty(p.Caveats));

        // The same pairs are not read again: the verdicts come from the cache. Shown with an image made unreadable behind
        // the cache's back (same size and time), which a second reading would not get a verdict from.
        var original = File.ReadAllBytes(mix1.SpectPath);
        var written = File.GetLastWriteTimeUtc(mix1.SpectPath);
        File.WriteAllBytes(mix1.SpectPath, new byte[original.Length]);
        File.SetLastWriteTimeUtc(mix1.SpectPath, written);
        var again = await BatchExtractor.RunAsync(inSuv, Settings, Path.Combine(_dir, "suv", "features.csv"), options, null, CancellationToken.None);
        Assert.Equal(6, again.FromCache);
        Assert.Equal(mix.Problems, Assert.Single(again.SpectPairs, p => p.Problems.Count > 0).Problems);
        Assert.Null(TimepointPairs.Compare(inSuv[2], inSuv[3]));   // read afresh, the unreadable image gives none
        File.WriteAllBytes(mix1.SpectPath, original);

        // In counts (no calibration): the cameras differ for CAM-02 too, and the comparable pair carries the decay caveat.
        var countSettings = SettingsLoader.FromYaml("""
            name: SPECT counts, FBN 32, 3D
            approaches: [3D]
            interpolation: {enabled: false}
            discretisation:
              texture: {method: fixed_bin_number, bins: 32}
              ivh: {method: fixed_bin_number, bins: 100}
            """, "test settings");
        var counts = await BatchExtractor.RunAsync(rows, countSettings, Path.Combine(_dir, "counts", "features.csv"), options, null, CancellationToken.None);
        Assert.Empty(counts.Failures);
        Assert.Equal(["LU-07"], DeltaPatients(counts.DeltaPath!));
        var cam = counts.SpectPairs.Single(p => p.PatientId == "CAM-02");
        Assert.Equal(["counts from different cameras (manufacturer 'FedRad', model 'Synthetic SPECT/CT', station 'NM-SYNTH-1', serial '0001'; "
            + "manufacturer 'FedRad', model 'Other SPECT/CT', station 'NM-WARD-B', serial '0001') are not comparable without a calibration"],
            cam.Problems);
        Assert.Contains("different radionuclides: Tc-99m and Lu-177", counts.SpectPairs.Single(p => p.PatientId == "MIX-01").Problems);
        var lu = counts.SpectPairs.Single(p => p.PatientId == "LU-07");
        Assert.Empty(lu.Problems);
        // 72 h of 177Lu (ENSDF 6.647 d) between the acquisitions: 2^(−72/159.53) = 0.731.
        Assert.Equal("counts are not decay corrected: between the acquisitions Lu-177 decayed to 0.731 of its activity, so count differences include "
            + "that physical decay, not only biology (and any difference in acquisition duration)", Assert.Single(lu.Caveats));
    }

    private static string[] DeltaPatients(string deltaPath) => File.ReadAllLines(deltaPath).Skip(1).Select(l => l.Split(',')[0]).ToArray();

    [Fact]
    public void AnUnknownModalityNamesTheAcceptedOnes()
    {
        var e = Assert.Throws<ArgumentException>(() => RoiInputLoader.NormaliseModality("MR"));
        Assert.Contains("'MR' is not CT, PT or NM", e.Message);
    }
}
