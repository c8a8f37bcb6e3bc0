using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using FedRad.Dicom;
using FedRad.Imaging;
using FedRad.Imaging.Pet;
using FedRad.Imaging.Rois;
using FedRad.Imaging.Series;
using FedRad.Imaging.Spect;

namespace FedRad.Cli.Commands;

/// <summary>
/// `fedrad pet stats`: uptake metrics of one ROI on a PET series — or on a SPECT reconstruction (NM, or SPECT stored as
/// PET), in SUV when the site calibration (or vendor quantification) allows, else in Bq/mL or counts, as the output says.
/// </summary>
public static class PetCommand
{
    public static Command Create()
    {
        var pet = new Option<string>("--pet") { Description = "PET or SPECT DICOM series folder", Required = true };
        var mask = new Option<string>("--mask") { Description = "ROI: RTSTRUCT, SEG or NIfTI mask (file, or a folder holding one)", Required = true };
        var roi = new Option<string?>("--roi") { Description = "RTSTRUCT ROI name (or SEG segment label)" };
        var segment = new Option<int?>("--segment") { Description = "SEG segment number or NIfTI label" };
        var suv = new Option<string>("--suv") { Description = "SUV normalisation: bw, lbm (James), lbm-janma, bsa, ibw", DefaultValueFactory = _ => "bw" };
        var calibration = new Option<string?>("--calibration") { Description = "SPECT: the site's camera calibration file (YAML/JSON); without it SPECT counts are reported unless the images are vendor-quantified" };
        var json = new Option<bool>("--json") { Description = "print one JSON object instead of a table" };
        var stats = new Command("stats", "SUVmax, SUVmean, SUVpeak (local and global), MTV and TLG of an ROI (PET, or SPECT)") { pet, mask, roi, segment, suv, calibration, json };
        stats.SetAction(parse => Stats(parse.GetValue(pet)!, parse.GetValue(mask)!, parse.GetValue(roi), parse.GetValue(segment), parse.GetValue(suv)!,
            parse.GetValue(calibration), parse.GetValue(json)));
        return new Command("pet", "PET (and SPECT) quantification at the site") { stats };
    }

    private static int Stats(string petPath, string maskPath, string? roi, int? segment, string suv, string? calibrationPath, bool json)
    {
        try
        {
            var normalisation = BodySize.Parse(suv);
            var scan = DicomDirectory.Scan(petPath);
            var isSpect = scan.Series.Any(SpectSeries.IsSpect) && !scan.Series.Any(s => s.Modality == "PT" && !SpectSeries.IsSpect(s));
            if (isSpect) return SpectStats(petPath, maskPath, roi, segment, normalisation, calibrationPath, json);
            if (calibrationPath is not null) throw new ArgumentException("--calibration applies to SPECT; this folder holds PET");

            var image = PetSeries.Load(petPath, normalisation);
            var region = RoiLoader.Load(maskPath, image.Grid, image.FrameOfReferenceUid, new RoiSelection(roi, segment));
            var m = PetMetrics.Compute(image.Suv, region.Mask);
            var warnings = image.Warnings.Concat(region.Warnings).ToList();
            var factor = image.Conversion.UniformFactor;
            if (factor is null)
                warnings.Add($"the SUV factor differs between slices ({image.Conversion.FrameFactors.Min():G6}..{image.Conversion.FrameFactors.Max():G6}); suv_factor is null");
            if (json)
            {
                var result = new Dictionary<string, object?>
                {
                    ["suv_factor"] = factor, ["suvmax"] = m.SuvMax, ["suvmean"] = m.SuvMean, ["suvpeak_local"] = m.SuvPeakLocal,
                    ["suvpeak_global"] = m.SuvPeakGlobal, ["mtv_ml"] = m.MtvMl, ["tlg"] = m.Tlg, ["voxels"] = m.Voxels, ["warnings"] = warnings,
                };
                Console.WriteLine(JsonSerializer.Serialize(result));
            }
            else
            {
                Console.WriteLine($"ROI '{region.Mask.Name}' ({region.Kind}) on {image.Grid.SizeX}x{image.Grid.SizeY}x{image.Grid.SizeZ} PET, {normalisation.Symbol()}");
                Console.WriteLine($"  SUV factor      {(factor is { } f ? f.ToString("G9", CultureInfo.InvariantCulture) : "varies by slice")}  ({image.Conversion.Method})");
                PrintMetrics(m, "SUV", "TLG");
                foreach (var w in warnings) Console.Error.WriteLine($"warning: {w}");
            }
            return 0;
        }
        catch (Exception e) when (e is ImageFormatException or DicomFormatException or SuvRefusedException or SeriesGeometryException
                                      or CalibrationFileException or ArgumentException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }

    /// <summary>
    /// The same JSON keys as PET (suv_* and tlg null when SUV is refused), plus modality, quantity, the metrics in that
    /// quantity ("values"), how counts became Bq/mL and why SUV was refused.
    /// </summary>
    private static int SpectStats(string path, string maskPath, string? roi, int? segment, SuvNormalisation normalisation, string? calibrationPath, bool json)
    {
        var calibration = calibrationPath is null ? null : SpectCalibrationTable.Load(calibrationPath);
        var image = SpectSeries.Load(path, new SpectLoadOptions { Calibration = calibration, Normalisation = normalisation });
        var region = RoiLoader.Load(maskPath, image.Grid, image.FrameOfReferenceUid, new RoiSelection(roi, segment));
        var m = PetMetrics.Compute(image.Values, region.Mask);
        var warnings = image.Warnings.Concat(region.Warnings).ToList();
        var isSuv = image.Quantity == SpectQuantity.Suv;
        var factor = isSuv ? image.Conversion!.UniformFactor : null;
        if (json)
        {
            var result = new Dictionary<string, object?>
            {
                ["modality"] = image.Series.Modality, ["quantity"] = image.Values.Unit,
                ["suv_factor"] = factor, ["suvmax"] = isSuv ? m.SuvMax : null, ["suvmean"] = isSuv ? m.SuvMean : null,
                ["suvpeak_local"] = isSuv ? m.SuvPeakLocal : null, ["suvpeak_global"] = isSuv ? m.SuvPeakGlobal : null,
                ["mtv_ml"] = m.MtvMl, ["tlg"] = isSuv ? m.Tlg : null, ["voxels"] = m.Voxels,
                ["values"] = new Dictionary<string, double> { ["max"] = m.SuvMax, ["mean"] = m.SuvMean, ["peak_local"] = m.SuvPeakLocal, ["peak_global"] = m.SuvPeakGlobal },
                ["activity_per_count"] = image.ActivityPerCount, ["activity_method"] = image.ActivityMethod, ["suv_refused"] = image.SuvRefusal,
                ["warnings"] = warnings,
            };
            Console.WriteLine(JsonSerializer.Serialize(result));
        }
        else
        {
            var g = image.Grid;
            Console.WriteLine($"ROI '{region.Mask.Name}' ({region.Kind}) on {g.SizeX}x{g.SizeY}x{g.SizeZ} SPECT ({image.Acquisition.NuclideAsNamed ?? "unknown isotope"}), {image.Values.Unit}");
            Console.WriteLine($"  Bq/mL           {(image.ActivityMethod ?? $"not available: {image.ActivityRefusal}")}");
            Console.WriteLine($"  SUV factor      {(factor is { } f ? f.ToString("G9", CultureInfo.InvariantCulture) : $"refused: {image.SuvRefusal}")}");
            PrintMetrics(m, isSuv ? "SUV" : image.Values.Unit + " ", isSuv ? "TLG" : "mean × MTV");
            foreach (var w in warnings) Console.Error.WriteLine($"warning: {w}");
        }
        return 0;
    }

    private static void PrintMetrics(PetMetricsResult m, string quantity, string total)
    {
        var width = Math.Max(18, quantity.Length + 15);   // "  " + the longest label ("…peak global") + a space
        void Row(string label, string value) => Console.WriteLine($"  {label}".PadRight(width) + value);
        string F(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);
        Row($"{quantity}max", F(m.SuvMax));
        Row($"{quantity}mean", F(m.SuvMean));
        Row($"{quantity}peak local", F(m.SuvPeakLocal));
        Row($"{quantity}peak global", F(m.SuvPeakGlobal));
        Row("MTV", $"{F(m.MtvMl)} mL ({m.Voxels} voxels)");
        Row(total, F(m.Tlg));
    }
}
