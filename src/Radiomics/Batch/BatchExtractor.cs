using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using FedRad.Radiomics.Features;
using FedRad.Radiomics.Io;
using FedRad.Radiomics.Output;
using FedRad.Radiomics.Settings;

namespace FedRad.Radiomics.Batch;

/// <summary>One manifest row: an ROI of one patient at one timepoint in one modality.</summary>
public sealed record ManifestRow(int Line, string PatientId, string Timepoint, RoiInput Input, string? SettingsPath);

/// <summary>Progress of a batch: rows finished (computed, from cache or failed) out of the total.</summary>
public readonly record struct BatchProgress(int Done, int Total, int FromCache, int Failed, string? Current);

/// <summary>What a batch did: rows computed, reused from the cache, and failed (with why).</summary>
public sealed record BatchResult(int Computed, int FromCache, IReadOnlyList<(ManifestRow Row, string Error)> Failures, string LongPath, string WidePath);

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
        int parallelism, IProgress<BatchProgress>? progress, CancellationToken ct)
    {
        var cacheDir = outPath + ".cache";
        Directory.CreateDirectory(cacheDir);
        var settingsCache = new ConcurrentDictionary<string, RadiomicsSettings>();
        var results = new FeatureSet?[rows.Count];
        var failures = new ConcurrentBag<(ManifestRow, string)>();
        int done = 0, fromCache = 0, computed = 0;

        await Parallel.ForEachAsync(Enumerable.Range(0, rows.Count), new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, parallelism), CancellationToken = ct }, (i, token) =>
        {
            var row = rows[i];
            try
            {
                var settings = row.SettingsPath is null ? defaultSettings : settingsCache.GetOrAdd(row.SettingsPath, SettingsLoader.Load);
                var cacheFile = Path.Combine(cacheDir, CacheKey(row, settings) + ".csv");
                if (File.Exists(cacheFile))
                {
                    results[i] = ReadCached(cacheFile);
                    Interlocked.Increment(ref fromCache);
                }
                else
                {
                    var (image, mask, _) = RoiInputLoader.Load(row.Input);
                    var set = RadiomicsExtractor.Extract(image, mask, settings);
                    token.ThrowIfCancellationRequested();
                    WriteCached(cacheFile, set);
                    results[i] = set;
                    Interlocked.Increment(ref computed);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                failures.Add((row, $"{e.GetType().Name}: {e.Message}"));
            }
            var d = Interlocked.Increment(ref done);
            progress?.Report(new BatchProgress(d, rows.Count, Volatile.Read(ref fromCache), failures.Count, $"{row.PatientId} {row.Input.Modality} {row.Timepoint}".Trim()));
            return ValueTask.CompletedTask;
        });

        var longPath = outPath;
        var widePath = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(outPath))!, Path.GetFileNameWithoutExtension(outPath) + ".wide.csv");
        WriteOutputs(rows, results, longPath, widePath);
        var failureList = failures.OrderBy(f => f.Item1.Line).ToList();
        WriteFailures(outPath + ".errors.csv", failureList);
        return new BatchResult(computed, fromCache, failureList, longPath, widePath);
    }

    private static void WriteOutputs(IReadOnlyList<ManifestRow> rows, FeatureSet?[] results, string longPath, string widePath)
    {
        var tmp = longPath + ".tmp";
        using (var w = new StreamWriter(tmp, false, new UTF8Encoding(false)))
        {
            var first = true;
            for (var i = 0; i < rows.Count; i++)
            {
                if (results[i] is not { } set) continue;
                FeatureWriter.WriteLongCsv(w, set, Ids(rows[i]), header: first);
                first = false;
            }
            if (first) w.WriteLine(string.Join(',', Ids(rows.Count > 0 ? rows[0] : null).Select(c => c.Column).Append(FeatureWriter.LongHeader)));
        }
        File.Move(tmp, longPath, overwrite: true);

        // Wide: one row per patient and timepoint; each modality's (and ROI's) features under its own prefix.
        var wide = new List<(IReadOnlyList<(string, string)>, OrderedDictionary<string, double>)>();
        foreach (var g in rows.Select((r, i) => (r, i)).Where(x => results[x.i] is not null).GroupBy(x => (x.r.PatientId, x.r.Timepoint)))
        {
            var merged = new OrderedDictionary<string, double>(StringComparer.Ordinal);
            foreach (var (r, i) in g)
                foreach (var (k, v) in results[i]!.ToWideRow(Prefix(r))) merged[k] = v;
            wide.Add(([("patient_id", g.Key.PatientId), ("timepoint", g.Key.Timepoint)], merged));
        }
        using var ww = new StreamWriter(widePath, false, new UTF8Encoding(false));
        FeatureWriter.WriteWideCsv(ww, wide);
    }

    private static string Prefix(ManifestRow r)
    {
        var roi = r.Input.RoiName ?? (r.Input.Segment is { } s ? $"seg{s}" : null);
        var p = r.Input.Modality.ToLowerInvariant();
        return roi is null ? p : $"{p}_{new string(roi.ToLowerInvariant().Select(c => char.IsLetterOrDigit(c) ? c : '_').ToArray())}";
    }

    private static List<(string Column, string Value)> Ids(ManifestRow? r) =>
        [("patient_id", r?.PatientId ?? ""), ("timepoint", r?.Timepoint ?? ""), ("modality", r?.Input.Modality ?? ""), ("roi", r?.Input.RoiName ?? r?.Input.Segment?.ToString(CultureInfo.InvariantCulture) ?? "")];

    private static void WriteFailures(string path, List<(ManifestRow Row, string Error)> failures)
    {
        if (failures.Count == 0) { File.Delete(path); return; }
        using var w = new StreamWriter(path, false, new UTF8Encoding(false));
        w.WriteLine("manifest_line,patient_id,timepoint,modality,error");
        foreach (var (r, e) in failures)
            w.WriteLine($"{r.Line},{FeatureWriter.Csv(r.PatientId)},{FeatureWriter.Csv(r.Timepoint)},{r.Input.Modality},{FeatureWriter.Csv(e.ReplaceLineEndings(" "))}");
    }

    /// <summary>SHA-256 of everything the result depends on: inputs (path, size, write time), ROI selection and the settings.</summary>
    internal static string CacheKey(ManifestRow row, RadiomicsSettings settings)
    {
        var sb = new StringBuilder();
        foreach (var p in new[] { row.Input.ImagePath, row.Input.MaskPath })
        {
            sb.Append(p).Append('|');
            foreach (var f in Files(p)) sb.Append(f.Length).Append(':').Append(f.LastWriteTimeUtc.Ticks).Append(';');
        }
        sb.Append(row.Input.RoiName).Append('|').Append(row.Input.Segment).Append('|').Append(row.Input.Modality).Append('|');
        sb.Append(SettingsLoader.ToYaml(settings));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString())));
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
