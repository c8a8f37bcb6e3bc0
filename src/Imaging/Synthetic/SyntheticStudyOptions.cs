namespace FedRad.Imaging.Synthetic;

/// <summary>A spherical region of a synthetic study, in patient coordinates (LPS, mm).</summary>
public sealed record SyntheticRegion(string Name, Vec3 Centre, double RadiusMm, double MeanSuv, double Heterogeneity, double Hu);

/// <summary>
/// What a synthetic PET/CT study looks like: patient, injection, the two grids, background uptake and the regions
/// (a lesion whose uptake heterogeneity is set by <see cref="SyntheticRegion.Heterogeneity"/>, the coefficient of
/// variation of a smooth random texture, and a homogeneous reference region).
/// </summary>
public sealed record SyntheticStudyOptions
{
    public string PatientId { get; init; } = "SYNTH-001";
    public string PatientName { get; init; } = "Synthetic^Patient";
    public string InstitutionName { get; init; } = "FedRad synthetic site";
    /// <summary>Makes UIDs, textures and noise reproducible.</summary>
    public int Seed { get; init; } = 1;
    public double WeightKg { get; init; } = 75;
    public double HeightM { get; init; } = 1.75;
    public string Sex { get; init; } = "M";
    public double InjectedDoseMBq { get; init; } = 350;
    public double HalfLifeS { get; init; } = 6586.2;   // fluorine-18
    public TimeSpan UptakeTime { get; init; } = TimeSpan.FromMinutes(60);
    public DateTime ScanStart { get; init; } = new(2025, 3, 14, 10, 30, 0);

    /// <summary>PET grid: axial, 4 mm voxels, 64 x 64 x 32 (256 x 256 x 128 mm) centred on the origin.</summary>
    public ImageGrid PetGrid { get; init; } = ImageGrid.Axial(64, 64, 32, 4, 4, 4, new Vec3(-126, -126, -62));
    /// <summary>CT grid: axial, 2 mm in-plane, 4 mm slices, same field of view.</summary>
    public ImageGrid CtGrid { get; init; } = ImageGrid.Axial(128, 128, 32, 2, 2, 4, new Vec3(-127, -127, -62));

    /// <summary>Body: an elliptic cylinder (semi-axes in x and y, mm) of soft tissue with this SUV.</summary>
    public double BodySemiAxisX { get; init; } = 110;
    public double BodySemiAxisY { get; init; } = 85;
    public double BackgroundSuv { get; init; } = 1.0;
    /// <summary>Relative Gaussian noise on PET voxels (0.05 = 5 %).</summary>
    public double PetNoise { get; init; } = 0.05;

    public SyntheticRegion Lesion { get; init; } = new("Lesion", new Vec3(30, -10, 4), 16, 8.0, 0.25, 45);
    public SyntheticRegion Reference { get; init; } = new("Liver", new Vec3(-50, 20, -10), 30, 2.0, 0.0, 60);

    /// <summary>Write a FRACTIONAL (8-bit occupancy) SEG instead of a BINARY one.</summary>
    public bool FractionalSeg { get; init; }
}
