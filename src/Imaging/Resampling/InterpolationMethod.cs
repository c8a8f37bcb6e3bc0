namespace FedRad.Imaging.Resampling;

/// <summary>Interpolation kernels for resampling images and region-of-interest masks (IBSI 1, section "Interpolation").</summary>
public enum InterpolationMethod
{
    /// <summary>Value of the nearest voxel centre (ties round up: floor(x + 0.5)).</summary>
    Nearest,
    /// <summary>Trilinear (bilinear in-slice when a grid has one slice).</summary>
    Linear,
    /// <summary>Cubic B-spline interpolation: the image is prefiltered into B-spline coefficients so that the spline passes through the voxel values (whole-sample mirror boundaries).</summary>
    CubicSpline,
}
