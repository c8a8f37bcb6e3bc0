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

    [Fact]
    public void AnUnknownModalityNamesTheAcceptedOnes()
    {
        var e = Assert.Throws<ArgumentException>(() => RoiInputLoader.NormaliseModality("MR"));
        Assert.Contains("'MR' is not CT, PT or NM", e.Message);
    }
}
