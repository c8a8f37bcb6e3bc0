using System.Globalization;
using FedRad.Imaging;
using FedRad.Imaging.Synthetic;

namespace FedRad.Cli.Demo;

/// <summary>
/// What the synthetic DICOM demo data sets (PET/CT, SPECT/CT, deep) share: each patient's draws from its own seeded
/// generator, the site's studies written in parallel with one progress count across sites, and the site's
/// manifest.csv and outcomes.csv.
/// </summary>
internal sealed class DemoSiteWriter(int totalPatients, IProgress<(int Done, int Total)>? written)
{
    private int _done;

    /// <summary>
    /// Patients 1..count of a site: patient i draws from <c>Random(siteIndex · seedStride + i)</c>, first its label
    /// (1 with probability <paramref name="prevalence"/>), then whatever <paramref name="make"/> draws.
    /// </summary>
    public static List<T> Patients<T>(string siteId, int siteIndex, int seedStride, int count, double prevalence, Func<string, int, Random, T> make) =>
        Enumerable.Range(1, count).Select(i =>
        {
            var prng = new Random(siteIndex * seedStride + i);
            var label = prng.NextDouble() < prevalence ? 1 : 0;
            return make($"{siteId}-{i:D3}", label, prng);
        }).ToList();

    /// <summary>Writes one study per patient in parallel, reporting each as it is done.</summary>
    public TStudy[] WriteStudies<TPatient, TStudy>(IReadOnlyList<TPatient> patients, Func<TPatient, TStudy> write)
    {
        var studies = new TStudy[patients.Count];
        Parallel.For(0, patients.Count, k =>
        {
            studies[k] = write(patients[k]);
            written?.Report((Interlocked.Increment(ref _done), totalPatients));
        });
        return studies;
    }

    /// <summary>
    /// The PET/CT study the PET and deep demos write for a patient: 4 mm PET and 2 mm CT grids around one spherical
    /// "Lesion" of the given radius (mm), uptake (SUV) and heterogeneity, at <c>{siteDirectory}/dicom/{patientId}</c>.
    /// </summary>
    public static SyntheticStudy WritePetCt(string siteDirectory, string siteId, string patientId, int seed, double petNoise, double radius, double uptake, double heterogeneity) =>
        SyntheticPetCtWriter.Write(Path.Combine(siteDirectory, "dicom", patientId), new SyntheticStudyOptions
        {
            PatientId = patientId,
            PatientName = "Demo^" + patientId,
            InstitutionName = siteId,
            Seed = seed,
            PetGrid = ImageGrid.Axial(48, 48, 24, 4, 4, 4, new Vec3(-94, -94, -46)),
            CtGrid = ImageGrid.Axial(96, 96, 24, 2, 2, 4, new Vec3(-95, -95, -46)),
            PetNoise = petNoise,
            Lesion = new SyntheticRegion("Lesion", new Vec3(30, -10, 4), radius, uptake, heterogeneity, 45),
        });

    /// <summary>The site's manifest.csv and outcomes.csv: a header line, then one line per row.</summary>
    public static void WriteTables(string siteDirectory, string manifestHeader, IEnumerable<FormattableString> manifestRows, string outcomesHeader, IEnumerable<FormattableString> outcomeRows)
    {
        static string Table(string header, IEnumerable<FormattableString> rows) =>
            header + "\n" + string.Concat(rows.Select(r => r.ToString(CultureInfo.InvariantCulture) + "\n"));
        File.WriteAllText(Path.Combine(siteDirectory, "manifest.csv"), Table(manifestHeader, manifestRows));
        File.WriteAllText(Path.Combine(siteDirectory, "outcomes.csv"), Table(outcomesHeader, outcomeRows));
    }
}
