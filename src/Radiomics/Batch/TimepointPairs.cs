using System.Globalization;
using System.Text;
using FedRad.Imaging.Spect;
using FedRad.Radiomics.Io;

namespace FedRad.Radiomics.Batch;

/// <summary>
/// A patient's SPECT scans at the two timepoints of delta radiomics and whether their features may be subtracted
/// (<see cref="SpectTimepoints.Compare"/>): <see cref="Problems"/> make the pair meaningless (another isotope, camera,
/// quantity...), <see cref="Caveats"/> are to be read with it.
/// </summary>
public sealed record TimepointPair(ManifestRow Baseline, ManifestRow FollowUp, IReadOnlyList<string> Problems, IReadOnlyList<string> Caveats)
{
    public string PatientId => Baseline.PatientId;

    /// <summary>Whether the features may be subtracted; the caveats matter only then.</summary>
    public bool Comparable => Problems.Count == 0;

    /// <summary>The manifest, the patient and both rows, for messages.</summary>
    public string Where(string manifestPath) =>
        $"{manifestPath}: patient '{PatientId}', SPECT at timepoint '{Baseline.Timepoint}' (line {Baseline.Line}) and at '{FollowUp.Timepoint}' (line {FollowUp.Line})";

    public string Refusal(string manifestPath) => $"{Where(manifestPath)} are not comparable: {string.Join("; ", Problems)}";

    public string Caveat(string manifestPath) => $"{Where(manifestPath)}: {string.Join("; ", Caveats)}";
}

/// <summary>
/// Checks the SPECT pairs that delta radiomics or a two-timepoint model would compare. One implementation for the
/// radiomics batch (<c>fedrad features batch --delta</c>, a site's delta study) and the site's two-timepoint patches.
/// </summary>
public static class TimepointPairs
{
    /// <summary>
    /// Every patient's NM rows whose features the delta subtracts (the same ROI at <paramref name="delta"/>'s baseline and
    /// follow-up; DICOM only, since NIfTI carries no acquisition to compare), compared. The verdicts are cached in
    /// <paramref name="cacheDirectory"/> under a key of both rows' inputs, as the features are, so that a site building the
    /// same cohort every round reads the images once.
    /// </summary>
    public static IReadOnlyList<TimepointPair> Spect(IReadOnlyList<ManifestRow> rows, (string Baseline, string FollowUp) delta, string cacheDirectory, int parallelism)
    {
        static string Roi(ManifestRow r) => r.Input.RoiName ?? r.Input.Segment?.ToString(CultureInfo.InvariantCulture) ?? "";
        var nm = rows.Where(r => r.Input.Modality == "NM" && !RoiInputLoader.IsNifti(r.Input.ImagePath)).ToList();
        var pairs = (from b in nm.Where(r => r.Timepoint == delta.Baseline)
                     join f in nm.Where(r => r.Timepoint == delta.FollowUp) on (b.PatientId, Roi(b)) equals (f.PatientId, Roi(f))
                     select (b, f)).ToList();
        var results = new TimepointPair?[pairs.Count];
        Directory.CreateDirectory(cacheDirectory);
        Parallel.For(0, pairs.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, parallelism) }, i =>
        {
            var (b, f) = pairs[i];
            var cacheFile = Path.Combine(cacheDirectory, BatchExtractor.CacheKey(["spect timepoints", BatchExtractor.InputKeyText(b.Input), BatchExtractor.InputKeyText(f.Input)]) + ".pair");
            if (File.Exists(cacheFile))
            {
                var lines = File.ReadAllLines(cacheFile);
                results[i] = new TimepointPair(b, f, Field(lines, "problem\t"), Field(lines, "caveat\t"));
                return;
            }
            if (Compare(b, f) is not { } pair) return;
            var tmp = cacheFile + "." + Environment.ProcessId + "." + Environment.CurrentManagedThreadId + ".tmp";
            File.WriteAllLines(tmp, pair.Problems.Select(p => "problem\t" + p).Concat(pair.Caveats.Select(c => "caveat\t" + c)), new UTF8Encoding(false));
            File.Move(tmp, cacheFile, overwrite: true);
            results[i] = pair;
        });
        return results.OfType<TimepointPair>().ToList();
    }

    /// <summary>
    /// Two SPECT rows loaded as their features or patches are (same calibration, so the same quantity) and compared; null
    /// when either cannot be loaded, a failure the extraction itself reports for that row.
    /// </summary>
    public static TimepointPair? Compare(ManifestRow baseline, ManifestRow followUp)
    {
        SpectImage before, after;
        try { (before, after) = (RoiInputLoader.LoadSpect(baseline.Input), RoiInputLoader.LoadSpect(followUp.Input)); }
        catch (Exception e) when (e is not OperationCanceledException) { return null; }   // the extraction fails on it too, and says so
        var (problems, caveats) = SpectTimepoints.Compare(before, after);
        return new TimepointPair(baseline, followUp, problems, caveats);
    }

    private static List<string> Field(string[] lines, string prefix) =>
        lines.Where(l => l.StartsWith(prefix, StringComparison.Ordinal)).Select(l => l[prefix.Length..]).ToList();
}
