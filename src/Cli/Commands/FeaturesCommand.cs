using System.CommandLine;
using FedRad.Imaging;
using FedRad.Imaging.Spect;
using FedRad.Radiomics;
using FedRad.Radiomics.Batch;
using FedRad.Radiomics.Io;
using FedRad.Radiomics.Output;
using FedRad.Radiomics.Processing;
using FedRad.Radiomics.Settings;
using Spectre.Console;

namespace FedRad.Cli.Commands;

/// <summary>`fedrad features extract|batch`: IBSI radiomics for one ROI or a whole cohort.</summary>
public static class FeaturesCommand
{
    public static Command Create()
    {
        var image = new Option<string>("--image") { Description = "image: DICOM series folder or NIfTI file (.nii, .nii.gz)", Required = true };
        var mask = new Option<string>("--mask") { Description = "ROI: RTSTRUCT, SEG or NIfTI mask (file or folder holding one)", Required = true };
        var roi = new Option<string?>("--roi") { Description = "RTSTRUCT ROI name (or SEG segment label)" };
        var segment = new Option<int?>("--segment") { Description = "SEG segment number or NIfTI label" };
        var modality = new Option<string>("--modality") { Description = "CT, PT or NM (a PET DICOM series is converted to SUV, body weight; a SPECT (NM) one to SUV with --spect-calibration, else counts)", DefaultValueFactory = _ => "CT" };
        var settings = new Option<string>("--settings") { Description = "IBSI settings file (YAML or JSON; presets in configs/)", Required = true };
        var output = new Option<string>("--out") { Description = "output file: .csv (feature,ibsi_code,aggregation_code,value) or .json", Required = true };
        var extractCalibration = new Option<string?>("--spect-calibration") { Description = "SPECT camera calibration (YAML, docs/imaging.md): an NM image in SUV instead of counts" };
        var extract = new Command("extract", "Extract IBSI features for one ROI") { image, mask, roi, segment, modality, settings, output, extractCalibration };
        extract.SetAction(parse => Extract(parse.GetValue(image)!, parse.GetValue(mask)!, parse.GetValue(roi), parse.GetValue(segment),
            parse.GetValue(modality)!, parse.GetValue(settings)!, parse.GetValue(output)!, parse.GetValue(extractCalibration)));

        var manifest = new Option<string>("--manifest") { Description = $"cohort CSV with columns {string.Join(", ", BatchExtractor.RequiredColumns)} (optional: {string.Join(", ", BatchExtractor.OptionalColumns)})", Required = true };
        var batchSettings = new Option<string>("--settings") { Description = "IBSI settings file for rows without a 'settings' column value", Required = true };
        var batchOut = new Option<string>("--out") { Description = "long CSV of all rows; a .wide.csv (one row per patient and timepoint) and a .cache folder go beside it", Required = true };
        var jobs = new Option<int>("--jobs") { Description = "ROIs extracted in parallel", DefaultValueFactory = _ => Environment.ProcessorCount };
        var alignTo = new Option<string?>("--align-to") { Description = "CT or PT: extract all modalities of a patient, timepoint and ROI together on this modality's grid, with its mask" };
        var delta = new Option<string?>("--delta") { Description = "BASELINE:FOLLOWUP timepoints: also write delta radiomics (difference and relative change) to a .delta.csv; a patient whose SPECT scans at the two are not comparable (isotope, camera, quantity...) is left out of it, with an error" };
        var spectCalibration = new Option<string?>("--spect-calibration") { Description = "SPECT camera calibration (YAML, docs/imaging.md): NM rows in SUV instead of counts" };
        var batch = new Command("batch", "Extract features for every row of a manifest, in parallel; resumes from its cache after an interruption") { manifest, batchSettings, batchOut, jobs, alignTo, delta, spectCalibration };
        batch.SetAction((parse, ct) => Batch(parse.GetValue(manifest)!, parse.GetValue(batchSettings)!, parse.GetValue(batchOut)!, parse.GetValue(jobs),
            parse.GetValue(alignTo), parse.GetValue(delta), parse.GetValue(spectCalibration), ct));

        return new Command("features", "IBSI radiomics features (PET/CT)") { extract, batch };
    }

    private static int Extract(string imagePath, string maskPath, string? roi, int? segment, string modality, string settingsPath, string outPath, string? spectCalibration)
    {
        try
        {
            var settings = SettingsLoader.Load(settingsPath);
            var calibration = spectCalibration is null ? null : SpectCalibrationTable.Load(spectCalibration);
            var (image, mask, warnings) = RoiInputLoader.Load(new RoiInput(imagePath, maskPath, roi, segment, RoiInputLoader.NormaliseModality(modality), calibration));
            foreach (var w in warnings) Console.Error.WriteLine($"warning: {w}");
            var set = RadiomicsExtractor.Extract(image, mask, settings);
            foreach (var n in set.Notes) Console.Error.WriteLine($"note: {n}");
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(outPath))!);
            if (outPath.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
            {
                using var stream = File.Create(outPath);
                FeatureWriter.WriteLongJson(stream, set);
            }
            else
            {
                using var writer = new StreamWriter(outPath);
                FeatureWriter.WriteLongCsv(writer, set);
            }
            var undefined = set.Values.Count(v => double.IsNaN(v.Value));
            Console.WriteLine($"{set.Values.Count} feature values ({undefined} undefined for this ROI) for {set.MorphologicalVoxelCount} voxels, {set.GreyLevels} grey levels -> {outPath}");
            return 0;
        }
        catch (Exception e) when (e is SettingsException or RadiomicsInputException or ImageFormatException or IOException or UnauthorizedAccessException
                                      or InvalidDataException or ArgumentException or FedRad.Imaging.Pet.SuvRefusedException or FedRad.Imaging.Series.SeriesGeometryException
                                      or CalibrationFileException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }

    private static async Task<int> Batch(string manifestPath, string settingsPath, string outPath, int jobs, string? alignTo, string? delta, string? spectCalibration, CancellationToken ct)
    {
        List<ManifestRow> rows;
        RadiomicsSettings settings;
        BatchOptions options;
        try
        {
            settings = SettingsLoader.Load(settingsPath);
            rows = BatchExtractor.ReadManifest(manifestPath);
            (string, string)? timepoints = null;
            if (delta is not null)
            {
                var parts = delta.Split(':');
                if (parts.Length != 2 || parts.Any(p => p.Length == 0)) throw new ArgumentException($"--delta '{delta}' is not BASELINE:FOLLOWUP");
                timepoints = (parts[0], parts[1]);
            }
            options = new BatchOptions(jobs, alignTo is null ? null : RoiInputLoader.NormaliseModality(alignTo), timepoints);
            if (spectCalibration is not null)
            {
                var table = SpectCalibrationTable.Load(spectCalibration);
                var nm = rows.Count(r => r.Input.Modality == "NM");
                if (nm == 0) Console.Error.WriteLine($"warning: --spect-calibration {spectCalibration}: the manifest has no SPECT (NM) rows to quantify");
                rows = rows.Select(r => r.Input.Modality == "NM" ? r with { Input = r.Input with { SpectCalibration = table } } : r).ToList();
            }
            else if (rows.Any(r => r.Input.Modality == "NM"))
                Console.Error.WriteLine("warning: SPECT (NM) rows and no --spect-calibration: their features come from counts, comparable only within one camera and protocol");
        }
        catch (Exception e) when (e is SettingsException or InvalidDataException or IOException or ArgumentException or CalibrationFileException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }

        BatchResult result;
        try
        {
            result = await AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                .StartAsync(async ctx =>
                {
                    var task = ctx.AddTask($"features: {rows.Count} ROIs", maxValue: rows.Count);
                    var progress = new Progress<BatchProgress>(p =>
                    {
                        task.Value = p.Done;
                        task.Description = $"features: {p.Done}/{p.Total} ({p.FromCache} cached, {p.Failed} failed) {Markup.Escape(p.Current ?? "")}";
                    });
                    return await BatchExtractor.RunAsync(rows, settings, outPath, options, progress, ct);
                });
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine($"interrupted: finished ROIs are cached in {outPath}.cache; run the same command again to resume");
            return 130;
        }
        Console.WriteLine($"{result.Computed} ROIs extracted, {result.FromCache} from cache, {result.Failures.Count} failed -> {result.LongPath}, {result.WidePath}{(result.DeltaPath is null ? "" : ", " + result.DeltaPath)}");
        foreach (var (row, error) in result.Failures)
            Console.Error.WriteLine($"error: {manifestPath} line {row.Line} ({row.PatientId} {row.Input.Modality} {row.Timepoint}): {error}");
        var notComparable = result.SpectPairs.Where(p => !p.Comparable).ToList();
        foreach (var pair in notComparable) Console.Error.WriteLine($"error: {pair.Refusal(manifestPath)}; left out of the delta table");
        foreach (var pair in result.SpectPairs.Where(p => p.Comparable && p.Caveats.Count > 0)) Console.Error.WriteLine($"warning: {pair.Caveat(manifestPath)}");
        return result.Failures.Count == 0 && notComparable.Count == 0 ? 0 : 1;
    }
}
