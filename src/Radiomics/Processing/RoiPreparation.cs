using FedRad.Imaging;
using FedRad.Imaging.Resampling;
using FedRad.Radiomics.Settings;

namespace FedRad.Radiomics.Processing;

/// <summary>
/// IBSI image processing from an image and its ROI mask to a <see cref="PreparedRoi"/>: interpolation onto a
/// centre-aligned grid (image and ROI, partial-volume threshold), intensity rounding, re-segmentation (range and
/// outlier filter, intersected) and discretisation. Works on a block around the ROI, never on the whole image.
/// </summary>
internal static class RoiPreparation
{
    /// <summary>Radius of the 1 cm³ sphere used by the local intensity features: (3/(4π))^(1/3) cm.</summary>
    public static readonly double PeakSphereRadiusMm = 10 * Math.Cbrt(3 / (4 * Math.PI));

    // Extra source voxels kept around the needed block before interpolating, so that kernels (and the cubic
    // spline's recursive prefilter, whose influence decays as 0.268^n) see real neighbours rather than the crop edge.
    private const int InterpolationMarginVoxels = 12;

    public static PreparedRoi Prepare(ImageVolume image, MaskVolume mask, RadiomicsSettings s)
    {
        var roi = string.IsNullOrEmpty(mask.Name) ? "ROI" : $"ROI '{mask.Name}'";
        if (!image.Grid.SameGeometry(mask.Grid))
            throw new RadiomicsInputException($"{roi}: mask grid differs from the image grid ({Describe(mask.Grid)} vs image {Describe(image.Grid)}); resample the mask onto the image first");
        if (!TryBounds(mask.Voxels, image.Grid.SizeX, image.Grid.SizeY, image.Grid.SizeZ, out var b))
            throw new RadiomicsInputException($"{roi}: mask is empty (no voxel inside)");

        var ip = s.Interpolation;
        ImageGrid grid;
        float[] intensity;
        bool[] morph;
        var notes = new List<string>();
        if (ip.Enabled)
        {
            var full = Resampler.CentreAlignedGrid(image.Grid, ip.SpacingX, ip.SpacingY, ip.SpacingZ);
            // Source block: ROI bounding box plus the peak sphere and the interpolation margin.
            var src = Expand(b, image.Grid, PeakSphereRadiusMm, InterpolationMarginVoxels);
            var srcImage = Crop(image, src);
            var srcMask = Crop(mask, src);
            // Target block: every target voxel within the ROI box (plus one source voxel and the sphere) in patient space.
            var tb = TargetBlock(image.Grid, b, full, PeakSphereRadiusMm);
            grid = Resampler.SubGrid(full, tb.X0, tb.Y0, tb.Z0, tb.X1 - tb.X0 + 1, tb.Y1 - tb.Y0 + 1, tb.Z1 - tb.Z0 + 1);
            intensity = Resampler.Resample(srcImage, grid, ip.ImageMethod).Voxels;
            morph = Resampler.ResampleMask(srcMask, grid, ip.RoiMethod, ip.PartialVolumeThreshold).Voxels;
        }
        else
        {
            var box = Expand(b, image.Grid, PeakSphereRadiusMm, 0);
            var cropped = Crop(image, box);
            grid = cropped.Grid;
            intensity = cropped.Voxels;
            morph = Crop(mask, box).Voxels;
        }

        if (ip.IntensityRounding is { } step)
            for (var n = 0; n < intensity.Length; n++) intensity[n] = (float)(Math.Round(intensity[n] / step) * step);

        int nx = grid.SizeX, ny = grid.SizeY, nz = grid.SizeZ;
        if (!TryBounds(morph, nx, ny, nz, out var rb))
            throw new RadiomicsInputException($"{roi}: no voxel reaches the partial volume threshold {ip.PartialVolumeThreshold} after interpolation to {ip.SpacingX}x{ip.SpacingY}x{ip.SpacingZ} mm (the ROI is smaller than the new voxels)");

        var morphCount = 0;
        for (var n = 0; n < morph.Length; n++)
        {
            if (!morph[n]) continue;
            morphCount++;
            if (!float.IsFinite(intensity[n]))
            {
                var (x, y, z) = (n % nx, n / nx % ny, n / (nx * ny));
                throw new RadiomicsInputException($"{roi}: image value {intensity[n]} inside the ROI at box voxel ({x}, {y}, {z}); the ROI must lie inside the image and hold finite intensities");
            }
        }

        var intensityMask = Resegment(intensity, morph, s.Resegmentation);
        var maskCount = intensityMask.Count(v => v);
        if (maskCount == 0)
            throw new RadiomicsInputException($"{roi}: re-segmentation (range [{s.Resegmentation.RangeLower}, {s.Resegmentation.RangeUpper}], outlier σ {s.Resegmentation.OutlierSigma}) removed all {morphCount} voxels");
        if (maskCount < morphCount) notes.Add($"re-segmentation removed {morphCount - maskCount} of {morphCount} voxels from the intensity mask");

        var levels = Discretiser.Levels(intensity, intensityMask, s.TextureDiscretisation, s.Resegmentation, out var ng);
        var ivh = Discretiser.Ivh(intensity, intensityMask, s.IvhDiscretisation, s.Resegmentation);

        return new PreparedRoi
        {
            Nx = nx, Ny = ny, Nz = nz,
            Sx = grid.SpacingX, Sy = grid.SpacingY, Sz = grid.SpacingZ,
            Intensity = intensity, Morph = morph, Mask = intensityMask, Level = levels, Ng = ng, Ivh = ivh,
            X0 = rb.X0, X1 = rb.X1, Y0 = rb.Y0, Y1 = rb.Y1, Z0 = rb.Z0, Z1 = rb.Z1,
            MorphCount = morphCount, MaskCount = maskCount, Notes = notes,
        };
    }

    /// <summary>Intensity mask: morphological mask ∩ range ∩ [μ − kσ, μ + kσ] (μ, σ over the morphological mask).</summary>
    private static bool[] Resegment(float[] intensity, bool[] morph, ResegmentationSettings rs)
    {
        double lo = rs.RangeLower ?? double.NegativeInfinity, hi = rs.RangeUpper ?? double.PositiveInfinity;
        if (rs.OutlierSigma is { } k)
        {
            double sum = 0, sum2 = 0;
            var count = 0;
            for (var n = 0; n < morph.Length; n++)
                if (morph[n]) { sum += intensity[n]; count++; }
            var mean = sum / count;
            for (var n = 0; n < morph.Length; n++)
                if (morph[n]) sum2 += (intensity[n] - mean) * (intensity[n] - mean);
            var sd = Math.Sqrt(sum2 / count);
            lo = Math.Max(lo, mean - k * sd);
            hi = Math.Min(hi, mean + k * sd);
        }
        var mask = new bool[morph.Length];
        for (var n = 0; n < morph.Length; n++)
            mask[n] = morph[n] && intensity[n] >= lo && intensity[n] <= hi;
        return mask;
    }

    internal readonly record struct Box(int X0, int X1, int Y0, int Y1, int Z0, int Z1);

    private static bool TryBounds(bool[] mask, int nx, int ny, int nz, out Box box)
    {
        int x0 = nx, x1 = -1, y0 = ny, y1 = -1, z0 = nz, z1 = -1;
        var n = 0;
        for (var z = 0; z < nz; z++)
            for (var y = 0; y < ny; y++)
                for (var x = 0; x < nx; x++, n++)
                {
                    if (!mask[n]) continue;
                    if (x < x0) x0 = x; if (x > x1) x1 = x;
                    if (y < y0) y0 = y; if (y > y1) y1 = y;
                    if (z < z0) z0 = z; if (z > z1) z1 = z;
                }
        box = new Box(x0, x1, y0, y1, z0, z1);
        return x1 >= 0;
    }

    // Grows a voxel box by a distance in mm (per-axis voxel count) plus whole voxels, clipped to the grid.
    private static Box Expand(Box b, ImageGrid g, double mm, int voxels)
    {
        int Mx(double s) => (int)Math.Ceiling(mm / s - 1e-9) + voxels;
        return new Box(
            Math.Max(0, b.X0 - Mx(g.SpacingX)), Math.Min(g.SizeX - 1, b.X1 + Mx(g.SpacingX)),
            Math.Max(0, b.Y0 - Mx(g.SpacingY)), Math.Min(g.SizeY - 1, b.Y1 + Mx(g.SpacingY)),
            Math.Max(0, b.Z0 - Mx(g.SpacingZ)), Math.Min(g.SizeZ - 1, b.Z1 + Mx(g.SpacingZ)));
    }

    // Target voxels that can matter: those whose centres lie within the source ROI box grown by one source
    // voxel (partial volume) and the peak sphere radius.
    private static Box TargetBlock(ImageGrid source, Box b, ImageGrid target, double mm)
    {
        double lo = double.PositiveInfinity;
        double minI = lo, minJ = lo, minK = lo, maxI = -lo, maxJ = -lo, maxK = -lo;
        double gx = 1 + mm / source.SpacingX, gy = 1 + mm / source.SpacingY, gz = 1 + mm / source.SpacingZ;
        foreach (var ci in new[] { b.X0 - gx, b.X1 + gx })
            foreach (var cj in new[] { b.Y0 - gy, b.Y1 + gy })
                foreach (var ck in new[] { b.Z0 - gz, b.Z1 + gz })
                {
                    var t = target.ToIndex(source.ToPatient(ci, cj, ck));
                    minI = Math.Min(minI, t.X); maxI = Math.Max(maxI, t.X);
                    minJ = Math.Min(minJ, t.Y); maxJ = Math.Max(maxJ, t.Y);
                    minK = Math.Min(minK, t.Z); maxK = Math.Max(maxK, t.Z);
                }
        static int Lo(double v) => Math.Max(0, (int)Math.Floor(v));
        static int Hi(double v, int n) => Math.Min(n - 1, (int)Math.Ceiling(v));
        return new Box(Lo(minI), Hi(maxI, target.SizeX), Lo(minJ), Hi(maxJ, target.SizeY), Lo(minK), Hi(maxK, target.SizeZ));
    }

    private static ImageVolume Crop(ImageVolume image, Box b) =>
        new(Resampler.SubGrid(image.Grid, b.X0, b.Y0, b.Z0, b.X1 - b.X0 + 1, b.Y1 - b.Y0 + 1, b.Z1 - b.Z0 + 1), CropArray(image.Voxels, image.Grid, b), image.Unit);

    private static MaskVolume Crop(MaskVolume mask, Box b) =>
        new(Resampler.SubGrid(mask.Grid, b.X0, b.Y0, b.Z0, b.X1 - b.X0 + 1, b.Y1 - b.Y0 + 1, b.Z1 - b.Z0 + 1), CropArray(mask.Voxels, mask.Grid, b), mask.Name);

    private static T[] CropArray<T>(T[] values, ImageGrid g, Box b)
    {
        int nx = b.X1 - b.X0 + 1, ny = b.Y1 - b.Y0 + 1, nz = b.Z1 - b.Z0 + 1;
        var output = new T[nx * ny * nz];
        for (var z = 0; z < nz; z++)
            for (var y = 0; y < ny; y++)
                Array.Copy(values, g.Index(b.X0, b.Y0 + y, b.Z0 + z), output, nx * (y + ny * z), nx);
        return output;
    }

    private static string Describe(ImageGrid g) =>
        $"{g.SizeX}x{g.SizeY}x{g.SizeZ} voxels of {g.SpacingX:G4}x{g.SpacingY:G4}x{g.SpacingZ:G4} mm at ({g.Origin.X:G6}, {g.Origin.Y:G6}, {g.Origin.Z:G6})";
}
