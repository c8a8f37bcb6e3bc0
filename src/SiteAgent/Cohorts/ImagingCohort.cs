using System.Globalization;
using System.Security.Cryptography;
using System.Text;
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
        var (calibration, calibrationText) = SpectCalibration(rows);
        if (calibration is not null)
            rows = rows.Select(r => r.Input.Modality == "NM" ? r with { Input = r.Input with { SpectCalibration = calibration } } : r).ToList();

        // The calibration's text is part of the key: the batch cache does not know it, and new calibration means new SUVs.
        var key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(imaging.SettingsYaml + "\n" + imaging.Roi + "\n" + calibrationText)))[..16];
        var folder = Path.Combine(dataDirectory, ".fedrad", "features", key);
        Directory.CreateDirectory(folder);
        var progress = new Progress<BatchProgress>(p =>
        {
            if (p.Done == p.Total || p.Done % 10 == 0)
                log.LogInformation("Radiomics: {Done}/{Total} patients ({Cached} from cache, {Failed} failed)", p.Done, p.Total, p.FromCache, p.Failed);
        });
        var result = await BatchExtractor.RunAsync(rows, settings, Path.Combine(folder, "features.csv"), new BatchOptions(Environment.ProcessorCount), progress, ct);
        foreach (var (row, error) in result.Failures)
            log.LogWarning("Radiomics: {Manifest} line {Line} (patient {Patient}) left out: {Error}", ManifestPath, row.Line, row.PatientId, error);

        var cohortPath = Path.Combine(folder, $"cohort-{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join(',', features) + "|" + labelColumn + "|" + string.Join(',', extras))))[..12]}.csv");
        Join(result.WidePath, features, labelColumn, extras, cohortPath);
        return cohortPath;
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
        foreach (var r in outcomes.Skip(1)) labels[r[outPatient]] = outSplit < 0 ? r[outLabel] : r[outLabel] + "," + r[outSplit];
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
}
