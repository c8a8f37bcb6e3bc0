using System.Globalization;
using FedRad.Imaging;
using FedRad.Imaging.Spect;
using FedRad.Imaging.Synthetic;
using FedRad.IntegrationTests.Infrastructure;

namespace FedRad.IntegrationTests;

/// <summary>
/// `fedrad features batch --spect-calibration` as a process: SPECT (NM) rows in SUV with the calibration, in counts
/// without it, checked against the SUV and counts the synthetic writer stored; a changed calibration is not served
/// from the batch cache; a broken calibration file is refused with its name.
/// </summary>
public sealed class SpectFeaturesCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fedrad-spect-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private SyntheticSpectStudy Write(string timepoint, int seed, double suv, string patient = "P1", Func<SyntheticSpectStudyOptions, SyntheticSpectStudyOptions>? change = null) =>
        SyntheticSpectCtWriter.Write(Path.Combine(_dir, patient, timepoint), (change ?? (o => o))(new SyntheticSpectStudyOptions
        {
            PatientId = patient, Timepoint = timepoint, Seed = seed, UptakeTime = TimeSpan.FromHours(3),
            SpectGrid = ImageGrid.Axial(32, 32, 20, 4.8, 4.8, 4.8, new Vec3(-74.4, -74.4, -45.6)),
            CtGrid = ImageGrid.Axial(32, 32, 20, 4.8, 4.8, 4.8, new Vec3(-74.4, -74.4, -45.6)),
            BodySemiAxisX = 70, BodySemiAxisY = 55,
            Lesion = new SyntheticRegion("Lesion", new Vec3(20, -8, 4), 14, suv, 0.2, 300),
            Reference = new SyntheticRegion("Gland", new Vec3(-35, 15, -5), 10, 3.0, 0, 50),
        }));

    private static double Mean(ImageVolume v, MaskVolume m) => v.Voxels.Where((_, n) => m.Voxels[n]).Average(x => (double)x);

    private static List<Dictionary<string, string>> Read(string path)
    {
        var lines = File.ReadAllLines(path);
        var header = lines[0].Split(',');
        return lines.Skip(1).Select(l => l.Split(',').Select((v, i) => (header[i], v)).ToDictionary()).ToList();
    }

    private static double D(string s) => double.Parse(s, CultureInfo.InvariantCulture);

    // On the native SPECT grid, so that the ROI is the writer's voxel-centre lesion mask.
    private const string NativeSettings = "name: native NM\nmodality: NM\napproaches: [3D]\ninterpolation: {enabled: false}\nresegmentation: {range: [0, null]}\n"
        + "discretisation:\n  texture: {method: fixed_bin_number, bins: 32}\n  ivh: {method: fixed_bin_number, bins: 100}\n";

    [Fact]
    public async Task Batch_quantifies_NM_rows_with_the_calibration_and_recomputes_when_it_changes()
    {
        var t0 = Write("day1", 3, 8.0);
        var t1 = Write("day4", 4, 5.0);
        var manifest = Path.Combine(_dir, "manifest.csv");
        File.WriteAllLines(manifest,
        [
            "patient_id,image,mask,roi,modality,timepoint",
            $"P1,{t0.SpectFolder},{t0.RtStructPath},Lesion,NM,day1",
            $"P1,{t1.SpectFolder},{t1.RtStructPath},Lesion,NM,day4",
        ]);
        var settings = Path.Combine(_dir, "settings.yaml");
        File.WriteAllText(settings, NativeSettings);
        var output = Path.Combine(_dir, "out", "features.csv");

        var (counts, countsLog) = await FedradProcess.Run(TimeSpan.FromMinutes(2), "features", "batch", "--manifest", manifest, "--settings", settings, "--out", output, "--jobs", "2");
        Assert.True(counts == 0, countsLog);
        Assert.Contains("no --spect-calibration: their features come from counts", countsLog);
        var wide = Read(Path.ChangeExtension(output, ".wide.csv"));
        Assert.Equal(Mean(t0.Counts, t0.Lesion), D(wide[0]["nm_lesion_stat_mean"]), 1e-6 * Mean(t0.Counts, t0.Lesion));

        // Same output folder and cache: the calibrated run must not reuse the counts.
        var (suv, suvLog) = await FedradProcess.Run(TimeSpan.FromMinutes(2), "features", "batch", "--manifest", manifest, "--settings", settings, "--out", output,
            "--jobs", "2", "--delta", "day1:day4", "--spect-calibration", t0.CalibrationPath);
        Assert.True(suv == 0, suvLog);
        Assert.Contains("2 ROIs extracted, 0 from cache", suvLog);
        wide = Read(Path.ChangeExtension(output, ".wide.csv"));
        double truth0 = Mean(t0.Suv, t0.Lesion), truth1 = Mean(t1.Suv, t1.Lesion);
        Assert.Equal(truth0, D(wide.Single(r => r["timepoint"] == "day1")["nm_lesion_stat_mean"]), 3e-4 * truth0);
        Assert.Equal(truth1, D(wide.Single(r => r["timepoint"] == "day4")["nm_lesion_stat_mean"]), 3e-4 * truth1);
        var delta = Assert.Single(Read(Path.ChangeExtension(output, ".delta.csv")));
        Assert.Equal(truth1 - truth0, D(delta["delta_diff_nm_lesion_stat_mean"]), 3e-4 * truth0);

        var broken = Path.Combine(_dir, "broken.yaml");
        File.WriteAllText(broken, "calibrations:\n  - isotope: Xx-999\n");
        var (bad, badLog) = await FedradProcess.Run(TimeSpan.FromMinutes(2), "features", "batch", "--manifest", manifest, "--settings", settings, "--out", output, "--spect-calibration", broken);
        Assert.Equal(1, bad);
        Assert.Contains("broken.yaml", badLog);
    }

    [Fact]
    public async Task Batch_delta_leaves_out_the_patient_whose_spect_timepoints_are_different_isotopes_with_an_error()
    {
        var p1a = Write("day1", 3, 8.0);
        var p1b = Write("day4", 4, 5.0);
        var p2a = Write("day1", 5, 8.0, "P2");
        var p2b = Write("day4", 6, 5.0, "P2", o => o with
        {
            Nuclide = Radionuclides.Lu177, Radiopharmaceutical = "177Lu-PSMA-617", InjectedDoseMBq = 7400,
            EnergyWindowName = "LU177_EM", EnergyWindowLowerKeV = 187.2, EnergyWindowUpperKeV = 228.8,
        });
        var manifest = Path.Combine(_dir, "manifest.csv");
        File.WriteAllLines(manifest,
        [
            "patient_id,image,mask,roi,modality,timepoint",
            $"P1,{p1a.SpectFolder},{p1a.RtStructPath},Lesion,NM,day1",
            $"P1,{p1b.SpectFolder},{p1b.RtStructPath},Lesion,NM,day4",
            $"P2,{p2a.SpectFolder},{p2a.RtStructPath},Lesion,NM,day1",
            $"P2,{p2b.SpectFolder},{p2b.RtStructPath},Lesion,NM,day4",
        ]);
        var settings = Path.Combine(_dir, "settings.yaml");
        File.WriteAllText(settings, NativeSettings);
        var output = Path.Combine(_dir, "out", "features.csv");

        var (code, log) = await FedradProcess.Run(TimeSpan.FromMinutes(2), "features", "batch", "--manifest", manifest, "--settings", settings, "--out", output,
            "--jobs", "2", "--delta", "day1:day4");
        Assert.True(code == 1, log);
        Assert.Contains($"error: {manifest}: patient 'P2', SPECT at timepoint 'day1' (line 4) and at 'day4' (line 5) are not comparable: different radionuclides: Tc-99m and Lu-177; "
            + "counts from different energy windows ('TC99M_EM' 126.45–154.55 keV; 'LU177_EM' 187.2–228.8 keV); left out of the delta table", log);
        Assert.Contains($"warning: {manifest}: patient 'P1', SPECT at timepoint 'day1' (line 2) and at 'day4' (line 3): counts are not decay corrected", log);
        Assert.Equal(4, Read(Path.ChangeExtension(output, ".wide.csv")).Count);   // each scan's own features are still written
        Assert.Equal("P1", Assert.Single(Read(Path.ChangeExtension(output, ".delta.csv")))["patient_id"]);
    }
}
