using FedRad.Radiomics.Features;
using FedRad.Radiomics.Processing;

namespace FedRad.Radiomics.Families;

/// <summary>
/// IBSI local intensity features (9ST6): mean intensity in a 1 cm³ sphere (voxel centres within
/// r = (3/(4π))^(1/3) cm) around intensity-mask voxels. The sphere draws on every image voxel, in the ROI or not;
/// at the image border it holds only the voxels that exist.
/// </summary>
internal static class LocalIntensity
{
    public const string Family = "loc";

    public static void Compute(PreparedRoi roi, FeatureSink sink)
    {
        int nx = roi.Nx, ny = roi.Ny, nz = roi.Nz;
        var r = RoiPreparation.PeakSphereRadiusMm;
        // The sphere as x-runs: for each (dy, dz) offset the half-width h of the run of voxel centres within r.
        var runs = new List<(int Dy, int Dz, int H)>();
        int ry = (int)Math.Floor(r / roi.Sy + 1e-9), rz = (int)Math.Floor(r / roi.Sz + 1e-9);
        for (var dz = -rz; dz <= rz; dz++)
            for (var dy = -ry; dy <= ry; dy++)
            {
                var rest = r * r - (dy * roi.Sy) * (dy * roi.Sy) - (dz * roi.Sz) * (dz * roi.Sz);
                if (rest < -1e-9) continue;
                runs.Add((dy, dz, (int)Math.Floor(Math.Sqrt(Math.Max(rest, 0)) / roi.Sx + 1e-9)));
            }

        // Prefix sums along x of finite intensities and of their count, per row.
        var stride = nx + 1;
        var sum = new double[stride * ny * nz];
        var cnt = new int[stride * ny * nz];
        for (var z = 0; z < nz; z++)
            for (var y = 0; y < ny; y++)
            {
                var row = stride * (y + ny * z);
                var src = nx * (y + ny * z);
                for (var x = 0; x < nx; x++)
                {
                    var v = roi.Intensity[src + x];
                    var ok = float.IsFinite(v);
                    sum[row + x + 1] = sum[row + x] + (ok ? v : 0);
                    cnt[row + x + 1] = cnt[row + x] + (ok ? 1 : 0);
                }
            }

        double SphereMean(int x, int y, int z)
        {
            double s = 0;
            long c = 0;
            foreach (var (dy, dz, h) in runs)
            {
                int yy = y + dy, zz = z + dz;
                if (yy < 0 || yy >= ny || zz < 0 || zz >= nz) continue;
                int a = Math.Max(x - h, 0), b = Math.Min(x + h, nx - 1);
                var row = stride * (yy + ny * zz);
                s += sum[row + b + 1] - sum[row + a];
                c += cnt[row + b + 1] - cnt[row + a];
            }
            return s / c;
        }

        var maxIntensity = double.NegativeInfinity;
        for (var n = 0; n < roi.Mask.Length; n++)
            if (roi.Mask[n]) maxIntensity = Math.Max(maxIntensity, roi.Intensity[n]);
        double local = double.NegativeInfinity, global = double.NegativeInfinity;
        for (var z = roi.Z0; z <= roi.Z1; z++)
            for (var y = roi.Y0; y <= roi.Y1; y++)
                for (var x = roi.X0; x <= roi.X1; x++)
                {
                    var n = roi.Index(x, y, z);
                    if (!roi.Mask[n]) continue;
                    var mean = SphereMean(x, y, z);
                    global = Math.Max(global, mean);
                    if (roi.Intensity[n] == maxIntensity) local = Math.Max(local, mean);
                }
        sink.Add(Family, "peak_local", "VJGA", Aggregation.None, local);
        sink.Add(Family, "peak_global", "0F91", Aggregation.None, global);
    }
}
