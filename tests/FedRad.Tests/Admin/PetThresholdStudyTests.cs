using System.Globalization;
using FedRad.Coordinator.Studies;
using FedRad.Imaging;
using FedRad.Imaging.Pet;
using FedRad.Imaging.Rois;
using FedRad.Imaging.Synthetic;
using FedRad.Protocol.V1;
using FedRad.Radiomics.Io;
using FedRad.SiteAgent.Cohorts;
using FedRad.SiteAgent.Hosting;
using FedRad.Tests.Infrastructure;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FedRad.Tests.Admin;

/// <summary>
/// imaging.roi_source: pet_threshold executed at the sites: synthetic PET/CT (DICOM, RTSTRUCT "Lesion" as the seed
/// region), a study delineating the lesion at 50 % of its SUVmax, a real coordinator and real agents. The ROI each site
/// extracted from is checked against <see cref="Delineation"/> on the same SUV image and region: its voxel count (as the
/// site's approximate volume) and the mean SUV over it, both counted here from the voxels.
/// </summary>
public sealed class PetThresholdStudyTests : IAsyncLifetime
{
    private const int PatientsPerSite = 8;
    private TestCoordinator _c = null!;
    private readonly List<IHost> _agents = [];
    private readonly string _root = Directory.CreateTempSubdirectory("fedrad-petthreshold-").FullName;
    private readonly Dictionary<string, SyntheticStudy> _studies = [];

    public async ValueTask InitializeAsync() => _c = await TestCoordinator.Start();

    public async ValueTask DisposeAsync()
    {
        foreach (var agent in _agents) await agent.StopAsync(CancellationToken.None);
        await _c.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    // Native PET grid (no interpolation), so that the ROI's voxels are the delineated ones.
    private const string Settings = """
        name: PET SUV native grid
        modality: PT
        approaches: [3D]
        interpolation: {enabled: false}
        resegmentation: {range: [0, null]}
        discretisation:
          texture: {method: fixed_bin_size, bin_width: 0.25}
          ivh: {method: fixed_bin_size, bin_width: 0.1}
        """;

    private string WriteSite(string siteId, int siteIndex)
    {
        var dir = Path.Combine(_root, siteId);
        var manifest = new List<string> { "patient_id,image,mask,roi,modality" };
        var outcomes = new List<string> { "patient_id,label" };
        for (var i = 0; i < PatientsPerSite; i++)
        {
            var id = $"{siteId}-{i:D2}";
            var label = i % 2;
            var rng = new Random(siteIndex * 100 + i);
            var study = SyntheticPetCtWriter.Write(Path.Combine(dir, "dicom", id), new SyntheticStudyOptions
            {
                PatientId = id, Seed = rng.Next(),
                PetGrid = ImageGrid.Axial(32, 32, 16, 4, 4, 4, new Vec3(-62, -62, -30)),
                CtGrid = ImageGrid.Axial(32, 32, 16, 4, 4, 4, new Vec3(-62, -62, -30)),
                BodySemiAxisX = 58, BodySemiAxisY = 45,
                Lesion = new SyntheticRegion("Lesion", new Vec3(15, -5, 2), 12 + 4 * rng.NextDouble(), 7 + 3 * rng.NextDouble(), label == 1 ? 0.35 : 0.12, 45),
                Reference = new SyntheticRegion("Liver", new Vec3(-30, 15, -4), 12, 2.0, 0.0, 60),
            });
            _studies[id] = study;
            manifest.Add($"{id},{Path.GetRelativePath(dir, study.PetFolder)},{Path.GetRelativePath(dir, study.RtStructPath)},Lesion,PT");
            outcomes.Add($"{id},{label}");
        }
        File.WriteAllLines(Path.Combine(dir, ImagingCohort.ManifestFile), manifest);
        File.WriteAllLines(Path.Combine(dir, ImagingCohort.OutcomesFile), outcomes);
        return dir;
    }

    [Fact]
    public async Task A_relative_threshold_study_delineates_each_lesion_at_the_site_as_Delineation_does()
    {
        foreach (var (site, k) in new[] { ("site-1", 1), ("site-2", 2) })
        {
            var agent = SiteAgentHost.Build(new SiteAgentOptions { CoordinatorUrl = _c.Url, SiteId = site, DataDirectory = WriteSite(site, k), MinCohortSize = 3 },
                l => l.SetMinimumLevel(LogLevel.Warning));
            await agent.StartAsync();
            _agents.Add(agent);
        }
        await _c.WaitForSites(2);
        var text = $"""
            study_id: pet-threshold
            feature_names: [pt_lesion_stat_mean, pt_lesion_stat_cov, pt_lesion_morph_approx_volume]
            rounds: 2
            site_ids: [site-1, site-2]
            imaging:
              settings_yaml: |
            {string.Join("\n", Settings.Split('\n').Select(l => "        " + l))}
              roi: Lesion
              roi_source: pet_threshold
              pet_threshold_method: relative
              pet_threshold_value: 0.5
            """;
        var created = await _c.Admin.CreateStudyAsync(new CreateStudyRequest { Definition = text, DefinitionName = "threshold.yaml" });
        Assert.Equal(("relative", 0.5), (created.Spec.Imaging.PetThresholdMethod, created.Spec.Imaging.PetThresholdValue));
        await _c.Admin.StartStudyAsync(new StudyRef { StudyId = "pet-threshold" });
        var status = await _c.WaitFor("pet-threshold", s => s.State is StudyState.Completed or StudyState.Failed, 120);
        Assert.True(status.State == StudyState.Completed, status.FailureReason);
        Assert.All(status.Evaluation.Sites, s => Assert.Equal(PatientsPerSite, s.N));

        var trimmed = 0;
        foreach (var site in new[] { "site-1", "site-2" })
        {
            var wide = File.ReadAllLines(Assert.Single(Directory.GetFiles(Path.Combine(_root, site, ".fedrad", "features"), "features.wide.csv", SearchOption.AllDirectories)));
            var header = wide[0].Split(',');
            int Col(string name) => Array.IndexOf(header, name) is var i and >= 0 ? i : throw new InvalidDataException($"no column {name}");
            foreach (var line in wide.Skip(1))
            {
                var f = line.Split(',');
                var study = _studies[f[Col("patient_id")]];
                // The same image and region as the site's, delineated here.
                var pet = PetSeries.Load(study.PetFolder);
                var region = RoiLoader.Load(study.RtStructPath, pet.Grid, pet.FrameOfReferenceUid, new RoiSelection("Lesion")).Mask;
                var roi = Delineation.RelativeThreshold(pet.Suv, region, 0.5);
                var voxels = roi.Voxels.Count(v => v);
                var inRegion = region.Voxels.Count(v => v);
                Assert.InRange(voxels, 1, inRegion);
                if (voxels < inRegion) trimmed++;
                Assert.Equal(voxels * pet.Grid.VoxelVolume, double.Parse(f[Col("pt_lesion_morph_approx_volume")], CultureInfo.InvariantCulture), 1e-6);
                var mean = pet.Suv.Voxels.Where((_, n) => roi.Voxels[n]).Average(v => (double)v);
                Assert.Equal(mean, double.Parse(f[Col("pt_lesion_stat_mean")], CultureInfo.InvariantCulture), 1e-9 * mean);
                // The SUVmax of the region is in the ROI, and nothing under half of it.
                var max = pet.Suv.Voxels.Where((_, n) => region.Voxels[n]).Max();
                Assert.Equal(max, double.Parse(f[Col("pt_lesion_stat_max")], CultureInfo.InvariantCulture), 1e-6 * max);
                Assert.True(double.Parse(f[Col("pt_lesion_stat_min")], CultureInfo.InvariantCulture) >= 0.5 * max - 1e-6 * max);
            }
        }
        // The heterogeneous lesions lose their cold voxels: the delineation is not the seed region.
        Assert.True(trimmed >= PatientsPerSite / 2, $"{trimmed} lesions smaller than their region");
    }

    [Fact]
    public void A_fixed_threshold_row_is_the_region_above_the_SUV_and_a_non_PET_row_or_an_empty_result_is_refused()
    {
        var dir = Path.Combine(_root, "unit");
        var study = SyntheticPetCtWriter.Write(dir, new SyntheticStudyOptions
        {
            Seed = 5, PetGrid = ImageGrid.Axial(32, 32, 16, 4, 4, 4, new Vec3(-62, -62, -30)), CtGrid = ImageGrid.Axial(32, 32, 16, 4, 4, 4, new Vec3(-62, -62, -30)),
            BodySemiAxisX = 58, BodySemiAxisY = 45,
            Lesion = new SyntheticRegion("Lesion", new Vec3(15, -5, 2), 14, 6, 0.3, 45),
            Reference = new SyntheticRegion("Liver", new Vec3(-30, 15, -4), 12, 2.0, 0.0, 60),
        });
        var input = new RoiInput(study.PetFolder, study.RtStructPath, "Lesion", null, "PT", Threshold: new ThresholdDelineation("fixed", 4.0));
        var (suv, mask, _) = RoiInputLoader.Load(input);
        var region = RoiLoader.Load(study.RtStructPath, suv.Grid, PetSeries.Load(study.PetFolder).FrameOfReferenceUid, new RoiSelection("Lesion")).Mask;
        var expected = Enumerable.Range(0, suv.Voxels.Length).Select(n => region.Voxels[n] && suv.Voxels[n] >= 4.0).ToArray();
        Assert.Equal(expected, mask.Voxels);
        Assert.InRange(mask.Voxels.Count(v => v), 1, region.Voxels.Count(v => v) - 1);

        var ct = Assert.Throws<InvalidDataException>(() => RoiInputLoader.Load(input with { ImagePath = study.CtFolder, Modality = "CT" }));
        Assert.Contains("automatic PET delineation (SUV ≥ 4 in the region) needs a PET image (modality PT), not CT", ct.Message);
        var empty = Assert.Throws<InvalidDataException>(() => RoiInputLoader.Load(input with { Threshold = new ThresholdDelineation("fixed", 500) }));
        Assert.Contains("left no voxel of the region", empty.Message);
    }

    [Fact]
    public void The_study_file_checks_the_delineation_parameters()
    {
        StudyFileException Bad(string imaging) => Assert.Throws<StudyFileException>(() => StudyFile.Parse(
            $"study_id: t\nfeature_names: [pt_lesion_stat_mean]\nimaging: {{preset: pet-suv-fbs0.25-3d, roi: GTV, {imaging}}}\n", "t.yaml", new Dictionary<string, string>()));
        Assert.Contains("line 3, field imaging.pet_threshold_method: roi_source pet_threshold needs pet_threshold_method: fixed", Bad("roi_source: pet_threshold").Message);
        Assert.Contains("got 'otsu'", Bad("roi_source: pet_threshold, pet_threshold_method: otsu").Message);
        Assert.Contains("field imaging.pet_threshold_value: imaging.pet_threshold_value: a relative threshold is a fraction of SUVmax in (0, 1], got 41",
            Bad("roi_source: pet_threshold, pet_threshold_method: relative, pet_threshold_value: 41").Message);
        Assert.Contains("field imaging.pet_threshold_method: pet_threshold_method is for roi_source: pet_threshold, not rtstruct",
            Bad("roi_source: rtstruct, pet_threshold_method: fixed").Message);

        var d = StudyFile.Parse("study_id: t\nfeature_names: [pt_lesion_stat_mean]\nimaging: {preset: pet-suv-fbs0.25-3d, roi: GTV, roi_source: pet_threshold, pet_threshold_method: fixed}\n",
            "t.yaml", new Dictionary<string, string>());
        Assert.Equal(("fixed", Delineation.DefaultFixedThreshold), (d.Imaging!.PetThresholdMethod, d.Imaging.PetThresholdValue));
        // A spec with the delineation, written as JSON, reads back as the same study.
        var text = StudyMapping.SpecText(StudyMapping.ToSpec(d));
        Assert.Equal(d.Imaging, StudyFile.Parse(text, "spec.json", new Dictionary<string, string>()).Imaging);
    }
}
