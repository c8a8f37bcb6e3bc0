using System.Collections.Concurrent;
using System.Globalization;
using FedRad.DeepLearning.Data;
using FedRad.Imaging.Spect;
using FedRad.Learning.Data;
using FedRad.Protocol.V1;
using FedRad.Radiomics.Batch;
using FedRad.Shared.Protocol;
using Microsoft.Extensions.Logging;

namespace FedRad.SiteAgent.Cohorts;

/// <summary>
/// A site's lesion patches for a deep model, their labels, the patients they belong to and whether each patient is held
/// out for evaluation (outcomes.csv column <c>split</c> = test); all lists in the same order. For the delta model
/// <see cref="Patches"/> holds the baseline patch (the grid Grad-CAM maps are written on).
/// </summary>
public sealed record PatchSet(IReadOnlyList<string> PatientIds, IReadOnlyList<LesionPatch> Patches, SampleSet Samples, IReadOnlyList<bool> HeldOut)
{
    /// <summary>What training sees (<see cref="HoldOut.TrainingRows"/>).</summary>
    public PatchSet Training() => Select(HoldOut.TrainingRows(HeldOut));

    /// <summary>What evaluation sees (<see cref="HoldOut.EvaluationRows"/>).</summary>
    public PatchSet Evaluation() => Select(HoldOut.EvaluationRows(HeldOut));

    private PatchSet Select(IReadOnlyList<int> idx) =>
        new(idx.Select(i => PatientIds[i]).ToList(), idx.Select(i => Patches[i]).ToList(), Samples.Subset(idx), idx.Select(i => HeldOut[i]).ToList());
}

/// <summary>
/// Cuts lesion patches for deep-model tasks. manifest.csv lists, per patient (and, for cnn-delta, per timepoint: column
/// timepoint), a functional row (modality PT: the PET series folder; or NM: the SPECT file or folder, converted to SUV
/// with the site's camera calibration) with the RTSTRUCT or SEG as mask and the ROI, and a CT row (the CT series folder).
/// Labels and the optional train/test split come from outcomes.csv. Patches are cached in memory per study (the same
/// patches serve every round); all of it stays at the site.
/// </summary>
public sealed class PatchCohort(string dataDirectory, ILogger log, string spectCalibrationPath = "")
{
    private readonly ConcurrentDictionary<string, PatchSet> _cache = new();

    public string ManifestPath => Path.Combine(dataDirectory, ImagingCohort.ManifestFile);
    public string OutcomesPath => Path.Combine(dataDirectory, ImagingCohort.OutcomesFile);

    /// <summary>The patches of a study's patch model (<paramref name="kind"/>: cnn-early, cnn-intermediate or cnn-delta).</summary>
    public PatchSet Get(string studyId, string kind, DeepModel model, string labelColumn) =>
        _cache.GetOrAdd($"{studyId}|{kind}|{model}|{labelColumn}", _ => Build(kind, model, labelColumn));

    private PatchSet Build(string kind, DeepModel model, string labelColumn)
    {
        if (!File.Exists(ManifestPath)) throw new CohortFormatException($"{ManifestPath}: imaging manifest not found (the study's deep model reads PET/CT or SPECT/CT patches)");
        if (!File.Exists(OutcomesPath)) throw new CohortFormatException($"{OutcomesPath}: outcomes table not found (patient_id and the study's label column)");
        List<ManifestRow> rows;
        try { rows = BatchExtractor.ReadManifest(ManifestPath); }
        catch (InvalidDataException e) { throw new CohortFormatException(e.Message); }
        var outcomes = ReadOutcomes(labelColumn);
        var delta = kind == DeepModelRules.CnnDelta;
        // The timepoints each patient needs: both of the delta model's, or whichever single one the manifest has.
        string?[] timepoints = delta ? [model.BaselineTimepoint, model.FollowupTimepoint] : [null];

        var patients = new List<(string Id, (ManifestRow Functional, ManifestRow Ct)[] Scans, int Label, bool HeldOut)>();
        int noOutcome = 0;
        foreach (var group in rows.GroupBy(r => r.PatientId))
        {
            var scans = timepoints.Select(tp => Scan(group.Key, group.ToList(), tp)).ToArray();
            if (!outcomes.TryGetValue(group.Key, out var outcome)) { noOutcome++; continue; }
            patients.Add((group.Key, scans, outcome.Label, outcome.HeldOut));
        }
        if (noOutcome > 0) log.LogWarning("Patches: {Count} patients have images but no row in {Outcomes}; left out", noOutcome, OutcomesPath);
        var calibration = Calibration(rows);
        if (delta) CheckSpectPairs(patients.Select(p => (p.Id, p.Scans)).ToList(), calibration);

        var patches = new LesionPatch?[patients.Count, timepoints.Length];
        var failures = new ConcurrentBag<string>();
        Parallel.For(0, patients.Count * timepoints.Length, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, n =>
        {
            var (i, t) = (n / timepoints.Length, n % timepoints.Length);
            var (id, scans, _, _) = patients[i];
            var (functional, ct) = scans[t];
            var name = functional.Input.RoiName ?? model.Roi;
            try
            {
                patches[i, t] = functional.Input.Modality == "NM"
                    ? LesionPatches.FromSpectDicom(functional.Input.ImagePath, ct.Input.ImagePath, functional.Input.MaskPath, name, model.PatchSize, calibration!)
                    : LesionPatches.FromDicom(functional.Input.ImagePath, ct.Input.ImagePath, functional.Input.MaskPath, name, model.PatchSize);
            }
            catch (Exception e) when (e is InvalidDataException or ArgumentException or IOException or KeyNotFoundException or InvalidOperationException
                or FedRad.Imaging.Pet.SuvRefusedException)
            {
                failures.Add($"{ManifestPath} line {functional.Line} (patient {id}{(delta ? $", timepoint '{functional.Timepoint}'" : "")}): {e.Message}");
            }
        });
        foreach (var failure in failures) log.LogWarning("Patches: {Failure}; left out", failure);
        // A patient counts only with every timepoint's patch.
        var kept = Enumerable.Range(0, patients.Count).Where(i => Enumerable.Range(0, timepoints.Length).All(t => patches[i, t] is not null)).ToList();
        if (kept.Count == 0) throw new CohortFormatException($"{ManifestPath}: no patient gave a patch ({failures.Count} failed)");
        log.LogInformation("Patches: {Count} patients{Delta}, {Size}³ voxels around ROI '{Roi}', {HeldOut} held out for evaluation",
            kept.Count, delta ? $" at timepoints '{model.BaselineTimepoint}' and '{model.FollowupTimepoint}'" : "", model.PatchSize, model.Roi, kept.Count(i => patients[i].HeldOut));
        var first = kept.Select(i => patches[i, 0]!).ToList();
        var labels = kept.Select(i => patients[i].Label).ToList();
        var samples = delta ? LesionPatches.ToDeltaSampleSet(first, kept.Select(i => patches[i, 1]!).ToList(), labels) : LesionPatches.ToSampleSet(first, labels);
        return new PatchSet(kept.Select(i => patients[i].Id).ToList(), first, samples, kept.Select(i => patients[i].HeldOut).ToList());
    }

    /// <summary>
    /// Refuses the task, as for a patient without a timepoint, when a patient's SPECT scans at the two timepoints cannot be
    /// compared (another isotope or patient: <see cref="TimepointPairs"/>; patches are in SUV, so camera and window may
    /// differ), naming every such patient. PET pairs are not checked here.
    /// </summary>
    private void CheckSpectPairs(List<(string Id, (ManifestRow Functional, ManifestRow Ct)[] Scans)> patients, SpectCalibrationTable? calibration)
    {
        // Loaded as the patches are: in SUV with the site's calibration.
        ManifestRow InSuv(ManifestRow r) => r with { Input = r.Input with { SpectCalibration = calibration } };
        var pairs = patients.Where(p => p.Scans.All(s => s.Functional.Input.Modality == "NM")).AsParallel()
            .Select(p => TimepointPairs.Compare(InSuv(p.Scans[0].Functional), InSuv(p.Scans[1].Functional))).OfType<TimepointPair>().ToList();
        foreach (var pair in pairs.Where(p => p.Comparable && p.Caveats.Count > 0)) log.LogWarning("Patches: {Caveat}", pair.Caveat(ManifestPath));
        var refused = pairs.Where(p => !p.Comparable).OrderBy(p => p.Baseline.Line).ToList();
        if (refused.Count > 0)
            throw new CohortFormatException(string.Join("\n", refused.Select(p => p.Refusal(ManifestPath)))
                + "\nthe delta model compares each patient's baseline patch with its follow-up's, which needs comparable scans: correct or remove these rows");
    }

    /// <summary>The functional (PT or NM) row and the CT row of one patient at one timepoint (null: the patient's only scan).</summary>
    private (ManifestRow Functional, ManifestRow Ct) Scan(string patient, List<ManifestRow> rows, string? timepoint)
    {
        var at = timepoint is null ? rows : rows.Where(r => r.Timepoint == timepoint).ToList();
        if (at.Count == 0)
        {
            var has = rows.Select(r => r.Timepoint).Distinct().Select(t => t.Length == 0 ? "(none)" : $"'{t}'");
            throw new CohortFormatException($"{ManifestPath}: patient '{patient}' (line {rows[0].Line}) has no rows at timepoint '{timepoint}' that the delta model compares "
                + $"(deep_model baseline/followup timepoints); the manifest gives it timepoint {string.Join(", ", has)}");
        }
        var functional = at.Where(r => r.Input.Modality is "PT" or "NM").ToList();
        var ct = at.Where(r => r.Input.Modality == "CT").ToList();
        if (functional.Count != 1 || ct.Count != 1)
            throw new CohortFormatException($"{ManifestPath}: patient '{patient}' (line {at[0].Line}){(timepoint is null ? "" : $" at timepoint '{timepoint}'")} needs one PT or NM row and one CT row for a patch model, has {functional.Count} and {ct.Count}");
        return (functional[0], ct[0]);
    }

    /// <summary>The site's SPECT calibration when the manifest has NM rows: patches are in SUV, which counts cannot reach without it.</summary>
    private SpectCalibrationTable? Calibration(List<ManifestRow> rows)
    {
        var nm = rows.FirstOrDefault(r => r.Input.Modality == "NM");
        if (nm is null) return null;
        if (spectCalibrationPath.Length == 0)
            throw new CohortFormatException($"{ManifestPath} line {nm.Line} (patient {nm.PatientId}): a SPECT (NM) row, and this agent has no SPECT calibration (--spect-calibration): "
                + "patch models need SPECT in SUV, since counts differ between cameras");
        try { return SpectCalibrationTable.Load(spectCalibrationPath); }
        catch (CalibrationFileException e) { throw new CohortFormatException($"SPECT calibration (--spect-calibration): {e.Message}"); }
    }

    /// <summary>Each patient's label and whether it is held out (column split = test).</summary>
    private Dictionary<string, (int Label, bool HeldOut)> ReadOutcomes(string labelColumn)
    {
        var lines = File.ReadAllLines(OutcomesPath).Where(l => l.Length > 0).Select(l => l.Split(',').Select(c => c.Trim()).ToArray()).ToList();
        if (lines.Count == 0) throw new CohortFormatException($"{OutcomesPath}: empty");
        var patient = Array.IndexOf(lines[0], "patient_id");
        var label = Array.IndexOf(lines[0], labelColumn);
        var split = Array.IndexOf(lines[0], HoldOut.Column);
        if (patient < 0 || label < 0)
            throw new CohortFormatException($"{OutcomesPath}: line 1 needs the columns patient_id and '{labelColumn}' (columns: {string.Join(", ", lines[0])})");
        var outcomes = new Dictionary<string, (int, bool)>();
        for (var i = 1; i < lines.Count; i++)
        {
            var f = lines[i];
            if (f.Length != lines[0].Length) throw new CohortFormatException($"{OutcomesPath}: line {i + 1} has {f.Length} fields, the header {lines[0].Length}");
            if (!int.TryParse(f[label], NumberStyles.Integer, CultureInfo.InvariantCulture, out var y) || y is not (0 or 1))
                throw new CohortFormatException($"{OutcomesPath}: line {i + 1}, column '{labelColumn}': '{f[label]}' is not 0 or 1");
            outcomes[f[patient]] = (y, split >= 0 && HoldOut.Parse(f[split], OutcomesPath, i + 1));
        }
        return outcomes;
    }
}
