namespace FedRad.Imaging.Nifti;

/// <summary>
/// The NIfTI-1 header fields FedRad uses (https://nifti.nimh.nih.gov/nifti-1, nifti1.h). Orientation follows the
/// standard's RAS+ world space; <see cref="NiftiReader"/> converts to DICOM LPS.
/// </summary>
public sealed record NiftiHeader
{
    public required short[] Dim { get; init; }            // dim[0] = number of dimensions, dim[1..7] sizes
    public required short DataType { get; init; }         // NIFTI_TYPE_* code
    public required short BitPix { get; init; }
    public required float[] PixDim { get; init; }         // pixdim[0] = qfac, pixdim[1..3] voxel size
    public required float VoxOffset { get; init; }
    public required float SclSlope { get; init; }
    public required float SclInter { get; init; }
    public required byte XyztUnits { get; init; }
    public required short QformCode { get; init; }
    public required short SformCode { get; init; }
    public required float QuaternB { get; init; }
    public required float QuaternC { get; init; }
    public required float QuaternD { get; init; }
    public required float QoffsetX { get; init; }
    public required float QoffsetY { get; init; }
    public required float QoffsetZ { get; init; }
    public required float[] SrowX { get; init; }
    public required float[] SrowY { get; init; }
    public required float[] SrowZ { get; init; }
    public required string Description { get; init; }
    public required bool BigEndian { get; init; }

    public const int HeaderSize = 348;

    // NIFTI_TYPE_* codes (nifti1.h).
    public const short TypeUInt8 = 2, TypeInt16 = 4, TypeInt32 = 8, TypeFloat32 = 16, TypeFloat64 = 64,
        TypeInt8 = 256, TypeUInt16 = 512, TypeUInt32 = 768, TypeInt64 = 1024, TypeUInt64 = 1280;

    public static int BytesPerVoxel(short dataType) => dataType switch
    {
        TypeUInt8 or TypeInt8 => 1,
        TypeInt16 or TypeUInt16 => 2,
        TypeInt32 or TypeUInt32 or TypeFloat32 => 4,
        TypeFloat64 or TypeInt64 or TypeUInt64 => 8,
        _ => 0,
    };

    /// <summary>Millimetres per spatial unit from xyzt_units (unknown is taken as mm, as ITK and nibabel do).</summary>
    public double SpatialUnitToMm => (XyztUnits & 0x07) switch
    {
        1 => 1000.0,   // NIFTI_UNITS_METER
        3 => 0.001,    // NIFTI_UNITS_MICRON
        _ => 1.0,      // NIFTI_UNITS_MM or unknown
    };
}
