using FedRad.Dicom;

namespace FedRad.Imaging.Pet;

/// <summary>Timing of one PET image plane.</summary>
public sealed record PetFrameTiming(DateTime? AcquisitionDateTime, double? FrameReferenceTimeMs, double? ActualFrameDurationMs);

/// <summary>
/// The attributes SUV needs, read from a PET series (PET Series, PET Isotope, Patient Study modules, plus the GE and
/// Philips private elements vendors use). Values are as stored; units are checked by <see cref="SuvCalculator"/>.
/// </summary>
public sealed record PetAcquisition
{
    public required string Source { get; init; }
    public string? Units { get; init; }
    /// <summary>SUV Type (0054,1006) of GML/CM2ML images: BW, LBM, LBMJAMES128, LBMJANMA, BSA, IBW.</summary>
    public string? SuvType { get; init; }
    public string? DecayCorrection { get; init; }
    public IReadOnlyList<string>? CorrectedImage { get; init; }
    public IReadOnlyList<string> SeriesType { get; init; } = [];
    public double? PatientWeight { get; init; }
    public double? PatientSize { get; init; }
    public string? PatientSex { get; init; }
    public double? RadionuclideTotalDose { get; init; }
    public double? RadionuclideHalfLife { get; init; }
    public DateTime? RadiopharmaceuticalStartDateTime { get; init; }
    public TimeSpan? RadiopharmaceuticalStartTime { get; init; }
    public DateTime? SeriesDateTime { get; init; }
    public DateTime? SeriesDate { get; init; }
    /// <summary>GE private scan start (0009,xx0D) of GEMS_PETD_01.</summary>
    public DateTime? GeScanDateTime { get; init; }
    /// <summary>Philips private (7053,xx00): SUVbw per stored CNTS value.</summary>
    public double? PhilipsSuvScaleFactor { get; init; }
    /// <summary>Philips private (7053,xx09): Bq/ml per stored CNTS value.</summary>
    public double? PhilipsActivityScaleFactor { get; init; }
    /// <summary>One entry per image plane, in the order SUV factors are wanted.</summary>
    public required IReadOnlyList<PetFrameTiming> Frames { get; init; }
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>Reads the attributes from the data sets of the planes (a classic series: one data set per slice).</summary>
    public static PetAcquisition FromDatasets(string source, IReadOnlyList<DicomDataset> planes)
    {
        if (planes.Count == 0) throw new ArgumentException("no PET planes", nameof(planes));
        var ds = planes[0];
        var notes = new List<string>();
        var radio = ds.GetItem(DicomTags.RadiopharmaceuticalInformationSequence);
        double? Number(DicomDataset? d, DicomTag tag)
        {
            try { return d?.GetDouble(tag); }
            catch (FormatException e) { throw new ImageFormatException(source, d!.Get(tag)?.Offset ?? -1, e.Message, e); }
        }
        var frames = planes.Select(p => new PetFrameTiming(
            DicomDateTime.ParseDateTime(p.GetString(DicomTags.AcquisitionDateTime))
                ?? DicomDateTime.Combine(p.GetString(DicomTags.AcquisitionDate) ?? p.GetString(DicomTags.SeriesDate), p.GetString(DicomTags.AcquisitionTime)),
            Number(p, DicomTags.FrameReferenceTime), Number(p, DicomTags.ActualFrameDuration))).ToList();

        var philipsSuv = Private(ds, 0x7053, "Philips PET Private Group", 0x00, notes);
        var philipsActivity = Private(ds, 0x7053, "Philips PET Private Group", 0x09, notes);
        var ge = ds.GetPrivate(0x0009, "GEMS_PETD_01", 0x0D)?.GetString();
        return new PetAcquisition
        {
            Source = source,
            Units = ds.GetString(DicomTags.Units),
            SuvType = ds.GetString(DicomTags.SUVType),
            DecayCorrection = ds.GetString(DicomTags.DecayCorrection),
            CorrectedImage = ds.Contains(DicomTags.CorrectedImage) ? ds.GetStrings(DicomTags.CorrectedImage) : null,
            SeriesType = ds.GetStrings(DicomTags.SeriesType),
            PatientWeight = Number(ds, DicomTags.PatientWeight),
            PatientSize = Number(ds, DicomTags.PatientSize),
            PatientSex = ds.GetString(DicomTags.PatientSex),
            RadionuclideTotalDose = Number(radio, DicomTags.RadionuclideTotalDose),
            RadionuclideHalfLife = Number(radio, DicomTags.RadionuclideHalfLife),
            RadiopharmaceuticalStartDateTime = DicomDateTime.ParseDateTime(radio?.GetString(DicomTags.RadiopharmaceuticalStartDateTime)),
            RadiopharmaceuticalStartTime = DicomDateTime.ParseTime(radio?.GetString(DicomTags.RadiopharmaceuticalStartTime)),
            SeriesDateTime = DicomDateTime.Combine(ds.GetString(DicomTags.SeriesDate), ds.GetString(DicomTags.SeriesTime)),
            SeriesDate = DicomDateTime.ParseDate(ds.GetString(DicomTags.SeriesDate) ?? ds.GetString(DicomTags.AcquisitionDate) ?? ds.GetString(DicomTags.StudyDate)),
            GeScanDateTime = DicomDateTime.ParseDateTime(ge),
            PhilipsSuvScaleFactor = philipsSuv,
            PhilipsActivityScaleFactor = philipsActivity,
            Frames = frames,
            Notes = notes,
        };
    }

    /// <summary>A private DS by creator; some exports drop the creator element, so the block-0x10 tag is accepted with a note.</summary>
    private static double? Private(DicomDataset ds, ushort group, string creator, byte offset, List<string> notes)
    {
        var e = ds.GetPrivate(group, creator, offset);
        if (e is null)
        {
            var bare = ds.Get(new DicomTag(group, (ushort)(0x1000 | offset)));
            if (bare is null || ds.PrivateCreatorOf(bare.Tag) is not null) return null;
            notes.Add($"private element {bare.Tag} has no private creator; taken as '{creator}'");
            e = bare;
        }
        var values = e.GetNumbers();
        return values.Length > 0 && values[0] != 0 ? values[0] : null;
    }
}
