namespace FedRad.Imaging.Pet;

/// <summary>SUV cannot be computed from this series; the reason says which attribute is missing or unusable.</summary>
public sealed class SuvRefusedException(string source, string reason) : Exception($"{source}: SUV refused — {reason}")
{
    public string Series { get; } = source;
    public string Reason { get; } = reason;
}

/// <summary>
/// Per-plane factors that turn modality values (after rescale) into SUV: SUV = value × factor.
/// <see cref="UniformFactor"/> is set when every plane has the same factor (any decay correction but NONE).
/// </summary>
public sealed record SuvConversion(SuvNormalisation Normalisation, IReadOnlyList<double> FrameFactors, string Method, IReadOnlyList<string> Warnings)
{
    public double? UniformFactor =>
        FrameFactors.All(f => Math.Abs(f - FrameFactors[0]) <= 1e-12 * Math.Abs(FrameFactors[0])) ? FrameFactors[0] : null;
}

/// <summary>
/// SUV from the DICOM PET attributes following the QIBA vendor-neutral pseudo-code and the IBSI SUV reference objects.
/// <list type="bullet">
/// <item>Units BQML (and CNTS with the Philips activity factor) are decay corrected with the injected dose; GML is
/// SUVbw and CM2ML is SUVbsa already; CNTS with the Philips SUV factor is SUVbw after that factor. Anything else
/// (PROPCPS, NONE, ...) is refused.</item>
/// <item>Decay Correction START: the reference time is the Series Date/Time when it is not after the earliest
/// Acquisition Date/Time; otherwise the GE private scan date/time; otherwise it is back-computed per plane from
/// Acquisition Date/Time, Frame Reference Time and Actual Frame Duration; otherwise the earliest acquisition (with a
/// warning). ADMIN: no decay (values are corrected to the injection). NONE: each plane is decayed to its own average
/// count-rate time (acquisition start + the decay-weighted middle of the frame).</item>
/// <item>The injection is Radiopharmaceutical Start DateTime, else Start Time on the series date, moved back one day when
/// that would put it after the scan (injection before midnight). A dose below 10⁵ is taken as MBq, a weight above
/// 1000 as grams, a height above 3 as cm, each with a warning.</item>
/// <item>Missing weight (or height/sex where the normalisation needs them), dose, half-life or timing, a dynamic series
/// without frame timing, and images not corrected for attenuation (or decay, when the header says they are) are refused.</item>
/// </list>
/// </summary>
public static class SuvCalculator
{
    public static SuvConversion Compute(PetAcquisition a, SuvNormalisation normalisation)
    {
        var warnings = new List<string>(a.Notes);
        var units = a.Units?.ToUpperInvariant();
        if (units is null) Refuse(a, "Units (0054,1001) is missing");
        if (units is not ("BQML" or "CNTS" or "GML" or "CM2ML"))
            Refuse(a, $"Units '{a.Units}' cannot be converted to SUV (BQML, CNTS with Philips scale factors, GML and CM2ML can)");
        if (a.CorrectedImage is null)
            warnings.Add("Corrected Image (0028,0051) is missing: attenuation and decay correction could not be confirmed");
        else if (!a.CorrectedImage.Contains("ATTN"))
            Refuse(a, $"the image is not attenuation corrected (Corrected Image is {string.Join('\\', a.CorrectedImage)})");

        // Body size in kg / cm, with unit slips detected.
        var weight = a.PatientWeight is > 0 and var w ? w : (double?)null;
        if (weight > 1000) { warnings.Add($"Patient Weight {weight} is taken as grams ({weight / 1000} kg)"); weight /= 1000; }
        var height = a.PatientSize is > 0 and var h ? h : (double?)null;
        if (height > 3) { warnings.Add($"Patient Size {height} is taken as cm"); height /= 100; }
        var heightCm = height * 100;
        bool? male = a.PatientSex?.ToUpperInvariant() switch { "M" => true, "F" => false, _ => null };
        double Need(double? v, string what) => v ?? Refuse<double>(a, $"{what} is missing, which {normalisation.Symbol()} needs");
        bool NeedSex() => male ?? Refuse<bool>(a, $"Patient Sex is '{a.PatientSex ?? "missing"}', but {normalisation.Symbol()} needs M or F");

        // Normaliser: grams, or cm² for BSA.
        double NormaliserOf(SuvNormalisation kind) => kind switch
        {
            SuvNormalisation.BodyWeight => Need(weight, "Patient Weight (0010,1030)") * 1000,
            SuvNormalisation.LeanBodyMassJames => Positive(BodySize.LeanBodyMassJames(Need(weight, "Patient Weight (0010,1030)"), Need(heightCm, "Patient Size (0010,1020)"), NeedSex()), "James lean body mass") * 1000,
            SuvNormalisation.LeanBodyMassJanmahasatian => BodySize.LeanBodyMassJanmahasatian(Need(weight, "Patient Weight (0010,1030)"), Need(heightCm, "Patient Size (0010,1020)"), NeedSex()) * 1000,
            SuvNormalisation.BodySurfaceArea => BodySize.BodySurfaceAreaDuBois(Need(weight, "Patient Weight (0010,1030)"), Need(heightCm, "Patient Size (0010,1020)")) * 1e4,
            _ => Positive(BodySize.IdealBodyWeightDevine(Need(heightCm, "Patient Size (0010,1020)"), NeedSex()), "ideal body weight") * 1000,
        };
        double Positive(double v, string what) => v > 0 ? v : Refuse<double>(a, $"the {what} formula gives {v:0.##} kg for this patient");

        var n = a.Frames.Count;
        // Images already in SUV (GML, CM2ML; CNTS with the Philips SUV factor, which is SUVbw): convert between
        // normalisations by the ratio of normalisers. SUV Type (0054,1006) says which one GML/CM2ML holds.
        if (units is "GML" or "CM2ML" || (units == "CNTS" && a.PhilipsSuvScaleFactor is not null))
        {
            var stored = units == "CNTS" ? SuvNormalisation.BodyWeight : StoredType(a, units == "GML" ? SuvNormalisation.BodyWeight : SuvNormalisation.BodySurfaceArea);
            var perValue = units == "CNTS" ? a.PhilipsSuvScaleFactor!.Value : 1.0;
            var ratio = stored == normalisation ? 1.0 : NormaliserOf(normalisation) / NormaliserOf(stored);
            var method = units == "CNTS" ? $"Philips SUV scale factor {perValue} (7053,1000) gives SUVbw" : $"Units {units} are {stored.Symbol()} (SUV Type {a.SuvType ?? "not given"})";
            return new SuvConversion(normalisation, Enumerable.Repeat(perValue * ratio, n).ToArray(), method, warnings);
        }
        double Normaliser() => NormaliserOf(normalisation);
        var activityPerValue = 1.0;
        if (units == "CNTS")
        {
            activityPerValue = a.PhilipsActivityScaleFactor
                ?? Refuse<double>(a, "Units CNTS without the Philips SUV (7053,1000) or activity concentration (7053,1009) scale factor");
            warnings.Add($"CNTS converted to Bq/ml with the Philips activity concentration scale factor {activityPerValue}");
        }

        // BQML: decay-corrected dose.
        var dose = a.RadionuclideTotalDose is > 0 and var d ? d : Refuse<double>(a, "Radionuclide Total Dose (0018,1074) is missing");
        if (dose < 1e5) { warnings.Add($"Radionuclide Total Dose {dose} is taken as MBq"); dose *= 1e6; }
        var halfLife = a.RadionuclideHalfLife is > 0 and var hl ? hl : Refuse<double>(a, "Radionuclide Half Life (0018,1075) is missing");
        var lambda = Math.Log(2) / halfLife;
        var decay = a.DecayCorrection?.ToUpperInvariant() ?? Refuse<string>(a, "Decay Correction (0054,1102) is missing");
        if (decay is "START" or "ADMIN" && a.CorrectedImage is not null && !a.CorrectedImage.Contains("DECY"))
            Refuse(a, $"Decay Correction says {decay} but Corrected Image ({string.Join('\\', a.CorrectedImage)}) lacks DECY");
        var dynamic = a.SeriesType.Count > 0 && a.SeriesType[0].Equals("DYNAMIC", StringComparison.OrdinalIgnoreCase);
        if (dynamic && a.Frames.Any(f => f.FrameReferenceTimeMs is null || f.ActualFrameDurationMs is not > 0))
            Refuse(a, "a DYNAMIC series needs Frame Reference Time (0054,1300) and Actual Frame Duration (0018,1242) for every frame");

        if (dynamic)
            warnings.Add($"DYNAMIC series: the uptake is that of the frame(s) at {string.Join(", ", a.Frames.Select(f => $"{f.FrameReferenceTimeMs!.Value / 1000:0.#} s").Distinct())} after the series reference time; SUV depends on the frame chosen");
        var normaliser = Normaliser();
        var factors = new double[n];
        string methodText;
        switch (decay)
        {
            case "ADMIN":
                Array.Fill(factors, normaliser / dose * activityPerValue);
                methodText = "decay corrected to administration (ADMIN): undecayed dose";
                break;
            case "START":
            {
                var injection = Injection(a, ReferenceForInjection(a), warnings);
                var (times, how) = ScanStart(a, lambda, warnings);
                for (var k = 0; k < n; k++)
                {
                    var dt = (times[k] - injection).TotalSeconds;
                    CheckInterval(a, dt, halfLife);
                    factors[k] = normaliser / (dose * Math.Exp(-lambda * dt)) * activityPerValue;
                }
                methodText = $"decay corrected to scan start ({how}); injection {injection:yyyy-MM-dd HH:mm:ss}";
                break;
            }
            case "NONE":
            {
                var injection = Injection(a, ReferenceForInjection(a), warnings);
                for (var k = 0; k < n; k++)
                {
                    var f = a.Frames[k];
                    if (f.AcquisitionDateTime is null || f.ActualFrameDurationMs is not > 0)
                        Refuse(a, $"Decay Correction NONE needs Acquisition Date/Time and Actual Frame Duration for every plane (plane {k + 1} lacks them)");
                    var mid = f.AcquisitionDateTime!.Value.AddSeconds(AverageCountRateTime(lambda, f.ActualFrameDurationMs!.Value / 1000));
                    var dt = (mid - injection).TotalSeconds;
                    CheckInterval(a, dt, halfLife);
                    factors[k] = normaliser / (dose * Math.Exp(-lambda * dt)) * activityPerValue;
                }
                methodText = "not decay corrected (NONE): each plane decayed to its average count-rate time";
                break;
            }
            default:
                return Refuse<SuvConversion>(a, $"Decay Correction '{a.DecayCorrection}' is not START, ADMIN or NONE");
        }
        return new SuvConversion(normalisation, factors, methodText, warnings);
    }

    /// <summary>The normalisation an SUV image (GML, CM2ML) is stored in, from SUV Type (0054,1006).</summary>
    private static SuvNormalisation StoredType(PetAcquisition a, SuvNormalisation unitsDefault) => a.SuvType?.ToUpperInvariant() switch
    {
        null or "" => unitsDefault,
        "BW" => SuvNormalisation.BodyWeight,
        "LBM" or "LBMJAMES128" => SuvNormalisation.LeanBodyMassJames,
        "LBMJANMA" => SuvNormalisation.LeanBodyMassJanmahasatian,
        "BSA" => SuvNormalisation.BodySurfaceArea,
        "IBW" => SuvNormalisation.IdealBodyWeight,
        _ => Refuse<SuvNormalisation>(a, $"SUV Type '{a.SuvType}' of this {a.Units} image is not one FedRad converts (BW, LBM, LBMJAMES128, LBMJANMA, BSA, IBW)"),
    };

    /// <summary>Seconds from frame start to the time of the frame's average count rate, for decay constant λ and duration T.</summary>
    public static double AverageCountRateTime(double lambda, double durationS)
    {
        var x = lambda * durationS;
        return x < 1e-9 ? durationS / 2 : Math.Log(x / (1 - Math.Exp(-x))) / lambda;
    }

    /// <summary>The QIBA scan reference time, per plane.</summary>
    private static (DateTime[] Times, string How) ScanStart(PetAcquisition a, double lambda, List<string> warnings)
    {
        var n = a.Frames.Count;
        var acquisitions = a.Frames.Where(f => f.AcquisitionDateTime is not null).Select(f => f.AcquisitionDateTime!.Value).ToList();
        DateTime? earliest = acquisitions.Count > 0 ? acquisitions.Min() : null;
        if (a.SeriesDateTime is { } series && (earliest is null || series <= earliest))
            return (Enumerable.Repeat(series, n).ToArray(), $"Series Date/Time {series:yyyy-MM-dd HH:mm:ss}");
        if (a.GeScanDateTime is { } ge)
            return (Enumerable.Repeat(ge, n).ToArray(), $"GE private scan Date/Time {ge:yyyy-MM-dd HH:mm:ss} (Series Time is after the acquisition)");
        if (a.Frames.All(f => f.AcquisitionDateTime is not null && f.FrameReferenceTimeMs > 0 && f.ActualFrameDurationMs > 0))
        {
            var times = a.Frames.Select(f => f.AcquisitionDateTime!.Value.AddSeconds(
                AverageCountRateTime(lambda, f.ActualFrameDurationMs!.Value / 1000) - f.FrameReferenceTimeMs!.Value / 1000)).ToArray();
            return (times, $"back-computed from Acquisition Time and Frame Reference Time, {times.Min():yyyy-MM-dd HH:mm:ss.fff}");
        }
        if (earliest is { } e)
        {
            warnings.Add(a.SeriesDateTime is null
                ? "no Series Date/Time: the earliest Acquisition Date/Time is used as scan start"
                : "Series Time is after the acquisition and there is neither a GE private scan time nor frame timing: the earliest Acquisition Date/Time is used as scan start");
            return (Enumerable.Repeat(e, n).ToArray(), $"earliest Acquisition Date/Time {e:yyyy-MM-dd HH:mm:ss}");
        }
        return Refuse<(DateTime[], string)>(a, "neither Series Date/Time nor Acquisition Date/Time is present, so the decay from injection is unknown");
    }

    private static DateTime? ReferenceForInjection(PetAcquisition a) =>
        a.SeriesDateTime ?? a.Frames.Where(f => f.AcquisitionDateTime is not null).Select(f => f.AcquisitionDateTime).Min();

    private static DateTime Injection(PetAcquisition a, DateTime? scan, List<string> warnings)
    {
        if (a.RadiopharmaceuticalStartDateTime is { } dt) return dt;
        if (a.RadiopharmaceuticalStartTime is not { } time)
            return Refuse<DateTime>(a, "neither Radiopharmaceutical Start DateTime (0018,1078) nor Start Time (0018,1072) is present");
        var date = a.SeriesDate ?? Refuse<DateTime>(a, "Radiopharmaceutical Start Time has no date to go with it (no Series/Acquisition/Study Date)");
        var injection = date.Date + time;
        if (scan is { } s && injection > s)
        {
            injection = injection.AddDays(-1);
            warnings.Add($"injection at {time:hh\\:mm\\:ss} is after the scan on the same date: taken as the day before (injection before midnight)");
        }
        return injection;
    }

    private static void CheckInterval(PetAcquisition a, double seconds, double halfLife)
    {
        if (seconds < -1) Refuse(a, $"the scan reference time is {-seconds:0} s before the injection");
        if (seconds > 10 * halfLife)
            Refuse(a, $"the scan is {seconds / 3600:0.#} h after the injection, more than 10 half-lives: the injection date/time is implausible");
    }

    private static void Refuse(PetAcquisition a, string reason) => throw new SuvRefusedException(a.Source, reason);
    private static T Refuse<T>(PetAcquisition a, string reason) => throw new SuvRefusedException(a.Source, reason);
}
