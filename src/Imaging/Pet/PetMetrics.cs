namespace FedRad.Imaging.Pet;

/// <summary>PET uptake metrics of one region of interest (definitions in docs/imaging.md).</summary>
public sealed record PetMetricsResult(
    double SuvMax, double SuvMean, double SuvPeakLocal, double SuvPeakGlobal, double MtvMl, double Tlg, int Voxels);

/// <summary>
/// SUVmax, SUVmean, SUVpeak, MTV and TLG of a mask on an SUV image.
/// <list type="bullet">
/// <item>SUVmax / SUVmean: maximum / mean over the voxels of the mask.</item>
/// <item>SUVpeak (local, IBSI "local intensity peak", VJGA): the mean of every image voxel — in the mask or not — whose
/// centre lies within a 1 cm³ sphere (radius (3/4π)^⅓ cm = 6.2035 mm) centred on the mask's maximum voxel; with several
/// maximum voxels, the highest such mean.</item>
/// <item>SUVpeak (global, IBSI "global intensity peak", 0F91): the highest such sphere mean centred on any mask voxel.</item>
/// <item>MTV: mask voxel count × voxel volume, in mL. TLG = SUVmean × MTV (g for SUVbw).</item>
/// </list>
/// </summary>
public static class PetMetrics
{
    /// <summary>Radius in mm of the sphere of volume 1 cm³.</summary>
    public static readonly double PeakRadiusMm = 10 * Math.Cbrt(3 / (4 * Math.PI));

    public static PetMetricsResult Compute(ImageVolume suv, MaskVolume mask)
    {
        if (!suv.Grid.SameGeometry(mask.Grid, 0.01))
            throw new ArgumentException($"the mask '{mask.Name}' is not on the image grid; load it onto the PET grid first", nameof(mask));
        var g = suv.Grid;
        var v = suv.Voxels;
        double max = double.NegativeInfinity, sum = 0;
        var count = 0;
        for (var n = 0; n < v.Length; n++)
        {
            if (!mask.Voxels[n]) continue;
            if (float.IsNaN(v[n])) throw new ArgumentException($"the mask '{mask.Name}' covers voxels with no value (NaN), e.g. outside the image");
            count++;
            sum += v[n];
            if (v[n] > max) max = v[n];
        }
        if (count == 0) throw new ArgumentException($"the mask '{mask.Name}' is empty on this image: no metrics");

        var sphere = SphereOffsets(g);
        double local = double.NegativeInfinity, global = double.NegativeInfinity;
        for (var k = 0; k < g.SizeZ; k++)
            for (var j = 0; j < g.SizeY; j++)
                for (var i = 0; i < g.SizeX; i++)
                {
                    var n = g.Index(i, j, k);
                    if (!mask.Voxels[n]) continue;
                    var mean = SphereMean(v, g, i, j, k, sphere);
                    if (mean > global) global = mean;
                    if (v[n] == max && mean > local) local = mean;
                }
        var mtv = count * g.VoxelVolume / 1000.0;
        var mean0 = sum / count;
        return new PetMetricsResult(max, mean0, local, global, mtv, mean0 * mtv, count);
    }

    /// <summary>Voxel offsets whose centres lie within the 1 cm³ sphere (distance ≤ r, on the grid's spacings).</summary>
    public static List<(int Di, int Dj, int Dk)> SphereOffsets(ImageGrid g)
    {
        var r = PeakRadiusMm;
        var offsets = new List<(int, int, int)>();
        int ri = (int)(r / g.SpacingX), rj = (int)(r / g.SpacingY), rk = (int)(r / g.SpacingZ);
        for (var dk = -rk; dk <= rk; dk++)
            for (var dj = -rj; dj <= rj; dj++)
                for (var di = -ri; di <= ri; di++)
                {
                    var d2 = Math.Pow(di * g.SpacingX, 2) + Math.Pow(dj * g.SpacingY, 2) + Math.Pow(dk * g.SpacingZ, 2);
                    if (d2 <= r * r * (1 + 1e-12)) offsets.Add((di, dj, dk));
                }
        return offsets;
    }

    private static double SphereMean(float[] v, ImageGrid g, int i, int j, int k, List<(int Di, int Dj, int Dk)> sphere)
    {
        double s = 0;
        var c = 0;
        foreach (var (di, dj, dk) in sphere)
        {
            int x = i + di, y = j + dj, z = k + dk;
            if (x < 0 || y < 0 || z < 0 || x >= g.SizeX || y >= g.SizeY || z >= g.SizeZ) continue;
            var value = v[g.Index(x, y, z)];
            if (float.IsNaN(value)) continue;
            s += value;
            c++;
        }
        return s / c;
    }
}
