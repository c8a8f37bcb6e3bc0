namespace FedRad.Imaging;

/// <summary>
/// A scalar 3D image (CT in HU, PET in Bq/mL or SUV, ...) on an <see cref="ImageGrid"/>.
/// Voxels are stored as float in grid index order; <see cref="Unit"/> says what they measure.
/// </summary>
public sealed class ImageVolume
{
    public ImageGrid Grid { get; }
    public float[] Voxels { get; }
    public string Unit { get; }

    public ImageVolume(ImageGrid grid, float[] voxels, string unit = "")
    {
        if (voxels.LongLength != grid.VoxelCount)
            throw new ArgumentException($"voxel array has {voxels.LongLength} values but the grid has {grid.VoxelCount}", nameof(voxels));
        Grid = grid;
        Voxels = voxels;
        Unit = unit;
    }

    public float this[int i, int j, int k] => Voxels[Grid.Index(i, j, k)];
}

/// <summary>A binary region of interest on an <see cref="ImageGrid"/> (true = inside).</summary>
public sealed class MaskVolume
{
    public ImageGrid Grid { get; }
    public bool[] Voxels { get; }
    public string Name { get; }

    public MaskVolume(ImageGrid grid, bool[] voxels, string name = "")
    {
        if (voxels.LongLength != grid.VoxelCount)
            throw new ArgumentException($"mask array has {voxels.LongLength} values but the grid has {grid.VoxelCount}", nameof(voxels));
        Grid = grid;
        Voxels = voxels;
        Name = name;
    }

    public int Count() { var n = 0; foreach (var v in Voxels) if (v) n++; return n; }
}
