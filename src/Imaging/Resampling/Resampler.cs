namespace FedRad.Imaging.Resampling;

/// <summary>
/// Resamples images and masks onto a target <see cref="ImageGrid"/> (any orientation): each target voxel centre is
/// mapped to patient coordinates and back into the source's continuous voxel index, where the chosen kernel is
/// evaluated. Used for IBSI isotropic resampling and for bringing PET and CT onto one grid.
/// </summary>
public static class Resampler
{
    /// <summary>
    /// The IBSI centre-aligned grid for new voxel spacings (mm; null keeps an axis as it is): each axis gets
    /// n_b = ceil(n_a s_a / s_b) voxels and the grid keeps its centre, so the new origin moves by
    /// (s_a (n_a − 1) − s_b (n_b − 1)) / 2 along that axis (IBSI 1, "Interpolation grid alignment").
    /// </summary>
    public static ImageGrid CentreAlignedGrid(ImageGrid source, double? spacingX, double? spacingY, double? spacingZ)
    {
        (int n, double s, double shift) Axis(int na, double sa, double? sb, string name)
        {
            if (sb is null) return (na, sa, 0);
            if (!(sb > 0) || double.IsInfinity(sb.Value))
                throw new ArgumentOutOfRangeException(name, sb, "resampled spacing must be a positive number of millimetres");
            var nb = (int)Math.Ceiling(na * sa / sb.Value - 1e-9);
            return (Math.Max(nb, 1), sb.Value, (sa * (na - 1) - sb.Value * (Math.Max(nb, 1) - 1)) / 2);
        }
        var x = Axis(source.SizeX, source.SpacingX, spacingX, nameof(spacingX));
        var y = Axis(source.SizeY, source.SpacingY, spacingY, nameof(spacingY));
        var z = Axis(source.SizeZ, source.SpacingZ, spacingZ, nameof(spacingZ));
        var origin = source.Origin + source.AxisI * x.shift + source.AxisJ * y.shift + source.AxisK * z.shift;
        return source with { SizeX = x.n, SizeY = y.n, SizeZ = z.n, SpacingX = x.s, SpacingY = y.s, SpacingZ = z.s, Origin = origin };
    }

    /// <summary>The block of <paramref name="grid"/> starting at voxel (i0, j0, k0) with the given size, on the same lattice.</summary>
    public static ImageGrid SubGrid(ImageGrid grid, int i0, int j0, int k0, int sizeX, int sizeY, int sizeZ) =>
        grid with { SizeX = sizeX, SizeY = sizeY, SizeZ = sizeZ, Origin = grid.ToPatient(i0, j0, k0) };

    /// <summary>
    /// Resamples <paramref name="source"/> onto <paramref name="target"/>. Target voxels whose centres fall outside
    /// the source image's extent get <paramref name="outsideValue"/> (NaN by default, so they cannot pass silently as data).
    /// </summary>
    public static ImageVolume Resample(ImageVolume source, ImageGrid target, InterpolationMethod method, float outsideValue = float.NaN)
    {
        var interp = VolumeInterpolator.Create(method, source.Voxels, source.Grid.SizeX, source.Grid.SizeY, source.Grid.SizeZ);
        var output = new float[target.VoxelCount];
        Map(source.Grid, target, (n, i, j, k) =>
        {
            var v = interp.Sample(i, j, k);
            output[n] = double.IsNaN(v) ? outsideValue : (float)v;
        });
        return new ImageVolume(target, output, source.Unit);
    }

    /// <summary>
    /// Partial-volume fraction of the ROI at each target voxel: the 0/1 mask interpolated with <paramref name="method"/>
    /// (0 outside the mask's grid). Cubic splines can overshoot [0, 1]; thresholding handles that.
    /// </summary>
    public static float[] ResampleFractions(MaskVolume mask, ImageGrid target, InterpolationMethod method)
    {
        var values = new float[mask.Voxels.Length];
        for (var n = 0; n < values.Length; n++) values[n] = mask.Voxels[n] ? 1f : 0f;
        var interp = VolumeInterpolator.Create(method, values, mask.Grid.SizeX, mask.Grid.SizeY, mask.Grid.SizeZ);
        var output = new float[target.VoxelCount];
        Map(mask.Grid, target, (n, i, j, k) =>
        {
            var v = interp.Sample(i, j, k);
            output[n] = double.IsNaN(v) ? 0f : (float)v;
        });
        return output;
    }

    /// <summary>
    /// Resamples a mask: interpolated partial-volume fraction ≥ <paramref name="partialVolumeThreshold"/> is inside
    /// (IBSI's ROI interpolation with partial volume threshold, default 0.5).
    /// </summary>
    public static MaskVolume ResampleMask(MaskVolume mask, ImageGrid target, InterpolationMethod method, double partialVolumeThreshold = 0.5)
    {
        if (!(partialVolumeThreshold > 0 && partialVolumeThreshold <= 1))
            throw new ArgumentOutOfRangeException(nameof(partialVolumeThreshold), partialVolumeThreshold, "partial volume threshold must be in (0, 1]");
        var fractions = ResampleFractions(mask, target, method);
        var inside = new bool[fractions.Length];
        // float32 fractions: compare with a hair of tolerance so that an exact 0.5 from linear weights is not lost to rounding.
        var threshold = partialVolumeThreshold - 1e-6;
        for (var n = 0; n < inside.Length; n++) inside[n] = fractions[n] >= threshold;
        return new MaskVolume(target, inside, mask.Name);
    }

    // Visits every target voxel with its continuous index in the source grid. The map is affine, so it is
    // evaluated incrementally along rows instead of through patient coordinates for each voxel.
    private static void Map(ImageGrid source, ImageGrid target, Action<int, double, double, double> visit)
    {
        var o = source.ToIndex(target.ToPatient(0, 0, 0));
        var di = source.ToIndex(target.ToPatient(1, 0, 0)) - o;
        var dj = source.ToIndex(target.ToPatient(0, 1, 0)) - o;
        var dk = source.ToIndex(target.ToPatient(0, 0, 1)) - o;
        var n = 0;
        for (var k = 0; k < target.SizeZ; k++)
            for (var j = 0; j < target.SizeY; j++)
            {
                var row = o + dj * j + dk * k;
                for (var i = 0; i < target.SizeX; i++, n++)
                {
                    var p = row + di * i;
                    visit(n, p.X, p.Y, p.Z);
                }
            }
    }
}
