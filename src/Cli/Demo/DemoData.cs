using FedRad.Learning.Synthetic;
using FedRad.Protocol.V1;

namespace FedRad.Cli.Demo;

/// <summary>One demo site: its id, its data folder and how many patients it holds.</summary>
public sealed record DemoSite(string SiteId, string DataDirectory, int Patients, string Description);

/// <summary>What the demo's sites hold and how the study reads it.</summary>
public sealed record DemoData(IReadOnlyList<DemoSite> Sites, IReadOnlyList<string> Features, string LabelColumn, ImagingFeatures? Imaging);

/// <summary>Synthetic hospital data for the demo: radiomics tables, or PET/CT DICOM studies.</summary>
public static class DemoDataSets
{
    /// <summary>Ready-made feature tables (cohort.csv) with site-specific size, balance and offsets.</summary>
    public static DemoData Tabular(int sites, string root)
    {
        var list = SyntheticCohort.Profiles(sites).Select(p =>
        {
            var dir = Path.Combine(root, p.SiteId);
            SyntheticCohort.WriteSite(p, dir);
            return new DemoSite(p.SiteId, dir, p.Patients, $"n={p.Patients}, prevalence {p.Prevalence:P0}");
        }).ToList();
        return new DemoData(list, SyntheticCohort.FeatureNames, SyntheticCohort.LabelColumn, null);
    }

    /// <summary>Radiomics features the demo model uses, extracted at each site from the lesion (RTSTRUCT "Lesion").</summary>
    public static readonly string[] ImagingFeatureNames =
    [
        "pt_lesion_stat_cov", "pt_lesion_glcm_joint_entr_3d_avg", "pt_lesion_ih_entropy",
        "pt_lesion_glszm_zs_entr_3d", "pt_lesion_stat_mean", "pt_lesion_morph_volume",
    ];

    /// <summary>
    /// Synthetic FDG PET/CT studies (DICOM PET in Bq/mL with SUV tags, CT, RTSTRUCT, SEG) per site.
    /// A lesion's label goes with its uptake heterogeneity; sites differ in size, balance, scanner
    /// noise and uptake level. Each site gets manifest.csv (the images) and outcomes.csv (labels).
    /// </summary>
    public static DemoData Dicom(int sites, string root, IProgress<(int Done, int Total)>? written = null)
    {
        var rng = new Random(2027);
        var profiles = Enumerable.Range(1, sites).Select(s => (
            Id: $"site-{s}",
            Patients: 40 + rng.Next(0, 4) * 10,
            Prevalence: 0.3 + 0.25 * rng.NextDouble(),
            Noise: 0.03 + 0.05 * rng.NextDouble(),
            Uptake: 6 + 3 * rng.NextDouble())).ToList();
        var settings = ReadEmbedded("pet-suv-fbs0.25-3d.yaml");
        var writer = new DemoSiteWriter(profiles.Sum(p => p.Patients), written);
        var list = new List<DemoSite>();
        foreach (var p in profiles)
        {
            var dir = Path.Combine(root, p.Id);
            var patients = DemoSiteWriter.Patients(p.Id, list.Count + 1, 100_003, p.Patients, p.Prevalence, (id, label, prng) =>
            {
                var heterogeneity = Math.Clamp((label == 1 ? 0.30 : 0.17) + 0.06 * Gaussian(prng), 0.02, 0.6);
                var radius = 12 + 8 * prng.NextDouble();
                return (Id: id, Label: label, Heterogeneity: heterogeneity, Radius: radius, Seed: prng.Next());
            });
            var studies = writer.WriteStudies(patients, pt => DemoSiteWriter.WritePetCt(dir, p.Id, pt.Id, pt.Seed, p.Noise, pt.Radius, p.Uptake, pt.Heterogeneity));
            DemoSiteWriter.WriteTables(dir,
                "patient_id,image,mask,roi,modality", patients.Select((pt, k) => (FormattableString)$"{pt.Id},{Path.GetRelativePath(dir, studies[k].PetFolder)},{Path.GetRelativePath(dir, studies[k].RtStructPath)},Lesion,PT"),
                "patient_id,label", patients.Select(pt => (FormattableString)$"{pt.Id},{pt.Label}"));
            list.Add(new DemoSite(p.Id, dir, p.Patients, $"n={p.Patients} PET/CT studies, noise {p.Noise:P0}"));
        }
        return new DemoData(list, ImagingFeatureNames, "label", new ImagingFeatures { SettingsYaml = settings, Roi = "Lesion" });
    }

    internal static string ReadEmbedded(string name)
    {
        using var stream = typeof(DemoDataSets).Assembly.GetManifestResourceStream(name) ?? throw new InvalidOperationException($"resource {name} missing from the build");
        return new StreamReader(stream).ReadToEnd();
    }

    internal static double Gaussian(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
}
