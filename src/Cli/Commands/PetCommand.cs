using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using FedRad.Dicom;
using FedRad.Imaging;
using FedRad.Imaging.Pet;
using FedRad.Imaging.Rois;
using FedRad.Imaging.Series;

namespace FedRad.Cli.Commands;

/// <summary>`fedrad pet stats`: SUV metrics of one ROI on a PET series.</summary>
public static class PetCommand
{
    public static Command Create()
    {
        var pet = new Option<string>("--pet") { Description = "PET DICOM series folder", Required = true };
        var mask = new Option<string>("--mask") { Description = "ROI: RTSTRUCT, SEG or NIfTI mask (file, or a folder holding one)", Required = true };
        var roi = new Option<string?>("--roi") { Description = "RTSTRUCT ROI name (or SEG segment label)" };
        var segment = new Option<int?>("--segment") { Description = "SEG segment number or NIfTI label" };
        var suv = new Option<string>("--suv") { Description = "SUV normalisation: bw, lbm (James), lbm-janma, bsa, ibw", DefaultValueFactory = _ => "bw" };
        var json = new Option<bool>("--json") { Description = "print one JSON object instead of a table" };
        var stats = new Command("stats", "SUVmax, SUVmean, SUVpeak (local and global), MTV and TLG of an ROI") { pet, mask, roi, segment, suv, json };
        stats.SetAction(parse => Stats(parse.GetValue(pet)!, parse.GetValue(mask)!, parse.GetValue(roi), parse.GetValue(segment), parse.GetValue(suv)!, parse.GetValue(json)));
        return new Command("pet", "PET quantification at the site") { stats };
    }

    private static int Stats(string petPath, string maskPath, string? roi, int? segment, string suv, bool json)
    {
        try
        {
            var normalisation = BodySize.Parse(suv);
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
                string F(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);
                Console.WriteLine($"ROI '{region.Mask.Name}' ({region.Kind}) on {image.Grid.SizeX}x{image.Grid.SizeY}x{image.Grid.SizeZ} PET, {normalisation.Symbol()}");
                Console.WriteLine($"  SUV factor      {(factor is { } f ? f.ToString("G9", CultureInfo.InvariantCulture) : "varies by slice")}  ({image.Conversion.Method})");
                Console.WriteLine($"  SUVmax          {F(m.SuvMax)}");
                Console.WriteLine($"  SUVmean         {F(m.SuvMean)}");
                Console.WriteLine($"  SUVpeak local   {F(m.SuvPeakLocal)}");
                Console.WriteLine($"  SUVpeak global  {F(m.SuvPeakGlobal)}");
                Console.WriteLine($"  MTV             {F(m.MtvMl)} mL ({m.Voxels} voxels)");
                Console.WriteLine($"  TLG             {F(m.Tlg)}");
                foreach (var w in warnings) Console.Error.WriteLine($"warning: {w}");
            }
            return 0;
        }
        catch (Exception e) when (e is ImageFormatException or DicomFormatException or SuvRefusedException or SeriesGeometryException
                                      or ArgumentException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }
}
