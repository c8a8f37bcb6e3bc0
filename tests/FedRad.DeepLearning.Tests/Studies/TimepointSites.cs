using System.Globalization;
using System.Text;
using FedRad.Imaging;
using FedRad.Imaging.Synthetic;

namespace FedRad.DeepLearning.Tests.Studies;

/// <summary>
/// Sites for the two-timepoint model: per patient a baseline scan ("t0") and a follow-up ("t1") as DICOM, PET/CT or
/// SPECT/CT, with manifest.csv (a PT or NM row and a CT row per timepoint, column timepoint) and outcomes.csv (label and
/// split). Label 1 is a response: the lesion's uptake at follow-up is 35-45 % of its baseline; label 0 keeps 90-110 %.
/// Baseline uptake (SUV 2-16, log-uniform) and size carry no label information: the change between timepoints predicts it.
/// Small grids keep it fast: 8³ patches of 4 mm (PET) or 4.8 mm (SPECT) voxels.
/// </summary>
public static class TimepointSites
{
    public const string Baseline = "t0";
    public const string FollowUp = "t1";

    /// <summary>
    /// Writes one site; the last <paramref name="heldOut"/> patients are split = test. Returns the SPECT calibration path
    /// (SPECT: every camera and isotope of the site) or "". <paramref name="spectFollowUp"/> changes a patient's SPECT
    /// follow-up (by patient id), e.g. another isotope.
    /// </summary>
    public static string Write(string dir, string siteId, int patients, int heldOut, bool spect, int seed, string? dropFollowUpOf = null,
        Func<string, SyntheticSpectStudyOptions, SyntheticSpectStudyOptions>? spectFollowUp = null)
    {
        var manifest = new StringBuilder("patient_id,image,mask,roi,modality,timepoint\n");
        var outcomes = new StringBuilder("patient_id,label,split\n");
        var calibrations = new List<string>();
        for (var i = 0; i < patients; i++)
        {
            var rng = new Random(seed * 1000 + i);
            var id = $"{siteId}-{i:D2}";
            var label = i % 2;
            // Baseline uptake spans a factor of 8, so that neither timepoint alone separates the classes well: the change does.
            var uptake = 2 * Math.Pow(8, rng.NextDouble());
            var radius = 9 + 4 * rng.NextDouble();
            var change = label == 1 ? 0.35 + 0.1 * rng.NextDouble() : 0.9 + 0.2 * rng.NextDouble();
            foreach (var (tp, suv) in new[] { (Baseline, uptake), (FollowUp, uptake * change) })
            {
                if (tp == FollowUp && id == dropFollowUpOf) continue;
                var folder = Path.Combine(dir, "dicom", id, tp);
                var lesion = new SyntheticRegion("Lesion", new Vec3(30, -10, 4), radius, suv, 0.1, 45);
                string image, ct, mask, modality;
                if (spect)
                {
                    var options = new SyntheticSpectStudyOptions
                    {
                        PatientId = id, Seed = rng.Next(), Timepoint = tp, InstitutionName = siteId,
                        SpectGrid = ImageGrid.Axial(32, 32, 12, 4.8, 4.8, 4.8, new Vec3(-74.4, -74.4, -26.4)),
                        CtGrid = ImageGrid.Axial(64, 64, 12, 2.4, 2.4, 4.8, new Vec3(-75.6, -75.6, -26.4)),
                        Lesion = lesion with { Hu = 300 },
                        Reference = new SyntheticRegion("Gland", new Vec3(-40, 20, 0), 12, 3.0, 0.0, 50),
                    };
                    var s = SyntheticSpectCtWriter.Write(folder, tp == FollowUp && spectFollowUp is not null ? spectFollowUp(id, options) : options);
                    (image, ct, mask, modality) = (s.SpectPath, s.CtFolder, s.RtStructPath, "NM");
                    calibrations.Add(s.CalibrationPath);
                }
                else
                {
                    var s = SyntheticPetCtWriter.Write(folder, new SyntheticStudyOptions
                    {
                        PatientId = id, Seed = rng.Next(), InstitutionName = siteId,
                        PetGrid = ImageGrid.Axial(32, 32, 12, 4, 4, 4, new Vec3(-62, -62, -22)),
                        CtGrid = ImageGrid.Axial(64, 64, 12, 2, 2, 4, new Vec3(-63, -63, -22)),
                        Lesion = lesion,
                        Reference = new SyntheticRegion("Liver", new Vec3(-30, 20, 0), 10, 2.0, 0.0, 60),
                    });
                    (image, ct, mask, modality) = (s.PetFolder, s.CtFolder, s.RtStructPath, "PT");
                }
                manifest.Append(CultureInfo.InvariantCulture, $"{id},{Path.GetRelativePath(dir, image)},{Path.GetRelativePath(dir, mask)},Lesion,{modality},{tp}\n");
                manifest.Append(CultureInfo.InvariantCulture, $"{id},{Path.GetRelativePath(dir, ct)},{Path.GetRelativePath(dir, mask)},Lesion,CT,{tp}\n");
            }
            outcomes.Append(CultureInfo.InvariantCulture, $"{id},{label},{(i >= patients - heldOut ? "test" : "train")}\n");
        }
        File.WriteAllText(Path.Combine(dir, "manifest.csv"), manifest.ToString());
        File.WriteAllText(Path.Combine(dir, "outcomes.csv"), outcomes.ToString());
        if (calibrations.Count == 0) return "";
        var entries = calibrations.Select(c => File.ReadAllLines(c).SkipWhile(l => l != "calibrations:").Skip(1).ToArray()).DistinctBy(e => string.Join("\n", e)).SelectMany(e => e);
        var calibration = Path.Combine(dir, "site-calibration.yaml");
        File.WriteAllLines(calibration, ["calibrations:", .. entries]);
        return calibration;
    }
}
