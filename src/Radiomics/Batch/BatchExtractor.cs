using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using FedRad.Radiomics.Features;
using FedRad.Radiomics.Io;
using FedRad.Radiomics.Multimodal;
using FedRad.Radiomics.Output;
using FedRad.Radiomics.Settings;

namespace FedRad.Radiomics.Batch;

/// <summary>One manifest row: an ROI of one patient at one timepoint in one modality.</summary>
public sealed record ManifestRow(int Line, string PatientId, string Timepoint, RoiInput Input, string? SettingsPath);

/// <summary>Progress of a batch: rows finished (computed, from cache or failed) out of the total.</summary>
public readonly record struct BatchProgress(int Done, int Total, int FromCache, int Failed, string? Current);

/// <summary>
/// What a batch did: ROIs computed, reused from the cache, and failed (with why); where it wrote. With delta radiomics,
/// <see cref="SpectPairs"/>: the SPECT timepoint pairs compared; a patient whose pair has problems is left out of the delta table.
/// </summary>
public sealed record BatchResult(int Computed, int FromCache, IReadOnlyList<(ManifestRow Row, string Error)> Failures, string LongPath, string WidePath, string? DeltaPath,
    IReadOnlyList<TimepointPair> SpectPairs);

/// <summary>
/// How a batch runs. <see cref="AlignTo"/>: rows of one patient, timepoint and ROI in several modalities are
/// extracted together on the grid of this modality, with that row's mask (PET/CT from the same ROI).
/// <see cref="Delta"/>: also write delta radiomics between two timepoints (difference and relative change), for the patients
/// whose SPECT scans at the two are comparable (<see cref="TimepointPairs"/>).
/// </summary>
public sealed record BatchOptions(int Parallelism, string? AlignTo = null, (string Baseline, string FollowUp)? Delta = null);

/// <summary>
/// Feature extraction for a cohort: reads a manifest CSV, extracts every row in parallel, and writes a long CSV
/// (id columns + feature, ibsi_code, aggregation_code, value) and a wide CSV (one row per patient and timepoint,
/// columns prefixed by modality). Each finished row is cached on disk under a key of its inputs (paths, file sizes
/// and times, ROI selection, settings), so a rerun after an interruption recomputes only what is missing.
/// A failing row is reported with its manifest line and does not stop the others.
/// </summary>
public static class BatchExtractor
{
    public static readonly string[] RequiredColumns = ["patient_id", "image", "mask"];
    public static readonly string[] OptionalColumns = ["roi", "segment", "modality", "timepoint", "settings"];

    public static List<ManifestRow> ReadManifest(string path)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var lines = File.ReadAllLines(path);
        if (lines.Length == 0) throw new InvalidDataException($"{path}: the manifest is empty");
        var header = lines[0].Split(',').Select(h => h.Trim().ToLowerInvariant()).ToList();
        foreach (var c in RequiredColumns)
            if (!header.Contains(c)) throw new InvalidDataException($"{path}: line 1 lacks the column '{c}' (required: {string.Join(", ", RequiredColumns)}; optional: {string.Join(", ", OptionalColumns)})");
        foreach (var c in header)
            if (!RequiredColumns.Contains(c) && !OptionalColumns.Contains(c)) throw new InvalidDataException($"{path}: line 1 has an unknown column '{c}'");
        var rows = new List<ManifestRow>();
        for (var i = 1; i < lines.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(lines[i])) continue;
            var f = lines[i].Split(',');
            if (f.Length != header.Count) throw new InvalidDataException($"{path}: line {i + 1} has {f.Length} fields, the header {header.Count}");
            string? Get(string c) => header.IndexOf(c) is var k and >= 0 && f[k].Trim().Length > 0 ? f[k].Trim() : null;
            string Resolve(string p) => Path.IsPathRooted(p) ? p : Path.GetFullPath(Path.Combine(dir, p));
            int? segment = null;
            if (Get("segment") is { } seg)
                segment = int.TryParse(seg, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : throw new InvalidDataException($"{path}: line {i + 1}: segment '{seg}' is not a number");
            string modality;
            try { modality = RoiInputLoader.NormaliseModality(Get("modality")); }
            catch (ArgumentException e) { throw new InvalidDataException($"{path}: line {i + 1}: {e.Message}"); }
            var patient = Get("patient_id") ?? throw new InvalidDataException($"{path}: line {i + 1}: patient_id is empty");
            rows.Add(new ManifestRow(i + 1, patient, Get("timepoint") ?? "",
                new RoiInput(Resolve(Get("image") ?? throw new InvalidDataException($"{path}: line {i + 1}: image is empty")),
                    Resolve(Get("mask") ?? throw new InvalidDataException($"{path}: line {i + 1}: mask is empty")), Get("roi"), segment, modality),
                Get("settings") is { } s ? Resolve(s) : null));
        }
        var duplicates = rows.GroupBy(r => (r.PatientId, r.Timepoint, r.Input.Modality, r.Input.RoiName, r.Input.Segment)).Where(g => g.Count() > 1).ToList();
        if (duplicates.Count > 0)
            throw new InvalidDataException($"{path}: lines {string.Join(" and ", duplicates[0].Select(r => r.Line))} describe the same patient, timepoint, modality and ROI");
        return rows;
    }

    public static async Task<BatchResult> RunAsync(IReadOnlyList<ManifestRow> rows, RadiomicsSettings defaultSettings, string outPath,
        BatchOptions options, IProgress<BatchProgress>? progress, CancellationToken ct)
    {
        var cacheDir = CacheDirectory(outPath);
        Directory.CreateDirectory(cacheDir);
        // The delta subtracts a patient's features at one timepoint from the other's: only for comparable SPECT scans.
        var pairs = options.Delta is { } delta ? TimepointPairs.Spect(rows, delta, cacheDir, options.Parallelism) : [];
        var notComparable = pairs.Where(p => !p.Comparable).Select(p => p.PatientId).ToHashSet();
        var settingsCache = new ConcurrentDictionary<string, RadiomicsSettings>();
        RadiomicsSettings SettingsOf(ManifestRow r) => r.SettingsPath is null ? defaultSettings : settingsCache.GetOrAdd(r.SettingsPath, SettingsLoader.Load);
        var units = Units(rows, options.AlignTo);
        var results = new FeatureSet?[units.Count];
        var failures = new ConcurrentBag<(ManifestRow, string)>();
        int done = 0, fromCache = 0, computed = 0;

        await Parallel.ForEachAsync(Enumerable.Range(0, units.Count), new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.Parallelism), CancellationToken = ct }, (i, token) =>
        {
            var unit = units[i];
            try
            {
                var key = CacheKey(unit.Rows.Select(r => KeyText(r, SettingsOf(r))).Append(unit.AlignTo ?? ""));
                var cacheFile = Path.Combine(cacheDir, key + ".csv");
                if (File.Exists(cacheFile))
                {
                    results[i] = ReadCached(cacheFile);
                    Interlocked.Increment(ref fromCache);
                }
                else
                {
                    var set = Extract(unit, SettingsOf);
                    token.ThrowIfCancellationRequested();
                    WriteCached(cacheFile, set);
                    results[i] = set;
                    Interlocked.Increment(ref computed);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                failures.Add((unit.Rows[0], $"{e.GetType().Name}: {e.Message}"));
            }
            var d = Interlocked.Increment(ref done);
            progress?.Report(new BatchProgress(d, units.Count, Volatile.Read(ref fromCache), failures.Count, unit.Label));
            return ValueTask.CompletedTask;
        });

        var dir = Path.GetDirectoryName(Path.GetFullPath(outPath))!;
        var stem = Path.GetFileNameWithoutExtension(outPath);
        var widePath = Path.Combine(dir, stem + ".wide.csv");
        var deltaPath = options.Delta is null ? null : Path.Combine(dir, stem + ".delta.csv");
        WriteOutputs(units, results, outPath, widePath, deltaPath, options.Delta, notComparable);
        var failureList = failures.OrderBy(f => f.Item1.Line).ToList();
        WriteFailures(outPath + ".errors.csv", failureList);
        return new BatchResult(computed, fromCache, failureList, outPath, widePath, deltaPath, pairs);
    }

    /// <summary>Where a batch writing <paramref name="outPath"/> caches its finished rows (and its SPECT pair verdicts).</summary>
    public static string CacheDirectory(string outPath) => outPath + ".cache";

    /// <summary>What is extracted together: one row, or (aligned) all modalities of one patient, timepoint and ROI.</summary>
    private sealed record Unit(IReadOnlyList<ManifestRow> Rows, string? AlignTo)
    {
        public ManifestRow First => Rows[0];
        public string Label => $"{First.PatientId} {string.Join("+", Rows.Select(r => r.Input.Modality))} {First.Timepoint}".Trim();
        public string RoiKey => First.Input.RoiName ?? First.Input.Segment?.ToString(CultureInfo.InvariantCulture) ?? "";
    }

    private static List<Unit> Units(IReadOnlyList<ManifestRow> rows, string? alignTo)
    {
        if (alignTo is null) return rows.Select(r => new Unit([r], null)).ToList();
        var units = new List<Unit>();
        foreach (var g in rows.GroupBy(r => (r.PatientId, r.Timepoint, Roi: r.Input.RoiName ?? r.Input.Segment?.ToString(CultureInfo.InvariantCulture))))
        {
            // The reference modality first: its mask is the ROI for every modality of the group.
            var ordered = g.OrderBy(r => r.Input.Modality == alignTo ? 0 : 1).ThenBy(r => r.Line).ToList();
            units.Add(new Unit(ordered, alignTo));
        }
        return units;
    }

    private static FeatureSet Extract(Unit unit, Func<ManifestRow, RadiomicsSettings> settingsOf)
    {
        if (unit.AlignTo is null)
        {
            var row = unit.First;
            var (image, mask, _) = RoiInputLoader.Load(row.Input);
            return RadiomicsExtractor.Extract(image, mask, settingsOf(row));
        }
        var reference = unit.First;
        if (reference.Input.Modality != unit.AlignTo)
            throw new InvalidDataException($"{unit.Label}: no {unit.AlignTo} row to align to (manifest line {reference.Line})");
        var (refImage, refMask, _) = RoiInputLoader.Load(reference.Input);
        var images = new List<ModalityImage> { new(reference.Input.Modality, refImage, settingsOf(reference)) };
        foreach (var r in unit.Rows.Skip(1))
            images.Add(new ModalityImage(r.Input.Modality, RoiInputLoader.LoadImage(r.Input).Image, settingsOf(r)));
        return MultimodalExtractor.Extract(images, refMask, unit.AlignTo);
    }

    private static void WriteOutputs(List<Unit> units, FeatureSet?[] results, string longPath, string widePath, string? deltaPath, (string Baseline, string FollowUp)? delta,
        IReadOnlySet<string> notComparable)
    {
        var tmp = longPath + ".tmp";
        using (var w = new StreamWriter(tmp, false, new UTF8Encoding(false)))
        {
            w.WriteLine(string.Join(',', Ids(null).Select(c => c.Column).Append(FeatureWriter.LongHeader)));
            for (var i = 0; i < units.Count; i++)
                if (results[i] is { } set) FeatureWriter.WriteLongCsv(w, set, Ids(units[i]), header: false);
        }
        File.Move(tmp, longPath, overwrite: true);

        // Wide: one row per patient and timepoint; each modality's (and ROI's) features under their own prefix.
        var merged = new List<(string Patient, string Timepoint, FeatureSet Set)>();
        foreach (var g in units.Select((u, i) => (u, i)).Where(x => results[x.i] is not null).GroupBy(x => (x.u.First.PatientId, x.u.First.Timepoint)))
        {
            var values = g.SelectMany(x => Prefixed(x.u, results[x.i]!).Values).ToList();
            merged.Add((g.Key.PatientId, g.Key.Timepoint, new FeatureSet(values, 0, 0, 0, [])));
        }
        using (var ww = new StreamWriter(widePath, false, new UTF8Encoding(false)))
            FeatureWriter.WriteWideCsv(ww, merged.Select(m => ((IReadOnlyList<(string, string)>)[("patient_id", m.Patient), ("timepoint", m.Timepoint)], m.Set.ToWideRow())).ToList());

        if (deltaPath is null || delta is not { } d) return;
        var rows = new List<(IReadOnlyList<(string, string)>, OrderedDictionary<string, double>)>();
        foreach (var p in merged.GroupBy(m => m.Patient).Where(p => !notComparable.Contains(p.Key)))
        {
            var before = p.FirstOrDefault(m => m.Timepoint == d.Baseline);
            var after = p.FirstOrDefault(m => m.Timepoint == d.FollowUp);
            if (before.Set is null || after.Set is null) continue;
            rows.Add(([("patient_id", p.Key), ("baseline", d.Baseline), ("follow_up", d.FollowUp)], DeltaRadiomics.Compute(before.Set, after.Set).ToWideRow()));
        }
        using var dw = new StreamWriter(deltaPath, false, new UTF8Encoding(false));
        FeatureWriter.WriteWideCsv(dw, rows);
    }

    // Single-modality results get "{modality}[_{roi}]"; aligned results already carry modality prefixes and get the ROI's.
    private static FeatureSet Prefixed(Unit u, FeatureSet set)
    {
        var roi = u.RoiKey.Length == 0 ? null
            : (u.First.Input.RoiName is null ? "seg" : "") + new string(u.RoiKey.ToLowerInvariant().Select(c => char.IsLetterOrDigit(c) ? c : '_').ToArray());
        if (u.AlignTo is not null) return roi is null ? set : set.WithFamilyPrefix(roi);
        var modality = u.First.Input.Modality.ToLowerInvariant();
        return set.WithFamilyPrefix(roi is null ? modality : $"{modality}_{roi}");
    }

    private static List<(string Column, string Value)> Ids(Unit? u) =>
        [("patient_id", u?.First.PatientId ?? ""), ("timepoint", u?.First.Timepoint ?? ""),
         ("modality", u is null ? "" : string.Join("+", u.Rows.Select(r => r.Input.Modality))), ("roi", u?.RoiKey ?? "")];

    private static void WriteFailures(string path, List<(ManifestRow Row, string Error)> failures)
    {
        if (failures.Count == 0) { File.Delete(path); return; }
        using var w = new StreamWriter(path, false, new UTF8Encoding(false));
        w.WriteLine("manifest_line,patient_id,timepoint,modality,error");
        foreach (var (r, e) in failures)
            w.WriteLine($"{r.Line},{FeatureWriter.Csv(r.PatientId)},{FeatureWriter.Csv(r.Timepoint)},{r.Input.Modality},{FeatureWriter.Csv(e.ReplaceLineEndings(" "))}");
    }

    /// <summary>SHA-256 of everything a result depends on: each row's inputs (path, size, write time), ROI selection and delineation, SPECT calibration and settings.</summary>
    internal static string CacheKey(IEnumerable<string> parts) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join("\n--\n", parts))));

    private static string KeyText(ManifestRow row, RadiomicsSettings settings) => InputKeyText(row.Input) + SettingsLoader.ToYaml(settings);

    /// <summary>What a row's image and mask depend on: paths with file sizes and times, ROI selection, modality, SPECT calibration and delineation.</summary>
    internal static string InputKeyText(RoiInput input)
    {
        var sb = new StringBuilder();
        foreach (var p in new[] { input.ImagePath, input.MaskPath })
        {
            sb.Append(p).Append('|');
            foreach (var f in Files(p)) sb.Append(f.Length).Append(':').Append(f.LastWriteTimeUtc.Ticks).Append(';');
        }
        sb.Append(input.RoiName).Append('|').Append(input.Segment).Append('|').Append(input.Modality).Append('|');
        // A SPECT row's values (counts or SUV) depend on the calibration it is quantified with.
        if (input.SpectCalibration is { } calibration) sb.AppendJoin(';', calibration.Entries).Append('|');
        if (input.Threshold is { } threshold) sb.Append(threshold.Method).Append(':').Append(threshold.Value.ToString("R", CultureInfo.InvariantCulture)).Append('|');
        return sb.ToString();
    }

    private static IEnumerable<FileInfo> Files(string path) =>
        Directory.Exists(path) ? new DirectoryInfo(path).EnumerateFiles("*", SearchOption.AllDirectories).OrderBy(f => f.FullName, StringComparer.Ordinal)
        : File.Exists(path) ? [new FileInfo(path)] : [];

    private static void WriteCached(string path, FeatureSet set)
    {
        var tmp = path + "." + Environment.ProcessId + "." + Environment.CurrentManagedThreadId + ".tmp";
        using (var w = new StreamWriter(tmp, false, new UTF8Encoding(false))) FeatureWriter.WriteLongCsv(w, set);
        File.Move(tmp, path, overwrite: true); // atomic: an interrupted run never leaves a half-written cache entry
    }

    private static FeatureSet ReadCached(string path)
    {
        using var r = new StreamReader(path);
        var rows = FeatureWriter.ReadLongCsv(r, path);
        var values = rows.Select(x =>
        {
            var cut = x.Feature.IndexOf('_');
            return new FeatureValue(x.Feature[..cut], x.Feature[(cut + 1)..], x.IbsiCode, AggregationInfo.FromIbsiCode(x.AggregationCode), x.Value,
                double.IsNaN(x.Value) ? "undefined for this ROI (see the first run's output)" : null);
        }).ToList();
        return new FeatureSet(values, 0, 0, 0, ["read from the batch cache"]);
    }
}
