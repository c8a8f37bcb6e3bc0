using FedRad.Imaging;
using FedRad.Imaging.Synthetic;
using FedRad.Protocol.V1;

namespace FedRad.Cli.Demo;

/// <summary>
/// Synthetic SPECT/CT hospitals for `fedrad demo --modality spect`: each site has its own camera (sensitivity, station)
/// and its calibration file, and Tc-99m bone-scan-like studies (NM RECON TOMO, CT, RTSTRUCT, SEG) whose lesion label
/// goes with its uptake heterogeneity, as in the PET demo. Patients differ in dose, uptake time and weight, so only the
/// calibrated SUV — not the raw counts — is comparable between patients and sites.
/// </summary>
public static class SpectDemoData
{
    /// <summary>The site's SPECT calibration, in its data folder (the agent's --spect-calibration).</summary>
    public const string CalibrationFile = "spect-calibration.yaml";

    /// <summary>Radiomics features of the demo model: the wide-table names of the batch's NM rows of ROI "Lesion".</summary>
    public static readonly string[] FeatureNames =
    [
        "nm_lesion_stat_cov", "nm_lesion_glcm_joint_entr_3d_avg", "nm_lesion_ih_entropy",
        "nm_lesion_glszm_zs_entr_3d", "nm_lesion_stat_mean", "nm_lesion_morph_volume",
    ];

    /// <summary>The calibration file of a demo site's data folder, or "" when it has none (a PET or table site).</summary>
    public static string CalibrationPathOf(string siteDirectory)
    {
        var path = Path.Combine(siteDirectory, CalibrationFile);
        return File.Exists(path) ? path : "";
    }

    public static DemoData Write(int sites, string root, IProgress<(int Done, int Total)>? written = null)
    {
        var rng = new Random(2028);
        var profiles = Enumerable.Range(1, sites).Select(s => (
            Id: $"site-{s}",
            Patients: 40 + rng.Next(0, 4) * 10,
            Prevalence: 0.3 + 0.25 * rng.NextDouble(),
            Noise: 0.03 + 0.04 * rng.NextDouble(),
            Uptake: 6 + 3 * rng.NextDouble(),
            CpsPerMBq: 70 + 40 * rng.NextDouble())).ToList();
        var settings = DemoDataSets.ReadEmbedded("spect-suv-fbs0.25-3d.yaml");
        var writer = new DemoSiteWriter(profiles.Sum(p => p.Patients), written);
        var list = new List<DemoSite>();
        foreach (var p in profiles)
        {
            var dir = Path.Combine(root, p.Id);
            var patients = DemoSiteWriter.Patients(p.Id, list.Count + 1, 100_019, p.Patients, p.Prevalence, (id, label, prng) =>
            {
                var heterogeneity = Math.Clamp((label == 1 ? 0.30 : 0.17) + 0.06 * DemoDataSets.Gaussian(prng), 0.02, 0.6);
                return (Id: id, Label: label, Heterogeneity: heterogeneity, Radius: 14 + 8 * prng.NextDouble(),
                    DoseMBq: 550 + 300 * prng.NextDouble(), UptakeH: 2.5 + 1.5 * prng.NextDouble(), WeightKg: 55 + 40 * prng.NextDouble(),
                    Seed: prng.Next());
            });
            var studies = writer.WriteStudies(patients, pt => SyntheticSpectCtWriter.Write(Path.Combine(dir, "dicom", pt.Id), new SyntheticSpectStudyOptions
            {
                PatientId = pt.Id,
                PatientName = "Demo^" + pt.Id,
                InstitutionName = p.Id,
                Seed = pt.Seed,
                StationName = $"NM-{p.Id.ToUpperInvariant()}",
                CpsPerMBq = p.CpsPerMBq,
                InjectedDoseMBq = pt.DoseMBq,
                UptakeTime = TimeSpan.FromHours(pt.UptakeH),
                WeightKg = pt.WeightKg,
                SpectGrid = ImageGrid.Axial(48, 48, 32, 4.8, 4.8, 4.8, new Vec3(-112.8, -112.8, -74.4)),
                CtGrid = ImageGrid.Axial(96, 96, 32, 2.4, 2.4, 4.8, new Vec3(-114, -114, -74.4)),
                BodySemiAxisX = 105,
                Noise = p.Noise,
                Lesion = new SyntheticRegion("Lesion", new Vec3(30, -10, 4), pt.Radius, p.Uptake, pt.Heterogeneity, 300),
            }));
            // Every study of a site comes from the site's one camera: its calibration is the site's file.
            File.Copy(studies[0].CalibrationPath, Path.Combine(dir, CalibrationFile), overwrite: true);
            DemoSiteWriter.WriteTables(dir,
                "patient_id,image,mask,roi,modality", patients.Select((pt, k) => (FormattableString)$"{pt.Id},{Path.GetRelativePath(dir, studies[k].SpectFolder)},{Path.GetRelativePath(dir, studies[k].RtStructPath)},Lesion,NM"),
                "patient_id,label", patients.Select(pt => (FormattableString)$"{pt.Id},{pt.Label}"));
            list.Add(new DemoSite(p.Id, dir, p.Patients, $"n={p.Patients} SPECT/CT studies, camera {p.CpsPerMBq:F0} cps/MBq, noise {p.Noise:P0}"));
        }
        return new DemoData(list, FeatureNames, "label", new ImagingFeatures { SettingsYaml = settings, Roi = "Lesion" });
    }
}
