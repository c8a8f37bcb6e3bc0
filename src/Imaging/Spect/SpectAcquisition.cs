using FedRad.Dicom;

namespace FedRad.Imaging.Spect;

/// <summary>An energy window of the acquisition (Energy Window Information Sequence (0054,0012)); limits in keV.</summary>
public sealed record EnergyWindow(string? Name, double? LowerKeV, double? UpperKeV)
{
    public override string ToString() =>
        $"{(Name is null ? "unnamed" : $"'{Name}'")}{(LowerKeV is { } lo && UpperKeV is { } hi ? $" {lo:0.##}–{hi:0.##} keV" : "")}";
}

/// <summary>The gamma camera, as the header identifies it (what a site calibration is matched against).</summary>
public sealed record CameraIdentity(string? Manufacturer, string? ManufacturerModelName, string? StationName, string? DeviceSerialNumber)
{
    public override string ToString() =>
        $"manufacturer '{Manufacturer}', model '{ManufacturerModelName}', station '{StationName}', serial '{DeviceSerialNumber}'";
}

/// <summary>One item of the Real World Value Mapping Sequence (0040,9096): stored value × slope + intercept, in a unit.</summary>
public sealed record RealWorldValueMapping(string? UnitCode, string? UnitMeaning, string? Label, double Slope, double Intercept);

/// <summary>
/// What SPECT quantification needs from the header of a reconstructed SPECT object: camera, energy windows, radionuclide,
/// injection, acquisition timing, patient size, corrections and any vendor quantification. Values are as stored.
/// </summary>
public sealed record SpectAcquisition
{
    public required string Source { get; init; }
    public string? Modality { get; init; }
    public required CameraIdentity Camera { get; init; }
    public IReadOnlyList<EnergyWindow> EnergyWindows { get; init; } = [];
    /// <summary>The radionuclide when FedRad knows it (has its half-life).</summary>
    public Radionuclide? Nuclide { get; init; }
    /// <summary>What the header names (e.g. "Ga-67"), when a radionuclide is named at all.</summary>
    public string? NuclideAsNamed { get; init; }
    /// <summary>Where the radionuclide was read (or looked for), for messages.</summary>
    public required string NuclideSource { get; init; }
    public double? HeaderHalfLifeSeconds { get; init; }
    public double? RadionuclideTotalDose { get; init; }
    public DateTime? InjectionDateTime { get; init; }
    public TimeSpan? InjectionTime { get; init; }
    /// <summary>Acquisition start: Acquisition DateTime, else Acquisition Date + Time (not Series Date/Time, which is often the reconstruction's).</summary>
    public DateTime? AcquisitionStart { get; init; }
    /// <summary>Duration of one projection frame, ms (Actual Frame Duration (0018,1242) of the Rotation Information Sequence, else the top level).</summary>
    public double? ProjectionDurationMs { get; init; }
    /// <summary>Projection frames per rotation (0054,0053) and rotations (0054,0051); many reconstructions write 1 frame.</summary>
    public int? FramesInRotation { get; init; }
    public int Rotations { get; init; } = 1;
    public IReadOnlyList<string>? CorrectedImage { get; init; }
    public string? Units { get; init; }
    public IReadOnlyList<RealWorldValueMapping> RealWorldValues { get; init; } = [];
    public double? RescaleSlope { get; init; }
    public double? RescaleIntercept { get; init; }
    public double? PatientWeight { get; init; }
    public double? PatientSize { get; init; }
    public string? PatientSex { get; init; }
    public string? PatientId { get; init; }
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>Total acquisition time (frame duration × frames per rotation × rotations), when the header gives more than one frame per rotation.</summary>
    public double? AcquisitionDurationMs => ProjectionDurationMs is > 0 and var t && FramesInRotation is > 1 and var n ? t * n * Math.Max(1, Rotations) : null;

    /// <summary>
    /// The radionuclide: the CID 18 code, else the code meaning, else the radiopharmaceutical's name, else GE Genie's private
    /// name; with where it was read (or every place looked, when none names one).
    /// </summary>
    public static (Radionuclide? Nuclide, string? Named, string Where) ReadNuclide(DicomDataset ds)
    {
        var radio = ds.GetItem(DicomTags.RadiopharmaceuticalInformationSequence);
        var code = radio?.GetItem(DicomTags.RadionuclideCodeSequence);
        if (Radionuclides.FromCode(code?.GetString(DicomTags.CodeValue)) is { } coded)
            return (coded, coded.Symbol, $"Radionuclide Code Sequence (0054,0300) code {code!.GetString(DicomTags.CodeValue)}");
        (string Where, string? Text)[] candidates =
        [
            ("Radionuclide Code Sequence (0054,0300) Code Meaning", code?.GetString(DicomTags.CodeMeaning)),
            ("Radiopharmaceutical (0018,0031)", radio?.GetString(DicomTags.Radiopharmaceutical)),
            ("GE private radionuclide name (0011,xx0D GEMS_GENIE_1)", ds.GetPrivate(0x0011, "GEMS_GENIE_1", 0x0D)?.GetString()),
        ];
        foreach (var (where, text) in candidates)
            if (Radionuclides.Parse(text) is (var nuclide, { } named))
                return (nuclide, named, $"{where} '{text}'");
        return (null, null, $"no radionuclide named in {string.Join(", ", candidates.Select(c => c.Text is null ? c.Where : $"{c.Where} '{c.Text}'"))}");
    }

    public static SpectAcquisition FromDataset(string source, DicomDataset ds)
    {
        double? Number(DicomDataset? d, DicomTag tag)
        {
            try { return d?.GetDouble(tag); }
            catch (FormatException e) { throw new ImageFormatException(source, d!.Get(tag)?.Offset ?? -1, e.Message, e); }
        }
        var notes = new List<string>();
        var windows = ds.GetSequence(DicomTags.EnergyWindowInformationSequence).Select(w =>
        {
            var range = w.GetItem(DicomTags.EnergyWindowRangeSequence);
            return new EnergyWindow(w.GetString(DicomTags.EnergyWindowName), Number(range, DicomTags.EnergyWindowLowerLimit), Number(range, DicomTags.EnergyWindowUpperLimit));
        }).ToList();

        var (nuclide, named, where) = ReadNuclide(ds);
        var radio = ds.GetItem(DicomTags.RadiopharmaceuticalInformationSequence);

        var rotation = ds.GetItem(DicomTags.RotationInformationSequence);
        var pixelScale = ds.GetPrivate(0x0011, "GEMS_GENIE_1", 0x3B)?.GetNumbers();
        if (pixelScale is [var scale, ..] && Math.Abs(scale - 1) > 1e-9)
            notes.Add($"GE private Pixel Scale (0011,xx3B GEMS_GENIE_1) is {scale:G6}; FedRad reads the stored values as counts and does not apply it");
        var mappings = ds.GetSequence(DicomTags.RealWorldValueMappingSequence).Select(m =>
        {
            var unit = m.GetItem(DicomTags.MeasurementUnitsCodeSequence);
            return new RealWorldValueMapping(unit?.GetString(DicomTags.CodeValue), unit?.GetString(DicomTags.CodeMeaning), m.GetString(DicomTags.LUTLabel),
                Number(m, DicomTags.RealWorldValueSlope) ?? double.NaN, Number(m, DicomTags.RealWorldValueIntercept) ?? 0);
        }).ToList();
        int? Int(DicomDataset? d, DicomTag tag) => Number(d, tag) is { } v ? (int)Math.Round(v) : null;

        return new SpectAcquisition
        {
            Source = source,
            Modality = ds.GetString(DicomTags.Modality),
            Camera = new CameraIdentity(ds.GetString(DicomTags.Manufacturer), ds.GetString(DicomTags.ManufacturerModelName),
                ds.GetString(DicomTags.StationName), ds.GetString(DicomTags.DeviceSerialNumber)),
            EnergyWindows = windows,
            Nuclide = nuclide,
            NuclideAsNamed = named,
            NuclideSource = where,
            HeaderHalfLifeSeconds = Number(radio, DicomTags.RadionuclideHalfLife),
            RadionuclideTotalDose = Number(radio, DicomTags.RadionuclideTotalDose),
            InjectionDateTime = DicomDateTime.ParseDateTime(radio?.GetString(DicomTags.RadiopharmaceuticalStartDateTime)),
            InjectionTime = DicomDateTime.ParseTime(radio?.GetString(DicomTags.RadiopharmaceuticalStartTime)),
            AcquisitionStart = DicomDateTime.ParseDateTime(ds.GetString(DicomTags.AcquisitionDateTime))
                ?? DicomDateTime.Combine(ds.GetString(DicomTags.AcquisitionDate), ds.GetString(DicomTags.AcquisitionTime)),
            ProjectionDurationMs = Number(rotation, DicomTags.ActualFrameDuration) ?? Number(ds, DicomTags.ActualFrameDuration),
            FramesInRotation = Int(rotation, DicomTags.NumberOfFramesInRotation),
            Rotations = Int(ds, DicomTags.NumberOfRotations) ?? 1,
            CorrectedImage = ds.Contains(DicomTags.CorrectedImage) ? ds.GetStrings(DicomTags.CorrectedImage) : null,
            Units = ds.GetString(DicomTags.Units),
            RealWorldValues = mappings,
            RescaleSlope = Number(ds, DicomTags.RescaleSlope),
            RescaleIntercept = Number(ds, DicomTags.RescaleIntercept),
            PatientWeight = Number(ds, DicomTags.PatientWeight),
            PatientSize = Number(ds, DicomTags.PatientSize),
            PatientSex = ds.GetString(DicomTags.PatientSex),
            PatientId = ds.GetString(DicomTags.PatientID),
            Notes = notes,
        };
    }
}
