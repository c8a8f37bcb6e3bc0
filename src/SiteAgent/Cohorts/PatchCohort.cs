using System.Collections.Concurrent;
using System.Globalization;
using FedRad.DeepLearning.Data;
using FedRad.Learning.Data;
using FedRad.Radiomics.Batch;
using Microsoft.Extensions.Logging;

namespace FedRad.SiteAgent.Cohorts;

/// <summary>A site's lesion patches for a deep model, their labels and the patients they belong to (same order).</summary>
public sealed record PatchSet(IReadOnlyList<string> PatientIds, IReadOnlyList<LesionPatch> Patches, SampleSet Samples);

/// <summary>
/// Cuts one PET/CT patch per patient for deep-model tasks: manifest.csv lists, per patient, a PET row (modality PT: the
/// PET series folder, the RTSTRUCT or SEG as mask, the ROI) and a CT row (modality CT: the CT series folder); labels come
/// from outcomes.csv. Patches are cached in memory per study (the same patches serve every round); all of it stays at
/// the site.
/// </summary>
public sealed class PatchCohort(string dataDirectory, ILogger log)
{
    private readonly ConcurrentDictionary<string, PatchSet> _cache = new();

    public string ManifestPath => Path.Combine(dataDirectory, ImagingCohort.ManifestFile);
    public string OutcomesPath => Path.Combine(dataDirectory, ImagingCohort.OutcomesFile);

    public PatchSet Get(string studyId, string roi, int patchSize, string labelColumn) =>
        _cache.GetOrAdd($"{studyId}|{roi}|{patchSize}|{labelColumn}", _ => Build(roi, patchSize, labelColumn));

    private PatchSet Build(string roi, int patchSize, string labelColumn)
    {
        if (!File.Exists(ManifestPath)) throw new CohortFormatException($"{ManifestPath}: imaging manifest not found (the study's deep model reads PET/CT patches)");
        if (!File.Exists(OutcomesPath)) throw new CohortFormatException($"{OutcomesPath}: outcomes table not found (patient_id and the study's label column)");
        List<ManifestRow> rows;
        try { rows = BatchExtractor.ReadManifest(ManifestPath); }
        catch (InvalidDataException e) { throw new CohortFormatException(e.Message); }
        var labels = ReadLabels(labelColumn);

        var patients = new List<(string Id, ManifestRow Pet, ManifestRow Ct, int Label)>();
        int noOutcome = 0;
        foreach (var group in rows.GroupBy(r => r.PatientId))
        {
            var pet = group.Where(r => r.Input.Modality == "PT").ToList();
            var ct = group.Where(r => r.Input.Modality == "CT").ToList();
            if (pet.Count != 1 || ct.Count != 1)
                throw new CohortFormatException($"{ManifestPath}: patient '{group.Key}' (line {group.First().Line}) needs one PT row and one CT row for a patch model, has {pet.Count} and {ct.Count}");
            if (!labels.TryGetValue(group.Key, out var label)) { noOutcome++; continue; }
            patients.Add((group.Key, pet[0], ct[0], label));
        }
        if (noOutcome > 0) log.LogWarning("Patches: {Count} patients have images but no row in {Outcomes}; left out", noOutcome, OutcomesPath);

        var patches = new LesionPatch?[patients.Count];
        var failures = new ConcurrentBag<string>();
        Parallel.For(0, patients.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            var (id, pet, ct, _) = patients[i];
            var name = pet.Input.RoiName ?? roi;
            try { patches[i] = LesionPatches.FromDicom(pet.Input.ImagePath, ct.Input.ImagePath, pet.Input.MaskPath, name, patchSize); }
            catch (Exception e) when (e is InvalidDataException or ArgumentException or IOException or KeyNotFoundException or InvalidOperationException)
            {
                failures.Add($"{ManifestPath} line {pet.Line} (patient {id}): {e.Message}");
            }
        });
        foreach (var failure in failures) log.LogWarning("Patches: {Failure}; left out", failure);
        var kept = Enumerable.Range(0, patients.Count).Where(i => patches[i] is not null).ToList();
        if (kept.Count == 0) throw new CohortFormatException($"{ManifestPath}: no patient gave a patch ({failures.Count} failed)");
        log.LogInformation("Patches: {Count} patients, {Size}³ voxels around ROI '{Roi}'", kept.Count, patchSize, roi);
        var keptPatches = kept.Select(i => patches[i]!).ToList();
        return new PatchSet(kept.Select(i => patients[i].Id).ToList(), keptPatches,
            LesionPatches.ToSampleSet(keptPatches, kept.Select(i => patients[i].Label).ToList()));
    }

    private Dictionary<string, int> ReadLabels(string labelColumn)
    {
        var lines = File.ReadAllLines(OutcomesPath).Where(l => l.Length > 0).Select(l => l.Split(',').Select(c => c.Trim()).ToArray()).ToList();
        if (lines.Count == 0) throw new CohortFormatException($"{OutcomesPath}: empty");
        var patient = Array.IndexOf(lines[0], "patient_id");
        var label = Array.IndexOf(lines[0], labelColumn);
        if (patient < 0 || label < 0)
            throw new CohortFormatException($"{OutcomesPath}: line 1 needs the columns patient_id and '{labelColumn}' (columns: {string.Join(", ", lines[0])})");
        var labels = new Dictionary<string, int>();
        for (var i = 1; i < lines.Count; i++)
        {
            var f = lines[i];
            if (f.Length != lines[0].Length) throw new CohortFormatException($"{OutcomesPath}: line {i + 1} has {f.Length} fields, the header {lines[0].Length}");
            if (!int.TryParse(f[label], NumberStyles.Integer, CultureInfo.InvariantCulture, out var y) || y is not (0 or 1))
                throw new CohortFormatException($"{OutcomesPath}: line {i + 1}, column '{labelColumn}': '{f[label]}' is not 0 or 1");
            labels[f[patient]] = y;
        }
        return labels;
    }
}
