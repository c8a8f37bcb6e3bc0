using FedRad.Imaging.Spect;

namespace FedRad.Imaging.Synthetic;

/// <summary>How the synthetic SPECT object carries its quantification.</summary>
public enum SyntheticSpectUnits
{
    /// <summary>Reconstructed counts (the usual case): quantified with the site calibration the writer also writes.</summary>
    Counts,
    /// <summary>Counts with a Real World Value Mapping (0040,9096) to Bq/ml, as vendor-quantified SPECT carries.</summary>
    RealWorldBqPerMl,
}

/// <summary>
/// What a synthetic SPECT/CT study looks like: patient, radiopharmaceutical, the SPECT camera and its calibration, the
/// acquisition, the two grids, background uptake and the regions (in SUV, like <see cref="SyntheticStudyOptions"/>).
/// Defaults: a 99mTc bone-scan-like SPECT/CT, 3 h after 740 MBq, dual-head camera, 60 views of 25 s.
/// </summary>
public sealed record SyntheticSpectStudyOptions
{
    public string PatientId { get; init; } = "SYNTH-NM-001";
    public string PatientName { get; init; } = "Synthetic^Spect";
    public string InstitutionName { get; init; } = "FedRad synthetic site";
    /// <summary>Makes UIDs, textures and noise reproducible; two timepoints of a patient need different seeds (or <see cref="Timepoint"/>s).</summary>
    public int Seed { get; init; } = 1;
    /// <summary>Goes into the UIDs, so timepoints of one patient and seed are distinct studies.</summary>
    public string Timepoint { get; init; } = "t0";
    public double WeightKg { get; init; } = 75;
    public double HeightM { get; init; } = 1.75;
    public string Sex { get; init; } = "F";

    public Radionuclide Nuclide { get; init; } = Radionuclides.Tc99m;
    public string Radiopharmaceutical { get; init; } = "Tc99m MDP";
    public double InjectedDoseMBq { get; init; } = 740;
    public TimeSpan UptakeTime { get; init; } = TimeSpan.FromHours(3);
    public DateTime ScanStart { get; init; } = new(2025, 3, 14, 11, 30, 0);
    /// <summary>Write Radiopharmaceutical Start DateTime and Radionuclide Total Dose (without them SUV is refused).</summary>
    public bool WriteInjection { get; init; } = true;

    // The camera, as the header identifies it, and its calibration (written to site-calibration.yaml).
    public string Manufacturer { get; init; } = "FedRad";
    public string ManufacturerModelName { get; init; } = "Synthetic SPECT/CT";
    public string StationName { get; init; } = "NM-SYNTH-1";
    public string DeviceSerialNumber { get; init; } = "0001";
    public string EnergyWindowName { get; init; } = "TC99M_EM";
    public double EnergyWindowLowerKeV { get; init; } = 126.45;
    public double EnergyWindowUpperKeV { get; init; } = 154.55;
    /// <summary>Volume sensitivity of the synthetic camera: reconstructed counts per second of the whole acquisition per MBq.</summary>
    public double CpsPerMBq { get; init; } = 90;

    // The acquisition: step-and-shoot views of one rotation.
    public int ViewsPerRotation { get; init; } = 60;
    public TimeSpan ViewDuration { get; init; } = TimeSpan.FromSeconds(25);
    public SyntheticSpectUnits Units { get; init; } = SyntheticSpectUnits.Counts;
    /// <summary>Write a negative Spacing Between Slices with Image Position at the top slice (as GE Xeleris does) instead of a positive one from the bottom.</summary>
    public bool StackDownwards { get; init; }

    /// <summary>SPECT grid: axial, 4.8 mm voxels, 64 × 64 × 48 (307 × 307 × 230 mm).</summary>
    public ImageGrid SpectGrid { get; init; } = ImageGrid.Axial(64, 64, 48, 4.8, 4.8, 4.8, new Vec3(-151.2, -151.2, -112.8));
    /// <summary>CT grid: axial, 2.4 mm in-plane, 4.8 mm slices, same field of view.</summary>
    public ImageGrid CtGrid { get; init; } = ImageGrid.Axial(128, 128, 48, 2.4, 2.4, 4.8, new Vec3(-152.4, -152.4, -112.8));

    public double BodySemiAxisX { get; init; } = 110;
    public double BodySemiAxisY { get; init; } = 85;
    public double BackgroundSuv { get; init; } = 1.0;
    /// <summary>Relative Gaussian noise on SPECT voxels (0.05 = 5 %).</summary>
    public double Noise { get; init; } = 0.05;

    /// <summary>A focal lesion (e.g. a bone metastasis) and a reference organ (e.g. a salivary gland).</summary>
    public SyntheticRegion Lesion { get; init; } = new("Lesion", new Vec3(30, -10, 4), 16, 8.0, 0.25, 300);
    public SyntheticRegion Reference { get; init; } = new("Gland", new Vec3(-50, 20, -10), 20, 3.0, 0.0, 50);

    public bool FractionalSeg { get; init; }
}
