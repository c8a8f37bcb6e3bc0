using FedRad.Dicom;
using FedRad.Imaging.Pet;
using FedRad.Imaging.Series;

namespace FedRad.Imaging.Spect;

/// <summary>How far a SPECT image could be quantified.</summary>
public enum SpectQuantity
{
    /// <summary>Reconstructed counts (or whatever the stored values are): relative, camera- and protocol-specific.</summary>
    Counts,
    /// <summary>Activity concentration, Bq/mL.</summary>
    ActivityConcentration,
    /// <summary>SUV with the requested normalisation.</summary>
    Suv,
}

/// <summary>What <see cref="SpectSeries.Load"/> uses beyond the images.</summary>
public sealed record SpectLoadOptions
{
    /// <summary>The site's camera calibrations; without one (and without vendor quantification) SUV is refused and counts are returned.</summary>
    public SpectCalibrationTable? Calibration { get; init; }
    public SuvNormalisation Normalisation { get; init; } = SuvNormalisation.BodyWeight;
    /// <summary>Which series, when the folder holds several SPECT reconstructions.</summary>
    public string? SeriesInstanceUid { get; init; }
    /// <summary>Fail with <see cref="SuvRefusedException"/> unless at least this quantity is reached (e.g. a study defined on SUV).</summary>
    public SpectQuantity Require { get; init; } = SpectQuantity.Counts;
    public IProgress<(int Done, int Total)>? Progress { get; init; }
}

/// <summary>A reconstructed SPECT volume: counts always, activity concentration and SUV when they can be computed.</summary>
public sealed class SpectImage
{
    public required DicomVolume Series { get; init; }
    public required SpectAcquisition Acquisition { get; init; }
    /// <summary>The stored values after any Rescale Slope/Intercept: reconstructed counts (or the vendor's unit).</summary>
    public required ImageVolume Counts { get; init; }
    /// <summary>Bq/mL, or null (<see cref="ActivityRefusal"/> says why).</summary>
    public ImageVolume? Activity { get; init; }
    /// <summary>SUV in <see cref="SpectLoadOptions.Normalisation"/>, or null (<see cref="SuvRefusal"/> says why).</summary>
    public ImageVolume? Suv { get; init; }
    /// <summary>How counts became Bq/mL (vendor units, or which calibration entry and factor).</summary>
    public string? ActivityMethod { get; init; }
    /// <summary>Bq/mL = <see cref="ActivityPerCount"/> × value + <see cref="ActivityOffset"/>.</summary>
    public double? ActivityPerCount { get; init; }
    public double ActivityOffset { get; init; }
    public SuvConversion? Conversion { get; init; }
    public string? ActivityRefusal { get; init; }
    public string? SuvRefusal { get; init; }
    public required IReadOnlyList<string> Warnings { get; init; }

    public SpectQuantity Quantity => Suv is not null ? SpectQuantity.Suv : Activity is not null ? SpectQuantity.ActivityConcentration : SpectQuantity.Counts;
    /// <summary>The most quantitative image available: SUV, else Bq/mL, else counts (see <see cref="Quantity"/>).</summary>
    public ImageVolume Values => Suv ?? Activity ?? Counts;
    public ImageGrid Grid => Counts.Grid;
    public string? FrameOfReferenceUid => Series.FrameOfReferenceUid;
}

/// <summary>
/// Loads reconstructed SPECT: NM RECON TOMO multi-frame objects (<see cref="NmImage"/>), or SPECT that a vendor stored
/// as single-frame NM or PET (PT with a single-photon radionuclide) slices, and quantifies it (docs/imaging.md, "SPECT"):
/// <list type="number">
/// <item>Counts → Bq/mL: vendor units first (Units (0054,1001) BQML, or a Real World Value Mapping (0040,9096) in
/// Bq/ml, kBq/ml or MBq/ml); else the site calibration matching camera, isotope and energy window:
/// Bq/mL = counts × 10⁶ / (S × t × V) for a sensitivity S in cps/MBq over time t (one projection frame or the whole
/// acquisition) and voxel volume V in mL, or counts × a direct Bq/mL-per-count factor.</item>
/// <item>Bq/mL → SUV through <see cref="SuvCalculator"/> with the same normalisations as PET, the isotope's ENSDF
/// half-life (<see cref="Radionuclides"/>), the injected dose and time, and the acquisition time: counts not corrected for
/// decay are the average over the acquisition, so the dose is decayed to the average count-rate time of the whole
/// acquisition (to its start when the duration is not in the header, with a warning); Corrected Image with DECY means
/// corrected to the acquisition start.</item>
/// </list>
/// Whatever cannot be done is refused with its reason in <see cref="SpectImage.ActivityRefusal"/> /
/// <see cref="SpectImage.SuvRefusal"/> and a warning; counts are always returned.
/// </summary>
public static class SpectSeries
{
    public static SpectImage Load(string path, SpectLoadOptions? options = null)
    {
        options ??= new SpectLoadOptions();
        var scan = DicomDirectory.Scan(path, options.Progress);
        var series = DicomSeriesReader.Assemble(Select(scan, options.SeriesInstanceUid));
        var skipped = scan.Skipped.Select(s => $"skipped file: {s}").ToList();
        var image = Quantify(series, options);
        return skipped.Count == 0 ? image : new SpectImage
        {
            Series = image.Series, Acquisition = image.Acquisition, Counts = image.Counts, Activity = image.Activity, Suv = image.Suv,
            ActivityMethod = image.ActivityMethod, ActivityPerCount = image.ActivityPerCount, ActivityOffset = image.ActivityOffset,
            Conversion = image.Conversion, ActivityRefusal = image.ActivityRefusal, SuvRefusal = image.SuvRefusal, Warnings = [.. image.Warnings, .. skipped],
        };
    }

    /// <summary>True when the folder holds a SPECT series (NM, or PT with a single-photon radionuclide).</summary>
    public static bool IsSpect(DicomSeriesFiles s) =>
        s.Modality == "NM" || s.SopClassUid == NmImage.NmImageStorage
        || (s.Modality == "PT" && SpectAcquisition.ReadNuclide(s.Files[0].Dataset).Nuclide is not null);

    /// <summary>
    /// The SPECT series of a folder: by SeriesInstanceUID when given; else the one emission reconstruction among the NM
    /// (whatever the Modality of an NM Image object) and single-photon PT series. Planar/dynamic NM objects alone give their
    /// "not a tomographic reconstruction" reason.
    /// </summary>
    public static DicomSeriesFiles Select(DicomDirectoryScan scan, string? seriesInstanceUid = null)
    {
        if (seriesInstanceUid is not null)
            return scan.Series.FirstOrDefault(s => s.SeriesInstanceUid == seriesInstanceUid)
                ?? throw new ImageFormatException(scan.Root, -1, $"no series {seriesInstanceUid} here; found {Listing(scan)}");
        var spect = scan.Series.Where(IsSpect).ToList();
        if (spect.Count == 0)
            throw new ImageFormatException(scan.Root, -1, $"no SPECT series (NM, or PT with a single-photon radionuclide) here; found {Listing(scan)}");
        // Reconstructed emission volumes only: not planar NM, not transmission (attenuation) maps.
        var volumes = spect.Where(s => NmImage.NotAVolume(s.Files[0].Dataset) is null || !NmImage.Applies(s.Files[0].Dataset))
            .Where(s => s.Files[0].Dataset.GetStrings(DicomTags.ImageType).ElementAtOrDefault(3)?.ToUpperInvariant() != "TRANSMISSION").ToList();
        if (volumes.Count == 1) return volumes[0];
        if (volumes.Count == 0)
        {
            var first = spect[0].Files[0];
            throw new ImageFormatException(first.Path, -1, NmImage.NotAVolume(first.Dataset) ?? "a transmission (attenuation) image, not an emission reconstruction");
        }
        throw new ImageFormatException(scan.Root, -1, $"{volumes.Count} SPECT reconstructions here, choose one by SeriesInstanceUID: {string.Join("; ", volumes)}");
    }

    private static string Listing(DicomDirectoryScan scan) =>
        (scan.Series.Count == 0 ? "no DICOM series" : string.Join("; ", scan.Series)) + (scan.Skipped.Count == 0 ? "" : $" ({scan.Skipped.Count} files skipped, first: {scan.Skipped[0]})");

    /// <summary>Quantifies an assembled SPECT series (see the class summary).</summary>
    public static SpectImage Quantify(DicomVolume series, SpectLoadOptions options)
    {
        var source = series.Slices[0].File.Path;
        var a = SpectAcquisition.FromDataset(source, series.Dataset);
        var warnings = new List<string>(series.Warnings);
        warnings.AddRange(a.Notes);
        var counts = new ImageVolume(series.Grid, series.Image.Voxels, a.Units ?? "counts");

        string? activityRefusal = null, suvRefusal = null, method = null;
        double? perCount = null;
        double offset = 0;
        SuvConversion? conversion = null;
        ImageVolume? activity = null, suv = null;

        if (series.Modality == "PT" && PetQuantified(a, series))
        {
            // SPECT stored as PET images with activity or SUV units: the PET rules apply as they stand.
            (conversion, suvRefusal) = PetRoute(series, a, options.Normalisation, warnings);
            if (a.Units?.ToUpperInvariant() == "BQML") { activity = new ImageVolume(series.Grid, series.Image.Voxels, "Bq/mL"); method = "Units BQML (vendor-quantified PET-format SPECT)"; perCount = 1; }
            else activityRefusal = $"Units {a.Units} are SUV already";
        }
        else
        {
            (perCount, offset, method, activityRefusal) = ActivityFactor(a, series, options.Calibration);
            if (perCount is { } f)
            {
                var v = series.Image.Voxels;
                var bq = new float[v.Length];
                for (var n = 0; n < v.Length; n++) bq[n] = (float)(v[n] * f + offset);
                activity = new ImageVolume(series.Grid, bq, "Bq/mL");
                (conversion, suvRefusal) = SuvRoute(a, series.Slices.Count, options.Normalisation, warnings);
            }
            else suvRefusal = $"no activity concentration: {activityRefusal}";
        }

        if (conversion is not null)
        {
            var g = series.Grid;
            var plane = g.SizeX * g.SizeY;
            var src = (activity ?? series.Image).Voxels;
            var values = new float[g.VoxelCount];
            for (var k = 0; k < g.SizeZ; k++)
            {
                var factor = conversion.FrameFactors[k];
                for (var n = k * plane; n < (k + 1) * plane; n++) values[n] = (float)(src[n] * factor);
            }
            suv = new ImageVolume(g, values, options.Normalisation.Symbol());
            warnings.AddRange(conversion.Warnings.Where(w => !warnings.Contains(w)));
        }
        if (suv is null)
            warnings.Add($"SUV refused — {suvRefusal}; {(activity is null ? "count-based values only (relative counts, not comparable across cameras or protocols)" : "activity concentration (Bq/mL) only")}");

        var image = new SpectImage
        {
            Series = series, Acquisition = a, Counts = counts, Activity = activity, Suv = suv, ActivityMethod = method,
            ActivityPerCount = perCount, ActivityOffset = offset, Conversion = conversion,
            ActivityRefusal = activityRefusal, SuvRefusal = suv is null ? suvRefusal : null, Warnings = warnings,
        };
        if (image.Quantity < options.Require)
            throw new SuvRefusedException(source, options.Require == SpectQuantity.Suv ? suvRefusal! : activityRefusal!);
        return image;
    }

    private static bool PetQuantified(SpectAcquisition a, DicomVolume series)
    {
        var units = a.Units?.ToUpperInvariant();
        return units is "BQML" or "GML" or "CM2ML"
            || (units == "CNTS" && series.Dataset.GetPrivate(0x7053, "Philips PET Private Group", 0x00) is not null);
    }

    private static (SuvConversion?, string?) PetRoute(DicomVolume series, SpectAcquisition a, SuvNormalisation normalisation, List<string> warnings)
    {
        var pet = PetAcquisition.FromDatasets(series.Slices[0].File.Path, series.Slices.Select(s => s.Dataset).ToList());
        if (pet.RadionuclideHalfLife is null && a.Nuclide is { } nuclide)
        {
            pet = pet with { RadionuclideHalfLife = nuclide.HalfLifeSeconds };
            warnings.Add($"Radionuclide Half Life (0018,1075) is missing; the ENSDF half-life of {nuclide} ({nuclide.HalfLifeText}) is used");
        }
        try { return (SuvCalculator.Compute(pet, normalisation), null); }
        catch (SuvRefusedException e) { return (null, e.Reason); }
    }

    /// <summary>Bq/mL per stored value (after rescale) and offset, with how it was found, or why not.</summary>
    private static (double? PerCount, double Offset, string? Method, string? Refusal) ActivityFactor(SpectAcquisition a, DicomVolume series, SpectCalibrationTable? table)
    {
        if (a.Units?.ToUpperInvariant() == "BQML") return (1, 0, "vendor-quantified: Units (0054,1001) BQML", null);
        var mapped = a.RealWorldValues.Where(m => UnitMultiplier(m.UnitCode) is not null).ToList();
        if (mapped.Count > 0)
        {
            var m = mapped[0];
            if (!double.IsFinite(m.Slope) || m.Slope == 0)
                return (null, 0, null, $"the Real World Value Mapping in {m.UnitCode} has no usable Real World Value Slope (0040,9225) (a LUT mapping is not read)");
            // The mapping applies to stored values; the volume holds stored × rescale slope + intercept.
            var rs = a.RescaleSlope ?? 1;
            var ri = a.RescaleIntercept ?? 0;
            var unit = UnitMultiplier(m.UnitCode)!.Value;
            return (m.Slope / rs * unit, (m.Intercept - ri * m.Slope / rs) * unit,
                $"vendor-quantified: Real World Value Mapping (0040,9096) '{m.Label}' in {m.UnitCode}, slope {m.Slope:G6}, intercept {m.Intercept:G6}", null);
        }
        if (table is null)
            return (null, 0, null, "no site calibration was given, and the header carries no vendor quantification (Units (0054,1001) BQML or a Real World Value Mapping (0040,9096) in Bq/ml)");
        if (a.Nuclide is null)
            return (null, 0, null, $"unknown isotope ({(a.NuclideAsNamed is null ? a.NuclideSource : $"{a.NuclideAsNamed}, from {a.NuclideSource}, has no half-life in FedRad")}), so no calibration can be matched");
        var matches = table.Matching(a);
        var image = $"camera {a.Camera}, {a.Nuclide}, energy window(s) {(a.EnergyWindows.Count == 0 ? "none in the header (Energy Window Information Sequence (0054,0012))" : string.Join(", ", a.EnergyWindows))}";
        if (matches.Count == 0)
            return (null, 0, null, $"no calibration in {table.File} for {image}; its entries: {string.Join("; ", table.Entries)}");
        if (matches.Count > 1)
            return (null, 0, null, $"{matches.Count} calibrations in {table.File} match {image}: {string.Join("; ", matches)} — make them specific (station_name, device_serial_number or energy window)");
        var c = matches[0];
        if (c.BqPerMlPerCount is { } direct) return (direct, 0, $"site calibration {c}", null);
        var voxelMl = series.Grid.VoxelVolume / 1000;
        double? seconds = c.Time == CalibrationTime.Projection ? a.ProjectionDurationMs / 1000 : a.AcquisitionDurationMs / 1000;
        if (seconds is not > 0)
            return (null, 0, null, c.Time == CalibrationTime.Projection
                ? $"the calibration ({c}) is per projection time, but Actual Frame Duration (0018,1242) of the Rotation Information Sequence (0054,0052) is missing"
                : $"the calibration ({c}) is per acquisition time, but the header does not give it (Number of Frames in Rotation (0054,0053) is {a.FramesInRotation?.ToString() ?? "missing"}, Actual Frame Duration (0018,1242) {a.ProjectionDurationMs?.ToString() ?? "missing"})");
        var factor = 1e6 / (c.CpsPerMBq!.Value * seconds.Value * voxelMl);
        return (factor, 0, $"site calibration {c}: {factor:G6} Bq/mL per count ({seconds:G6} s, voxel {voxelMl:G6} mL)", null);
    }

    /// <summary>Bq/mL per unit of a UCUM activity-concentration code, or null for any other unit.</summary>
    private static double? UnitMultiplier(string? ucum) => ucum?.Trim() switch
    {
        "Bq/ml" or "Bq/mL" => 1,
        "kBq/ml" or "kBq/mL" => 1e3,
        "MBq/ml" or "MBq/mL" => 1e6,
        _ => null,
    };

    /// <summary>SUV factors from activity concentration, or why not.</summary>
    private static (SuvConversion?, string?) SuvRoute(SpectAcquisition a, int planes, SuvNormalisation normalisation, List<string> warnings)
    {
        if (a.Nuclide is not { } nuclide)
            return (null, a.NuclideAsNamed is null
                ? $"unknown isotope: {a.NuclideSource}"
                : $"unknown isotope: {a.NuclideAsNamed} (from {a.NuclideSource}) has no half-life in FedRad, which knows {string.Join(", ", Radionuclides.All)}");
        if (a.AcquisitionStart is not { } start)
            return (null, "Acquisition Date (0008,0022) and Time (0008,0032) (or Acquisition DateTime (0008,002A)) are missing, so the decay since injection is unknown (Series Date/Time of a reconstruction is often the reconstruction's, not the scan's)");
        if (a.HeaderHalfLifeSeconds is { } header && Math.Abs(header / nuclide.HalfLifeSeconds - 1) > 0.01)
            warnings.Add($"Radionuclide Half Life (0018,1075) {header:G6} s differs from the ENSDF half-life of {nuclide} ({nuclide.HalfLifeSeconds:G6} s); the ENSDF value is used");

        // Decay: DECY means corrected to the acquisition start; otherwise the counts average the acquisition, whose
        // average count-rate time SuvCalculator's NONE rule gives from the duration.
        var decayCorrected = a.CorrectedImage?.Contains("DECY") == true;
        double durationMs;
        if (decayCorrected) durationMs = 0;
        else if (a.AcquisitionDurationMs is { } t) durationMs = t;
        else
        {
            durationMs = 1e-3;   // the acquisition start, for all purposes
            var twentyMinutes = 100 * (1 - Math.Exp(-Math.Log(2) / nuclide.HalfLifeSeconds * 600));
            warnings.Add($"the acquisition duration is not in the header (Number of Frames in Rotation (0054,0053) × Actual Frame Duration (0018,1242)): the dose is decayed to the acquisition start, which overestimates it by about {twentyMinutes:0.#} % for a 20-minute {nuclide} acquisition (SUV low by as much)");
        }
        var pet = new PetAcquisition
        {
            Source = a.Source,
            Units = "BQML",
            DecayCorrection = decayCorrected ? "START" : "NONE",
            CorrectedImage = a.CorrectedImage,
            PatientWeight = a.PatientWeight,
            PatientSize = a.PatientSize,
            PatientSex = a.PatientSex,
            RadionuclideTotalDose = a.RadionuclideTotalDose,
            RadionuclideHalfLife = nuclide.HalfLifeSeconds,
            RadiopharmaceuticalStartDateTime = a.InjectionDateTime,
            RadiopharmaceuticalStartTime = a.InjectionTime,
            SeriesDateTime = start,
            SeriesDate = start.Date,
            Frames = Enumerable.Repeat(new PetFrameTiming(start, null, decayCorrected ? null : durationMs), planes).ToList(),
        };
        try { return (SuvCalculator.Compute(pet, normalisation), null); }
        catch (SuvRefusedException e) { return (null, e.Reason); }
    }
}
