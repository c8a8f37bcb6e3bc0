namespace FedRad.Radiomics.Processing;

/// <summary>
/// The ROI after IBSI image processing, on a box cut from the (resampled) image: the box holds the ROI's bounding
/// box plus a margin for the local-intensity sphere, so memory is proportional to the ROI, not to the image.
/// Index n = x + Nx*(y + Ny*z).
/// </summary>
internal sealed class PreparedRoi
{
    public required int Nx { get; init; }
    public required int Ny { get; init; }
    public required int Nz { get; init; }
    /// <summary>Voxel spacing (mm) along x, y, z.</summary>
    public required double Sx { get; init; }
    public required double Sy { get; init; }
    public required double Sz { get; init; }

    /// <summary>Image intensities over the whole box (NaN where the image had none).</summary>
    public required float[] Intensity { get; init; }
    /// <summary>Morphological mask (interpolated ROI, not re-segmented).</summary>
    public required bool[] Morph { get; init; }
    /// <summary>Intensity mask (morphological mask after re-segmentation).</summary>
    public required bool[] Mask { get; init; }
    /// <summary>Discretised grey level 1..Ng for intensity-mask voxels, 0 elsewhere.</summary>
    public required int[] Level { get; init; }
    /// <summary>Number of grey levels N_g.</summary>
    public required int Ng { get; init; }
    /// <summary>Intensity-volume histogram input: discretised intensities of the intensity-mask voxels and the range G.</summary>
    public required IvhInput Ivh { get; init; }

    /// <summary>Inclusive bounding box of the morphological mask within the box.</summary>
    public required int X0 { get; init; }
    public required int X1 { get; init; }
    public required int Y0 { get; init; }
    public required int Y1 { get; init; }
    public required int Z0 { get; init; }
    public required int Z1 { get; init; }

    public required int MorphCount { get; init; }
    public required int MaskCount { get; init; }
    public required List<string> Notes { get; init; }

    public int Index(int x, int y, int z) => x + Nx * (y + Ny * z);
    public double VoxelVolume => Sx * Sy * Sz;
}

/// <summary>IBSI IVH discretisation: voxel values X_d,gl, the total range G = [Min, Max] and the step w_d.</summary>
internal sealed record IvhInput(double[] Values, double Min, double Max, double Step);
