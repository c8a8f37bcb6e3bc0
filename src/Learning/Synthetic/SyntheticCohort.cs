using System.Globalization;
using System.Text;

namespace FedRad.Learning.Synthetic;

/// <summary>
/// Synthetic multi-site radiomics cohorts for the demo and the tests. Every site draws its patients
/// from the same underlying logistic model but with its own size, class balance and feature offsets
/// (a scanner/protocol batch effect), as real multi-centre data would have.
/// </summary>
public static class SyntheticCohort
{
    public static readonly string[] FeatureNames =
    [
        "pt_suvmax", "pt_suvmean", "pt_mtv", "pt_glcm_entropy", "pt_glszm_zone_pct",
        "ct_hu_mean", "ct_glcm_contrast", "ct_sphericity"
    ];

    public const string LabelColumn = "label";

    /// <summary>True log-odds slopes; zeros are noise features.</summary>
    private static readonly double[] TrueCoef = [1.3, -0.9, 0.7, 0.0, 0.5, 0.0, -0.6, 0.0];

    public sealed record SiteProfile(string SiteId, int Patients, double Prevalence, double[] Offsets);

    /// <summary>Site profiles that differ in size, balance and offsets, reproducibly from <paramref name="seed"/>.</summary>
    public static IReadOnlyList<SiteProfile> Profiles(int sites, int seed = 42)
    {
        var rng = new Random(seed);
        var profiles = new List<SiteProfile>();
        for (var s = 0; s < sites; s++)
        {
            var patients = 120 + rng.Next(0, 5) * 40;             // 120..280
            var prevalence = 0.25 + 0.3 * rng.NextDouble();       // 0.25..0.55
            var offsets = FeatureNames.Select(_ => 0.6 * (rng.NextDouble() - 0.5)).ToArray();
            profiles.Add(new SiteProfile($"site-{s + 1}", patients, prevalence, offsets));
        }
        return profiles;
    }

    /// <summary>Writes the site's cohort CSV (id, features..., label) and returns its path.</summary>
    public static string WriteSite(SiteProfile profile, string directory, int seed = 42)
    {
        Directory.CreateDirectory(directory);
        var rng = new Random(seed ^ StableHash(profile.SiteId));
        // Intercept chosen so that the expected prevalence is roughly the site's target.
        var intercept = Math.Log(profile.Prevalence / (1 - profile.Prevalence));
        var sb = new StringBuilder();
        sb.Append("id,").Append(string.Join(',', FeatureNames)).Append(',').AppendLine(LabelColumn);
        for (var p = 0; p < profile.Patients; p++)
        {
            var x = FeatureNames.Select(_ => Gaussian(rng)).ToArray();
            var z = intercept;
            for (var j = 0; j < x.Length; j++) z += TrueCoef[j] * x[j];
            var y = rng.NextDouble() < 1 / (1 + Math.Exp(-z)) ? 1 : 0;
            sb.Append(CultureInfo.InvariantCulture, $"{profile.SiteId}-{p + 1:D4}");
            for (var j = 0; j < x.Length; j++)
                sb.Append(',').Append((x[j] + profile.Offsets[j]).ToString("R", CultureInfo.InvariantCulture));
            sb.Append(',').Append(y).AppendLine();
        }
        var path = Path.Combine(directory, "cohort.csv");
        File.WriteAllText(path, sb.ToString());
        return path;
    }

    /// <summary>FNV-1a: string.GetHashCode is randomised per process, this is not.</summary>
    private static int StableHash(string text)
    {
        var h = 2166136261u;
        foreach (var c in text) h = (h ^ c) * 16777619u;
        return (int)h;
    }

    private static double Gaussian(Random rng)
    {
        // Box-Muller; 1 - U avoids log(0).
        var u1 = 1 - rng.NextDouble();
        var u2 = rng.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
