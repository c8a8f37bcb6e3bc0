using System.Globalization;
using FedRad.Coordinator.Studies;
using FedRad.Imaging;
using FedRad.Imaging.Spect;
using FedRad.Imaging.Synthetic;
using FedRad.Learning.Data;
using FedRad.Protocol.V1;
using FedRad.Radiomics;
using FedRad.Radiomics.Io;
using FedRad.Radiomics.Settings;
using FedRad.SiteAgent.Cohorts;
using FedRad.SiteAgent.Hosting;
using FedRad.Tests.Infrastructure;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FedRad.Tests.Admin;

/// <summary>
/// Delta radiomics as a federated study's feature set: two SPECT/CT timepoints per patient (synthetic NM RECON TOMO,
/// quantified with each site's camera calibration), a study file naming the timepoints, a real coordinator and real
/// agents. The site's delta columns are checked against the writer's truth (the SUV it wrote, inside its lesion
/// sphere) and against the difference of the two timepoints extracted one by one, outside the batch.
/// </summary>
public sealed class DeltaStudyTests : IAsyncLifetime
{
    private const string Baseline = "base";
    private const string FollowUp = "week6";
    private const int PatientsPerSite = 9;

    private TestCoordinator _c = null!;
    private readonly List<IHost> _agents = [];
    private readonly string _root = Directory.CreateTempSubdirectory("fedrad-delta-").FullName;
    private readonly Dictionary<string, (SyntheticSpectStudy Before, SyntheticSpectStudy After, int Label)> _patients = [];

    public async ValueTask InitializeAsync() => _c = await TestCoordinator.Start();

    public async ValueTask DisposeAsync()
    {
        foreach (var agent in _agents) await agent.StopAsync(CancellationToken.None);
        await _c.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    // Responders (label 1) lose more uptake between the scans; each site has its own camera sensitivity.
    // followUp: changes one patient's follow-up scan (by index), e.g. another isotope or camera.
    private string WriteSite(string siteId, int siteIndex, bool dropFollowUpOfLast = false, Func<int, SyntheticSpectStudyOptions, SyntheticSpectStudyOptions>? followUp = null)
    {
        var calibrations = new List<string>();
        var dir = Path.Combine(_root, siteId);
        var manifest = new List<string> { "patient_id,image,mask,roi,modality,timepoint" };
        var outcomes = new List<string> { "patient_id,response" };
        for (var i = 0; i < PatientsPerSite; i++)
        {
            var id = $"{siteId}-{i:D2}";
            var label = i % 3 == 0 ? 1 : 0;
            var rng = new Random(siteIndex * 1000 + i);
            var baselineSuv = 7 + 2 * rng.NextDouble();
            var keep = label == 1 ? 0.45 + 0.1 * rng.NextDouble() : 0.8 + 0.15 * rng.NextDouble();
            SyntheticSpectStudy Scan(string timepoint, double suv, double heterogeneity, int seed, Func<SyntheticSpectStudyOptions, SyntheticSpectStudyOptions> change) =>
                SyntheticSpectCtWriter.Write(Path.Combine(dir, "dicom", id, timepoint), change(new SyntheticSpectStudyOptions
                {
                    PatientId = id, Timepoint = timepoint, Seed = seed, StationName = $"NM-{siteId.ToUpperInvariant()}",
                    CpsPerMBq = 80 + 20 * siteIndex,
                    SpectGrid = ImageGrid.Axial(36, 36, 20, 4.8, 4.8, 4.8, new Vec3(-84, -84, -45.6)),
                    CtGrid = ImageGrid.Axial(36, 36, 20, 4.8, 4.8, 4.8, new Vec3(-84, -84, -45.6)),
                    BodySemiAxisX = 75, BodySemiAxisY = 60, Noise = 0.03,
                    Lesion = new SyntheticRegion("Lesion", new Vec3(20, -8, 4), 14, suv, heterogeneity, 300),
                    Reference = new SyntheticRegion("Gland", new Vec3(-40, 15, -5), 12, 3.0, 0, 50),
                }));
            var before = Scan(Baseline, baselineSuv, 0.25, rng.Next(), o => o);
            var after = Scan(FollowUp, baselineSuv * keep, 0.15, rng.Next(), o => followUp?.Invoke(i, o) ?? o);
            calibrations.AddRange([before.CalibrationPath, after.CalibrationPath]);
            _patients[id] = (before, after, label);
            manifest.Add($"{id},{Rel(dir, before.SpectFolder)},{Rel(dir, before.RtStructPath)},Lesion,NM,{Baseline}");
            if (!(dropFollowUpOfLast && i == PatientsPerSite - 1))
                manifest.Add($"{id},{Rel(dir, after.SpectFolder)},{Rel(dir, after.RtStructPath)},Lesion,NM,{FollowUp}");
            outcomes.Add($"{id},{label}");
        }
        // The site's calibration: every camera and isotope its scans come from.
        var entries = calibrations.Select(File.ReadAllLines).Select(l => l.SkipWhile(x => x != "calibrations:").Skip(1).ToArray())
            .DistinctBy(e => string.Join("\n", e)).SelectMany(e => e);
        File.WriteAllLines(Path.Combine(dir, "spect-calibration.yaml"), ["calibrations:", .. entries]);
        File.WriteAllLines(Path.Combine(dir, ImagingCohort.ManifestFile), manifest);
        File.WriteAllLines(Path.Combine(dir, ImagingCohort.OutcomesFile), outcomes);
        return dir;
    }

    private static string Rel(string dir, string path) => Path.GetRelativePath(dir, path);

    private static readonly string[] Features = ["delta_diff_nm_lesion_stat_mean", "delta_rel_nm_lesion_stat_mean", "baseline_nm_lesion_stat_mean"];

    private static string StudyText(string id) => $"""
        study_id: {id}
        feature_names: [{string.Join(", ", Features)}]
        label_column: response
        rounds: 3
        site_ids: [site-1, site-2]
        round_timeout_seconds: 120
        training: {"{"}local_epochs: 2, learning_rate: 0.1, l2: 0.01, batch_size: 0, seed: 5{"}"}
        imaging:
          preset: spect-suv-fbs0.25-3d
          roi: Lesion
          delta_baseline: {Baseline}
          delta_follow_up: {FollowUp}
        """;

    [Fact]
    public async Task A_SPECT_delta_study_runs_to_completion_and_its_site_features_are_the_difference_of_the_two_timepoints()
    {
        foreach (var (site, k) in new[] { ("site-1", 1), ("site-2", 2) })
        {
            var dir = WriteSite(site, k);
            var agent = SiteAgentHost.Build(new SiteAgentOptions
            {
                CoordinatorUrl = _c.Url, SiteId = site, DataDirectory = dir, MinCohortSize = 3,
                SpectCalibrationPath = Path.Combine(dir, "spect-calibration.yaml"),
            }, l => l.SetMinimumLevel(LogLevel.Warning));
            await agent.StartAsync();
            _agents.Add(agent);
        }
        await _c.WaitForSites(2);

        var created = await _c.Admin.CreateStudyAsync(new CreateStudyRequest { Definition = StudyText("delta-spect"), DefinitionName = "delta.yaml" });
        Assert.Equal(Baseline, created.Spec.Imaging.DeltaBaseline);
        Assert.Equal(FollowUp, created.Spec.Imaging.DeltaFollowUp);
        await _c.Admin.StartStudyAsync(new StudyRef { StudyId = "delta-spect" });
        var status = await _c.WaitFor("delta-spect", s => s.State is StudyState.Completed or StudyState.Failed, 240);
        Assert.True(status.State == StudyState.Completed, status.FailureReason);
        Assert.All(status.Evaluation.Sites, s => Assert.Equal(PatientsPerSite, s.N));
        // Designed so: responders lose about half their uptake, the others under a fifth.
        Assert.True(status.Evaluation.PooledAuc > 0.9, $"pooled AUC {status.Evaluation.PooledAuc}");

        var settings = SettingsLoader.FromYaml(StudyFile.Preset("spect-suv-fbs0.25-3d")!, "preset");
        foreach (var site in new[] { "site-1", "site-2" })
        {
            var dir = Path.Combine(_root, site);
            var calibration = SpectCalibrationTable.Load(Path.Combine(dir, "spect-calibration.yaml"));
            var table = ReadTable(Assert.Single(Directory.GetFiles(Path.Combine(dir, ".fedrad", "features"), "features.patients.csv", SearchOption.AllDirectories)));
            var cohort = ReadTable(Assert.Single(Directory.GetFiles(Path.Combine(dir, ".fedrad", "features"), "cohort-*.csv", SearchOption.AllDirectories)));
            Assert.Equal(PatientsPerSite, table.Count);
            Assert.Equal(PatientsPerSite, cohort.Count);
            foreach (var (id, row) in table)
            {
                var (before, after, label) = _patients[id];
                // Each timepoint extracted on its own, outside the batch, with the site's calibration.
                Dictionary<string, double> Alone(SyntheticSpectStudy s)
                {
                    var (image, mask, _) = RoiInputLoader.Load(new RoiInput(s.SpectFolder, s.RtStructPath, "Lesion", null, "NM", calibration));
                    Assert.Equal("SUVbw", image.Unit);
                    return RadiomicsExtractor.Extract(image, mask, settings).WithFamilyPrefix("nm_lesion").ToWideRow().ToDictionary();
                }
                var b = Alone(before);
                var a = Alone(after);
                var compared = 0;
                foreach (var (column, value) in row)
                {
                    if (column.StartsWith("delta_diff_", StringComparison.Ordinal))
                    {
                        var name = column["delta_diff_".Length..];
                        AssertSame(a[name] - b[name], value, $"{id} {column}");
                        compared++;
                    }
                    else if (column.StartsWith("delta_rel_", StringComparison.Ordinal))
                    {
                        var name = column["delta_rel_".Length..];
                        AssertSame(b[name] == 0 ? double.NaN : (a[name] - b[name]) / Math.Abs(b[name]), value, $"{id} {column}");
                    }
                    else if (column.StartsWith("baseline_", StringComparison.Ordinal)) AssertSame(b[column["baseline_".Length..]], value, $"{id} {column}");
                    else if (column.StartsWith("follow_up_", StringComparison.Ordinal)) AssertSame(a[column["follow_up_".Length..]], value, $"{id} {column}");
                    else Assert.Fail($"unexpected column {column}");
                }
                Assert.True(compared > 100, $"{compared} delta_diff columns");

                // The outside reference: the SUV the writer stored, averaged over its lesion sphere.
                var truthBefore = Mean(before.Suv, before.Lesion);
                var truthAfter = Mean(after.Suv, after.Lesion);
                Assert.Equal(truthAfter - truthBefore, row["delta_diff_nm_lesion_stat_mean"], 0.01 * truthBefore);
                Assert.Equal((truthAfter - truthBefore) / truthBefore, row["delta_rel_nm_lesion_stat_mean"], 0.01);

                // The cohort table the model trained on holds exactly these values and the patient's label.
                foreach (var f in Features) Assert.Equal(row[f], cohort[id][f]);
                Assert.Equal(label, cohort[id]["response"]);
            }
        }
    }

    [Fact]
    public async Task A_site_refuses_a_delta_study_naming_the_manifest_and_the_patient_without_the_follow_up_or_an_unknown_timepoint()
    {
        var dir = WriteSite("site-9", 9, dropFollowUpOfLast: true);
        var cohort = new ImagingCohort(dir, NullLogger.Instance, Path.Combine(dir, "spect-calibration.yaml"));
        var imaging = StudyMapping.ToFeatures(new Coordinator.Contracts.Model.ImagingSource(StudyFile.Preset("spect-suv-fbs0.25-3d")!, "Lesion", Baseline, FollowUp));
        var lacking = await Assert.ThrowsAsync<CohortFormatException>(() => cohort.Build(imaging, Features, "response", CancellationToken.None));
        Assert.Equal($"{cohort.ManifestPath}: patient 'site-9-08' (line 18) has no row at timepoint '{FollowUp}'; the study's delta radiomics needs every patient at '{Baseline}' and at '{FollowUp}'",
            lacking.Message);

        var unknown = await Assert.ThrowsAsync<CohortFormatException>(() => cohort.Build(imaging.Clone().Apply(i => i.DeltaFollowUp = "week12"), Features, "response", CancellationToken.None));
        Assert.Equal($"{cohort.ManifestPath}: no row has timepoint 'week12' (timepoints in the manifest: '{Baseline}', '{FollowUp}'); the study's delta radiomics compares '{Baseline}' with 'week12'",
            unknown.Message);

        // Without delta, two timepoints of one patient are not one row of a table.
        var plain = imaging.Clone().Apply(i => { i.DeltaBaseline = ""; i.DeltaFollowUp = ""; });
        var several = await Assert.ThrowsAsync<CohortFormatException>(() => cohort.Build(plain, ["nm_lesion_stat_mean"], "response", CancellationToken.None));
        Assert.StartsWith($"{cohort.ManifestPath}: patient 'site-9-00' has rows at timepoints '{Baseline}' (line 2), '{FollowUp}' (line 3)", several.Message);
        // Nothing was extracted: the refusal comes before any image is read.
        Assert.False(Directory.Exists(Path.Combine(dir, ".fedrad")));
    }

    [Fact]
    public async Task A_site_refuses_a_delta_study_naming_the_patient_whose_spect_follow_up_is_another_isotope_or_in_counts_another_camera()
    {
        var imaging = StudyMapping.ToFeatures(new Coordinator.Contracts.Model.ImagingSource(StudyFile.Preset("spect-suv-fbs0.25-3d")!, "Lesion", Baseline, FollowUp));

        // In SUV (the site calibrates both isotopes): patient 04's follow-up is a 177Lu scan, its baseline 99mTc.
        var dir = WriteSite("site-8", 8, followUp: (i, o) => i != 4 ? o : o with
        {
            Nuclide = Radionuclides.Lu177, Radiopharmaceutical = "177Lu-PSMA-617", InjectedDoseMBq = 7400,
            EnergyWindowName = "LU177_EM", EnergyWindowLowerKeV = 187.2, EnergyWindowUpperKeV = 228.8,
        });
        var cohort = new ImagingCohort(dir, NullLogger.Instance, Path.Combine(dir, "spect-calibration.yaml"));
        var isotope = await Assert.ThrowsAsync<CohortFormatException>(() => cohort.Build(imaging, Features, "response", CancellationToken.None));
        Assert.Equal($"{cohort.ManifestPath}: patient 'site-8-04', SPECT at timepoint '{Baseline}' (line 10) and at '{FollowUp}' (line 11) are not comparable: different radionuclides: Tc-99m and Lu-177\n"
            + $"the study's delta radiomics subtracts each patient's features at '{Baseline}' from those at '{FollowUp}', which needs comparable scans: correct or remove these rows",
            isotope.Message);
        // Refused before any feature is extracted (the folder holds the pairs' verdicts only).
        Assert.Empty(Directory.GetFiles(Path.Combine(dir, ".fedrad"), "*.csv", SearchOption.AllDirectories));

        // In counts (no calibration): patient 02's follow-up comes from another camera. The comparable pairs' caveat
        // (counts not decay corrected) is a warning, logged once per patient however often the cohort is built.
        dir = WriteSite("site-7", 7, followUp: (i, o) => i != 2 ? o : o with { StationName = "NM-WARD-B", DeviceSerialNumber = "0002" });
        var log = new Recorder();
        cohort = new ImagingCohort(dir, log);
        var counts = ImagingCounts(imaging);
        foreach (var _ in new[] { 1, 2 })
        {
            var camera = await Assert.ThrowsAsync<CohortFormatException>(() => cohort.Build(counts, Features, "response", CancellationToken.None));
            Assert.StartsWith($"{cohort.ManifestPath}: patient 'site-7-02', SPECT at timepoint '{Baseline}' (line 6) and at '{FollowUp}' (line 7) are not comparable: counts from different cameras "
                + "(manufacturer 'FedRad', model 'Synthetic SPECT/CT', station 'NM-SITE-7', serial '0001'; manufacturer 'FedRad', model 'Synthetic SPECT/CT', station 'NM-WARD-B', serial '0002')",
                camera.Message);
            Assert.DoesNotContain("site-7-00", camera.Message);
        }
        var caveats = log.Warnings.Where(w => w.Contains("counts are not decay corrected")).ToList();
        Assert.Equal(PatientsPerSite - 1, caveats.Count);
        Assert.Contains(caveats, w => w.StartsWith($"Radiomics: {cohort.ManifestPath}: patient 'site-7-00', SPECT at timepoint '{Baseline}' (line 2) and at '{FollowUp}' (line 3): counts are not decay corrected"));
        Assert.DoesNotContain(caveats, w => w.Contains("'site-7-02'"));

        // The same site without the odd camera builds its delta table.
        Directory.Delete(dir, recursive: true);
        dir = WriteSite("site-7", 7);
        var table = await new ImagingCohort(dir, NullLogger.Instance).Build(counts, Features, "response", CancellationToken.None);
        Assert.Equal(PatientsPerSite + 1, File.ReadAllLines(table).Length);
    }

    // The study's imaging with settings for counts (no calibration): a fixed bin number, since counts have no fixed scale.
    private static ImagingFeatures ImagingCounts(ImagingFeatures imaging) => imaging.Clone().Apply(i => i.SettingsYaml = """
        name: SPECT counts, FBN 32, 3D
        modality: NM
        approaches: [3D]
        interpolation: {enabled: false}
        discretisation:
          texture: {method: fixed_bin_number, bins: 32}
          ivh: {method: fixed_bin_number, bins: 100}
        """);

    /// <summary>The warnings a cohort logs.</summary>
    private sealed class Recorder : ILogger
    {
        public List<string> Warnings { get; } = [];
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel == LogLevel.Warning) lock (Warnings) Warnings.Add(formatter(state, exception));
        }
    }

    private static void AssertSame(double expected, double actual, string what)
    {
        if (double.IsNaN(expected)) Assert.True(double.IsNaN(actual), $"{what}: {actual}, expected NaN");
        else Assert.True(Math.Abs(expected - actual) <= 1e-9 * Math.Max(1, Math.Abs(expected)), $"{what}: {actual:R}, expected {expected:R}");
    }

    private static double Mean(ImageVolume values, MaskVolume mask) => values.Voxels.Where((_, n) => mask.Voxels[n]).Average(v => (double)v);

    private static Dictionary<string, Dictionary<string, double>> ReadTable(string path)
    {
        var lines = File.ReadAllLines(path);
        var header = lines[0].Split(',');
        var id = header[0] is "patient_id" or "id" ? 0 : throw new InvalidDataException($"{path}: first column {header[0]}");
        return lines.Skip(1).ToDictionary(l => l.Split(',')[id], l =>
        {
            var f = l.Split(',');
            return Enumerable.Range(1, header.Length - 1).ToDictionary(i => header[i], i => double.Parse(f[i], CultureInfo.InvariantCulture));
        });
    }
}

internal static class ProtoCopy
{
    public static T Apply<T>(this T message, Action<T> change) { change(message); return message; }
}
