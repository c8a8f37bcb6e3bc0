using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using FedRad.Imaging.Rois;
using FedRad.Imaging.Spect;
using FedRad.Learning.Data;
using FedRad.Protocol.V1;
using FedRad.Radiomics.Batch;
using FedRad.Radiomics.Settings;
using Microsoft.Extensions.Logging;

namespace FedRad.SiteAgent.Cohorts;

/// <summary>
/// Builds a site's feature table from its images: every row of manifest.csv (patient_id, image,
/// mask, roi, ...: the radiomics batch format) goes through SUV, the ROI and IBSI feature
/// extraction with the study's settings, and is joined by patient_id with outcomes.csv (patient_id
/// and outcome columns). Extraction results are cached per patient, so a second study or a
/// restarted agent recomputes nothing. All of it stays at the site. SPECT rows (modality NM) are quantified with the
/// site's camera calibration (<paramref name="spectCalibrationPath"/>, empty: none, and their features come from counts).
/// </summary>
public sealed class ImagingCohort(string dataDirectory, ILogger log, string spectCalibrationPath = "")
{
    public const string ManifestFile = "manifest.csv";
    public const string OutcomesFile = "outcomes.csv";

    public string ManifestPath => Path.Combine(dataDirectory, ManifestFile);
    public string OutcomesPath => Path.Combine(dataDirectory, OutcomesFile);

    // The SPECT caveats already logged: a cohort is built again for every round.
    private readonly ConcurrentDictionary<string, byte> _cautioned = new();

    /// <summary>
    /// Extracts (or reuses) the features and writes the cohort table the task asks for; returns its path.
    /// <paramref name="extraColumns"/> (the study's covariates and inclusion-filter columns) are taken from
    /// outcomes.csv, else from manifest.csv (the patient's first row).
    /// </summary>
    public async Task<string> Build(ImagingFeatures imaging, IReadOnlyList<string> features, string labelColumn, CancellationToken ct,
        IReadOnlyList<string>? extraColumns = null)
    {
        var extras = (extraColumns ?? []).Where(c => c != labelColumn && c != "patient_id" && c != HoldOut.Column && !features.Contains(c)).Distinct().ToList();
        if (!File.Exists(ManifestPath)) throw new CohortFormatException($"{ManifestPath}: imaging manifest not found (the study extracts features from images)");
        if (!File.Exists(OutcomesPath)) throw new CohortFormatException($"{OutcomesPath}: outcomes table not found (patient_id and the study's label column)");
        RadiomicsSettings settings;
        try { settings = SettingsLoader.FromYaml(imaging.SettingsYaml, "the study's radiomics settings"); }
        catch (SettingsException e) { throw new CohortFormatException(e.Message); }

        List<ManifestRow> rows;
        try { rows = BatchExtractor.ReadManifest(ManifestPath); }
        catch (InvalidDataException e) { throw new CohortFormatException(e.Message); }
        if (imaging.Roi.Length > 0)
            rows = rows.Select(r => r.Input.RoiName is null && r.Input.Segment is null ? r with { Input = r.Input with { RoiName = imaging.Roi } } : r).ToList();
        var delta = Timepoints(imaging, ref rows);
        if (imaging.PetThresholdMethod.Length > 0)
        {
            // Automatic PET delineation inside each PET row's manifest mask; other modalities keep their mask.
            var threshold = new ThresholdDelineation(imaging.PetThresholdMethod, imaging.PetThresholdValue);
            if (threshold.Problem() is { } problem) throw new CohortFormatException($"the study's PET delineation: {problem}");
            if (!rows.Any(r => r.Input.Modality == "PT"))
                throw new CohortFormatException($"{ManifestPath}: the study delineates the ROI on PET ({threshold}) but no row has modality PT");
            rows = rows.Select(r => r.Input.Modality == "PT" ? r with { Input = r.Input with { Threshold = threshold } } : r).ToList();
        }
        var (calibration, calibrationText) = SpectCalibration(rows);
        if (calibration is not null)
            rows = rows.Select(r => r.Input.Modality == "NM" ? r with { Input = r.Input with { SpectCalibration = calibration } } : r).ToList();

        // The calibration's text is part of the key (new calibration means new SUVs), and so are the delta timepoints and the delineation.
        var key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(
            imaging.SettingsYaml + "\n" + imaging.Roi + "\n" + calibrationText + "\n" + imaging.DeltaBaseline + "\n" + imaging.DeltaFollowUp
            + "\n" + imaging.PetThresholdMethod + "\n" + imaging.PetThresholdValue.ToString("R", CultureInfo.InvariantCulture))))[..16];
        var folder = Path.Combine(dataDirectory, ".fedrad", "features", key);
        Directory.CreateDirectory(folder);
        var featuresPath = Path.Combine(folder, "features.csv");
        if (delta is { } timepoints) CheckSpectPairs(rows, timepoints, featuresPath);
        var progress = new Progress<BatchProgress>(p =>
        {
            if (p.Done == p.Total || p.Done % 10 == 0)
                log.LogInformation("Radiomics: {Done}/{Total} patients ({Cached} from cache, {Failed} failed)", p.Done, p.Total, p.FromCache, p.Failed);
        });
        var result = await BatchExtractor.RunAsync(rows, settings, featuresPath, new BatchOptions(Environment.ProcessorCount, Delta: delta), progress, ct);
        foreach (var (row, error) in result.Failures)
            log.LogWarning("Radiomics: {Manifest} line {Line} (patient {Patient}{Timepoint}) left out: {Error}", ManifestPath, row.Line, row.PatientId,
                row.Timepoint.Length == 0 ? "" : ", timepoint " + row.Timepoint, error);

        var table = delta is { } d ? DeltaTable(result.WidePath, result.DeltaPath!, d, Path.Combine(folder, "features.patients.csv")) : result.WidePath;
        var cohortPath = Path.Combine(folder, $"cohort-{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join(',', features) + "|" + labelColumn + "|" + string.Join(',', extras))))[..12]}.csv");
        Join(table, features, labelColumn, extras, cohortPath);
        return cohortPath;
    }

    /// <summary>
    /// The study's delta timepoints, checked against the manifest: both must be in it and every patient needs a row at
    /// each (else the site refuses, naming the patient); rows at other timepoints are not extracted. Without delta, a
    /// patient may have one timepoint only, since the table has one row per patient.
    /// </summary>
    private (string Baseline, string FollowUp)? Timepoints(ImagingFeatures imaging, ref List<ManifestRow> rows)
    {
        if (imaging.DeltaBaseline.Length == 0 && imaging.DeltaFollowUp.Length == 0)
        {
            if (rows.GroupBy(r => r.PatientId).FirstOrDefault(g => g.Select(r => r.Timepoint).Distinct().Count() > 1) is { } several)
                throw new CohortFormatException($"{ManifestPath}: patient '{several.Key}' has rows at timepoints {string.Join(", ", several.Select(r => $"'{r.Timepoint}' (line {r.Line})").Distinct())}; "
                    + "a study without imaging.delta takes one timepoint per patient");
            return null;
        }
        var (baseline, followUp) = (imaging.DeltaBaseline, imaging.DeltaFollowUp);
        if (baseline.Length == 0 || followUp.Length == 0 || baseline == followUp)
            throw new CohortFormatException($"the study's delta timepoints '{baseline}' and '{followUp}' are not two timepoints");
        var present = rows.Select(r => r.Timepoint).Distinct().Order(StringComparer.Ordinal).ToList();
        foreach (var t in new[] { baseline, followUp })
            if (!present.Contains(t))
                throw new CohortFormatException($"{ManifestPath}: no row has timepoint '{t}' (timepoints in the manifest: {string.Join(", ", present.Select(p => $"'{p}'"))}); "
                    + $"the study's delta radiomics compares '{baseline}' with '{followUp}'");
        foreach (var patient in rows.GroupBy(r => r.PatientId))
            foreach (var t in new[] { baseline, followUp })
                if (!patient.Any(r => r.Timepoint == t))
                    throw new CohortFormatException($"{ManifestPath}: patient '{patient.Key}' (line {patient.First().Line}) has no row at timepoint '{t}'; "
                        + $"the study's delta radiomics needs every patient at '{baseline}' and at '{followUp}'");
        var other = rows.Count(r => r.Timepoint != baseline && r.Timepoint != followUp);
        if (other > 0) log.LogInformation("Radiomics: {Count} rows of {Manifest} at timepoints other than {Baseline} and {FollowUp} are not used", other, ManifestPath, baseline, followUp);
        rows = rows.Where(r => r.Timepoint == baseline || r.Timepoint == followUp).ToList();
        return (baseline, followUp);
    }

    /// <summary>
    /// Refuses the study, as for a patient without a timepoint, when a patient's SPECT scans at the two timepoints cannot be
    /// compared (another isotope, camera, quantity...: <see cref="TimepointPairs"/>), naming every such patient; before any
    /// feature is extracted. Caveats (counts not decay corrected) are logged, once per patient.
    /// </summary>
    private void CheckSpectPairs(List<ManifestRow> rows, (string Baseline, string FollowUp) delta, string featuresPath)
    {
        var pairs = TimepointPairs.Spect(rows, delta, BatchExtractor.CacheDirectory(featuresPath), Environment.ProcessorCount);
        foreach (var pair in pairs.Where(p => p.Comparable && p.Caveats.Count > 0 && _cautioned.TryAdd(p.Caveat(ManifestPath), 0)))
            log.LogWarning("Radiomics: {Caveat}", pair.Caveat(ManifestPath));
        var refused = pairs.Where(p => !p.Comparable).ToList();
        if (refused.Count > 0)
            throw new CohortFormatException(string.Join("\n", refused.Select(p => p.Refusal(ManifestPath)))
                + $"\nthe study's delta radiomics subtracts each patient's features at '{delta.Baseline}' from those at '{delta.FollowUp}', which needs comparable scans: correct or remove these rows");
    }

    /// <summary>
    /// One row per patient with both timepoints extracted: the baseline's features as baseline_*, the follow-up's as
    /// follow_up_*, and the batch's delta (delta_diff_*, delta_rel_*).
    /// </summary>
    private string DeltaTable(string widePath, string deltaPath, (string Baseline, string FollowUp) timepoints, string outPath)
    {
        var wide = ReadCsv(widePath);
        var delta = ReadCsv(deltaPath);
        int patientCol = Array.IndexOf(wide[0], "patient_id"), timepointCol = Array.IndexOf(wide[0], "timepoint");
        var featureCols = Enumerable.Range(0, wide[0].Length).Where(i => i != patientCol && i != timepointCol).ToArray();
        var byVisit = wide.Skip(1).ToDictionary(r => (r[patientCol], r[timepointCol]));
        var deltaCols = Enumerable.Range(0, delta[0].Length).Where(i => delta[0][i].StartsWith("delta_", StringComparison.Ordinal)).ToArray();

        var sb = new StringBuilder("patient_id");
        foreach (var prefix in new[] { "baseline_", "follow_up_" })
            foreach (var i in featureCols) sb.Append(',').Append(prefix).Append(wide[0][i]);
        foreach (var i in deltaCols) sb.Append(',').Append(delta[0][i]);
        sb.AppendLine();
        foreach (var r in delta.Skip(1))
        {
            var patient = r[0];
            sb.Append(patient);
            foreach (var t in new[] { timepoints.Baseline, timepoints.FollowUp })
                foreach (var i in featureCols) sb.Append(',').Append(byVisit[(patient, t)][i]);
            foreach (var i in deltaCols) sb.Append(',').Append(r[i]);
            sb.AppendLine();
        }
        var missing = wide.Skip(1).Select(r => r[patientCol]).Distinct().Count() - (delta.Count - 1);
        if (missing > 0)
            log.LogWarning("Radiomics: {Count} patients of {Manifest} lack features at {Baseline} or {FollowUp} (see the failures above); left out of the delta table",
                missing, ManifestPath, timepoints.Baseline, timepoints.FollowUp);
        File.WriteAllText(outPath, sb.ToString());
        return outPath;
    }

    /// <summary>The site's SPECT calibration and its text, when the manifest has NM rows and the site has one.</summary>
    private (SpectCalibrationTable? Table, string Text) SpectCalibration(List<ManifestRow> rows)
    {
        var spect = rows.Count(r => r.Input.Modality == "NM");
        if (spect == 0) return (null, "");
        if (spectCalibrationPath.Length == 0)
        {
            log.LogWarning("Radiomics: {Count} SPECT (NM) rows in {Manifest} and no SPECT calibration (--spect-calibration): their features come from counts, comparable only within one camera and protocol",
                spect, ManifestPath);
            return (null, "");
        }
        try
        {
            var table = SpectCalibrationTable.Load(spectCalibrationPath);
            log.LogInformation("Radiomics: {Count} SPECT (NM) rows quantified with the calibration {Path}", spect, spectCalibrationPath);
            return (table, File.ReadAllText(spectCalibrationPath));
        }
        catch (CalibrationFileException e) { throw new CohortFormatException($"SPECT calibration (--spect-calibration): {e.Message}"); }
    }

    /// <summary>Where a study's inclusion filter columns are looked up, for messages.</summary>
    public string FilterSource => $"{OutcomesPath} or {ManifestPath}";

    /// <summary>Writes id, the requested features, the label and the extra columns for every patient with all features defined.</summary>
    private void Join(string widePath, IReadOnlyList<string> features, string labelColumn, IReadOnlyList<string> extras, string cohortPath)
    {
        var wide = ReadCsv(widePath);
        var outcomes = ReadCsv(OutcomesPath);
        int Column(List<string[]> table, string name, string path)
        {
            var i = Array.IndexOf(table[0], name);
            return i >= 0 ? i : throw new CohortFormatException($"{path}: column '{name}' not found (columns: {string.Join(", ", table[0].Take(12))}{(table[0].Length > 12 ? ", ..." : "")})");
        }
        var widePatient = Column(wide, "patient_id", widePath);
        var featureIdx = features.Select(f => Column(wide, f, widePath)).ToArray();
        var outPatient = Column(outcomes, "patient_id", OutcomesPath);
        var outLabel = Column(outcomes, labelColumn, OutcomesPath);
        // The optional train/test split travels into the cohort table, for the models that honour it.
        var outSplit = Array.IndexOf(outcomes[0], HoldOut.Column);
        var labels = new Dictionary<string, string>();
        var lines = NumberedLines(OutcomesPath);
        for (var k = 1; k < outcomes.Count; k++)
        {
            var r = outcomes[k];
            // Checked here, so that a bad value is refused naming outcomes.csv and its line rather than the joined table.
            labels[r[outPatient]] = outSplit < 0 ? r[outLabel]
                : r[outLabel] + "," + (HoldOut.Parse(r[outSplit], OutcomesPath, lines[k]) ? "test" : "train");
        }
        var extraValues = extras.Select(c => ExtraColumn(c, outcomes, outPatient)).ToList();

        var sb = new StringBuilder();
        sb.Append("id,").Append(string.Join(',', features)).Append(',').Append(labelColumn).Append(outSplit < 0 ? "" : "," + HoldOut.Column);
        foreach (var c in extras) sb.Append(',').Append(c);
        sb.AppendLine();
        int written = 0, noOutcome = 0, undefined = 0;
        foreach (var r in wide.Skip(1))
        {
            if (!labels.TryGetValue(r[widePatient], out var label)) { noOutcome++; continue; }
            var values = featureIdx.Select(i => r[i]).ToArray();
            if (values.Any(v => !double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) || !double.IsFinite(d))) { undefined++; continue; }
            sb.Append(r[widePatient]).Append(',').Append(string.Join(',', values)).Append(',').Append(label);
            foreach (var column in extraValues) sb.Append(',').Append(column.GetValueOrDefault(r[widePatient], ""));
            sb.AppendLine();
            written++;
        }
        if (noOutcome > 0) log.LogWarning("Radiomics: {Count} patients have images but no row in {Outcomes}; left out", noOutcome, OutcomesPath);
        if (undefined > 0) log.LogWarning("Radiomics: {Count} patients have an undefined (NaN) value in a study feature; left out", undefined);
        File.WriteAllText(cohortPath, sb.ToString());
        log.LogInformation("Radiomics cohort: {Written} patients with {Features} features", written, features.Count);
    }

    /// <summary>An extra column by patient: from outcomes.csv, else from manifest.csv (first row of the patient).</summary>
    private Dictionary<string, string> ExtraColumn(string name, List<string[]> outcomes, int outPatient)
    {
        var values = new Dictionary<string, string>();
        var i = Array.IndexOf(outcomes[0], name);
        if (i >= 0)
        {
            foreach (var r in outcomes.Skip(1)) values[r[outPatient]] = r[i];
            return values;
        }
        var manifest = ReadCsv(ManifestPath);
        var m = Array.IndexOf(manifest[0], name);
        var patient = Array.IndexOf(manifest[0], "patient_id");
        if (m < 0 || patient < 0)
            throw new CohortFormatException($"column '{name}' (named by the study) is in neither {OutcomesPath} nor {ManifestPath}");
        foreach (var r in manifest.Skip(1)) values.TryAdd(r[patient], r[m]);
        return values;
    }

    private static List<string[]> ReadCsv(string path) =>
        File.ReadAllLines(path).Where(l => l.Length > 0).Select(l => l.Split(',').Select(c => c.Trim()).ToArray()).ToList();

    /// <summary>The file's line number (1-based) of each row <see cref="ReadCsv"/> returns, in the same order.</summary>
    private static List<int> NumberedLines(string path) =>
        File.ReadAllLines(path).Select((l, i) => (l, i + 1)).Where(x => x.l.Length > 0).Select(x => x.Item2).ToList();
}
