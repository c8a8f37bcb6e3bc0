namespace FedRad.Imaging;

/// <summary>
/// A regular 3D voxel grid in patient coordinates (DICOM LPS, millimetres).
/// Voxel (i, j, k) has its centre at Origin + i*SpacingX*AxisI + j*SpacingY*AxisJ + k*SpacingZ*AxisK,
/// where i runs along columns, j along rows and k along slices.
/// Linear index = i + SizeX * (j + SizeY * k).
/// </summary>
public sealed record ImageGrid(
    int SizeX, int SizeY, int SizeZ,
    double SpacingX, double SpacingY, double SpacingZ,
    Vec3 Origin,
    Vec3 AxisI, Vec3 AxisJ, Vec3 AxisK)
{
    public long VoxelCount => (long)SizeX * SizeY * SizeZ;

    /// <summary>Volume of one voxel in mm³.</summary>
    public double VoxelVolume => SpacingX * SpacingY * SpacingZ;

    public int Index(int i, int j, int k) => i + SizeX * (j + SizeY * k);

    /// <summary>Centre of voxel (i, j, k) in patient coordinates (LPS, mm). Fractional indices are allowed.</summary>
    public Vec3 ToPatient(double i, double j, double k) =>
        Origin + AxisI * (i * SpacingX) + AxisJ * (j * SpacingY) + AxisK * (k * SpacingZ);

    /// <summary>Continuous voxel index of a patient-coordinate point (inverse of <see cref="ToPatient"/>; axes are orthonormal).</summary>
    public Vec3 ToIndex(Vec3 p)
    {
        var d = p - Origin;
        return new Vec3(d.Dot(AxisI) / SpacingX, d.Dot(AxisJ) / SpacingY, d.Dot(AxisK) / SpacingZ);
    }

    /// <summary>An axis-aligned grid (identity direction), as used by NIfTI phantoms and synthetic data.</summary>
    public static ImageGrid Axial(int sizeX, int sizeY, int sizeZ, double spacingX, double spacingY, double spacingZ, Vec3? origin = null) =>
        new(sizeX, sizeY, sizeZ, spacingX, spacingY, spacingZ, origin ?? Vec3.Zero, Vec3.UnitX, Vec3.UnitY, Vec3.UnitZ);

    /// <summary>True when both grids place every voxel at the same patient position (within tolerance, mm).</summary>
    public bool SameGeometry(ImageGrid other, double toleranceMm = 1e-3) =>
        SizeX == other.SizeX && SizeY == other.SizeY && SizeZ == other.SizeZ &&
        Math.Abs(SpacingX - other.SpacingX) <= toleranceMm &&
        Math.Abs(SpacingY - other.SpacingY) <= toleranceMm &&
        Math.Abs(SpacingZ - other.SpacingZ) <= toleranceMm &&
        (Origin - other.Origin).Length <= toleranceMm &&
        (AxisI - other.AxisI).Length <= 1e-6 && (AxisJ - other.AxisJ).Length <= 1e-6 && (AxisK - other.AxisK).Length <= 1e-6;
}

/// <summary>A 3-vector of doubles (patient coordinates or directions).</summary>
public readonly record struct Vec3(double X, double Y, double Z)
{
    public static readonly Vec3 Zero = new(0, 0, 0);
    public static readonly Vec3 UnitX = new(1, 0, 0);
    public static readonly Vec3 UnitY = new(0, 1, 0);
    public static readonly Vec3 UnitZ = new(0, 0, 1);

    public static Vec3 operator +(Vec3 a, Vec3 b) => new(a.X + b.X, a.Y + b.Y, a.Z + b.Z);
    public static Vec3 operator -(Vec3 a, Vec3 b) => new(a.X - b.X, a.Y - b.Y, a.Z - b.Z);
    public static Vec3 operator *(Vec3 a, double s) => new(a.X * s, a.Y * s, a.Z * s);
    public double Dot(Vec3 b) => X * b.X + Y * b.Y + Z * b.Z;
    public Vec3 Cross(Vec3 b) => new(Y * b.Z - Z * b.Y, Z * b.X - X * b.Z, X * b.Y - Y * b.X);
    public double Length => Math.Sqrt(Dot(this));
    public Vec3 Normalized() { var l = Length; return new(X / l, Y / l, Z / l); }
}
