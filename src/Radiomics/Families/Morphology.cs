using FedRad.Radiomics.Features;
using FedRad.Radiomics.Geometry;
using FedRad.Radiomics.Processing;

namespace FedRad.Radiomics.Families;

/// <summary>
/// IBSI morphological features (HCUG). Mesh features use a marching-cubes mesh of the morphological mask;
/// PCA axes use the morphological voxel centres; centre-of-mass shift, integrated intensity, Moran's I and
/// Geary's C also use the intensity mask. All lengths in mm.
/// </summary>
internal static class Morphology
{
    public const string Family = "morph";

    public static void Compute(PreparedRoi roi, FeatureSink sink)
    {
        void Add(string name, string code, double v, string? why = null) => sink.Add(Family, name, code, Aggregation.None, v, why);

        var mesh = MarchingCubes.Build(roi.Morph, roi.Nx, roi.Ny, roi.Nz, roi.X0, roi.X1, roi.Y0, roi.Y1, roi.Z0, roi.Z1, roi.Sx, roi.Sy, roi.Sz);
        var v = mesh.Volume();
        var a = mesh.Area();
        Add("volume", "RNU0", v);
        Add("approx_volume", "YEKZ", roi.MorphCount * roi.VoxelVolume);
        Add("area_mesh", "C0JK", a);
        Add("av", "2PR5", a / v);
        Add("comp_1", "SKGS", v / (Math.Sqrt(Math.PI) * Math.Pow(a, 1.5)));
        Add("comp_2", "BQWJ", 36 * Math.PI * v * v / (a * a * a));
        Add("sph_dispr", "KRCK", a / Math.Cbrt(36 * Math.PI * v * v));
        Add("sphericity", "QCFX", Math.Cbrt(36 * Math.PI * v * v) / a);
        Add("asphericity", "25C7", Math.Cbrt(a * a * a / (36 * Math.PI * v * v)) - 1);

        // Centre of mass shift: geometric centre of the morphological mask vs intensity-weighted centre of the intensity mask.
        double gx = 0, gy = 0, gz = 0, wx = 0, wy = 0, wz = 0, wSum = 0, iSum = 0;
        var pts = new List<(double X, double Y, double Z)>(roi.MorphCount);
        for (var z = roi.Z0; z <= roi.Z1; z++)
            for (var y = roi.Y0; y <= roi.Y1; y++)
                for (var x = roi.X0; x <= roi.X1; x++)
                {
                    var n = roi.Index(x, y, z);
                    double px = x * roi.Sx, py = y * roi.Sy, pz = z * roi.Sz;
                    if (roi.Morph[n]) { gx += px; gy += py; gz += pz; pts.Add((px, py, pz)); }
                    if (roi.Mask[n])
                    {
                        double w = roi.Intensity[n];
                        wx += w * px; wy += w * py; wz += w * pz; wSum += w; iSum += w;
                    }
                }
        var nm = roi.MorphCount;
        gx /= nm; gy /= nm; gz /= nm;
        if (wSum == 0) Add("com", "KLMA", double.NaN, "intensities in the ROI sum to 0, so the intensity-weighted centre is undefined");
        else Add("com", "KLMA", Math.Sqrt(Sq(gx - wx / wSum) + Sq(gy - wy / wSum) + Sq(gz - wz / wSum)));

        // Convex hull of the mesh vertices. Only the lowest and highest vertex of each (x, y) column can lie on it.
        var hullInput = ColumnExtremes(mesh);
        var hull = ConvexHull.Build(hullInput.X, hullInput.Y, hullInput.Z);
        Add("diam", "L0JK", MaxDistance(hullInput, hull.VertexIndices));

        // PCA of the voxel centres: λ1 ≥ λ2 ≥ λ3 of the covariance matrix.
        var (l1, l2, l3) = CovarianceEigenvalues(pts, gx, gy, gz);
        Add("pca_major", "TDIC", 4 * Math.Sqrt(l1));
        Add("pca_minor", "P9VJ", 4 * Math.Sqrt(l2));
        Add("pca_least", "7J51", 4 * Math.Sqrt(l3));
        const string singleVoxel = "the ROI's voxel centres have no spread along the major axis (single voxel)";
        Add("pca_elongation", "Q3CK", l1 > 0 ? Math.Sqrt(l2 / l1) : double.NaN, singleVoxel);
        Add("pca_flatness", "N17B", l1 > 0 ? Math.Sqrt(l3 / l1) : double.NaN, singleVoxel);

        // Axis-aligned bounding box of the mesh.
        double ex = mesh.X.Max() - mesh.X.Min(), ey = mesh.Y.Max() - mesh.Y.Min(), ez = mesh.Z.Max() - mesh.Z.Min();
        Add("vol_dens_aabb", "PBX1", v / (ex * ey * ez));
        Add("area_dens_aabb", "R59B", a / (2 * (ex * ey + ex * ez + ey * ez)));

        // Approximate enclosing ellipsoid with semi-axes 2√λ.
        double sa = 2 * Math.Sqrt(l1), sb = 2 * Math.Sqrt(l2), sc = 2 * Math.Sqrt(l3);
        const string flat = "the voxel centres lie on a line or plane, so the approximate enclosing ellipsoid has no volume";
        Add("vol_dens_aee", "6BDE", l3 > 0 ? v / (4 * Math.PI * sa * sb * sc / 3) : double.NaN, flat);
        Add("area_dens_aee", "RDD2", l1 > 0 ? a / EllipsoidArea(sa, sb, sc) : double.NaN, singleVoxel);

        Add("vol_dens_conv_hull", "R3ER", v / hull.Volume);
        Add("area_dens_conv_hull", "7T7F", a / hull.Area);
        Add("integ_int", "99N0", iSum / roi.MaskCount * v);

        var (moran, geary, why) = SpatialAutocorrelation(roi);
        Add("moran_i", "N365", moran, why);
        Add("geary_c", "NPT7", geary, why);
    }

    private static double Sq(double v) => v * v;

    // A point strictly between two others on an axis-parallel line is not a hull vertex, so only points that are
    // the lowest or highest on their line along x, along y and along z are kept.
    private static (double[] X, double[] Y, double[] Z) ColumnExtremes(TriangleMesh mesh)
    {
        var keep = new bool[mesh.VertexCount];
        Array.Fill(keep, true);
        void Filter(double[] a, double[] b, double[] along)
        {
            var lines = new Dictionary<(double, double), (int Lo, int Hi)>();
            for (var i = 0; i < mesh.VertexCount; i++)
            {
                var key = (a[i], b[i]);
                if (!lines.TryGetValue(key, out var c)) lines[key] = (i, i);
                else lines[key] = (along[i] < along[c.Lo] ? i : c.Lo, along[i] > along[c.Hi] ? i : c.Hi);
            }
            var extreme = new bool[mesh.VertexCount];
            foreach (var (lo, hi) in lines.Values) { extreme[lo] = true; extreme[hi] = true; }
            for (var i = 0; i < keep.Length; i++) keep[i] &= extreme[i];
        }
        Filter(mesh.X, mesh.Y, mesh.Z);
        Filter(mesh.X, mesh.Z, mesh.Y);
        Filter(mesh.Y, mesh.Z, mesh.X);
        var idx = Enumerable.Range(0, keep.Length).Where(i => keep[i]).ToArray();
        return (idx.Select(i => mesh.X[i]).ToArray(), idx.Select(i => mesh.Y[i]).ToArray(), idx.Select(i => mesh.Z[i]).ToArray());
    }

    private static double MaxDistance((double[] X, double[] Y, double[] Z) p, int[] vertices)
    {
        double best = 0;
        for (var s = 0; s < vertices.Length; s++)
            for (var t = s + 1; t < vertices.Length; t++)
            {
                int i = vertices[s], j = vertices[t];
                best = Math.Max(best, Sq(p.X[i] - p.X[j]) + Sq(p.Y[i] - p.Y[j]) + Sq(p.Z[i] - p.Z[j]));
            }
        return Math.Sqrt(best);
    }

    private static (double, double, double) CovarianceEigenvalues(List<(double X, double Y, double Z)> pts, double mx, double my, double mz)
    {
        var c = new double[3, 3];
        foreach (var (x, y, z) in pts)
        {
            double dx = x - mx, dy = y - my, dz = z - mz;
            c[0, 0] += dx * dx; c[0, 1] += dx * dy; c[0, 2] += dx * dz;
            c[1, 1] += dy * dy; c[1, 2] += dy * dz; c[2, 2] += dz * dz;
        }
        // Sample covariance (N − 1), as numpy.cov which the IBSI reference implementations use.
        var norm = Math.Max(pts.Count - 1, 1);
        for (var i = 0; i < 3; i++)
            for (var j = i; j < 3; j++) { c[i, j] /= norm; c[j, i] = c[i, j]; }
        var e = SymmetricEigenvalues(c);
        Array.Sort(e);
        return (Math.Max(e[2], 0), Math.Max(e[1], 0), Math.Max(e[0], 0));
    }

    /// <summary>Eigenvalues of a symmetric 3×3 matrix by cyclic Jacobi rotations.</summary>
    internal static double[] SymmetricEigenvalues(double[,] m)
    {
        var a = (double[,])m.Clone();
        for (var sweep = 0; sweep < 50; sweep++)
        {
            var off = Sq(a[0, 1]) + Sq(a[0, 2]) + Sq(a[1, 2]);
            if (off < 1e-30 * (Sq(a[0, 0]) + Sq(a[1, 1]) + Sq(a[2, 2]) + 1e-300)) break;
            for (var p = 0; p < 2; p++)
                for (var q = p + 1; q < 3; q++)
                {
                    if (a[p, q] == 0) continue;
                    var theta = (a[q, q] - a[p, p]) / (2 * a[p, q]);
                    var t = Math.Sign(theta == 0 ? 1 : theta) / (Math.Abs(theta) + Math.Sqrt(theta * theta + 1));
                    var cos = 1 / Math.Sqrt(t * t + 1);
                    var sin = t * cos;
                    for (var k = 0; k < 3; k++)
                    {
                        double akp = a[k, p], akq = a[k, q];
                        a[k, p] = cos * akp - sin * akq;
                        a[k, q] = sin * akp + cos * akq;
                    }
                    for (var k = 0; k < 3; k++)
                    {
                        double apk = a[p, k], aqk = a[q, k];
                        a[p, k] = cos * apk - sin * aqk;
                        a[q, k] = sin * apk + cos * aqk;
                    }
                }
        }
        return [a[0, 0], a[1, 1], a[2, 2]];
    }

    /// <summary>
    /// Surface area of an ellipsoid with semi-axes a ≥ b ≥ c by IBSI's Legendre series (20 terms):
    /// 4πab Σ (αβ)^ν P_ν((α²+β²)/(2αβ)) / (1 − 4ν²), α = √(1 − b²/a²), β = √(1 − c²/a²).
    /// (αβ)^ν P_ν is evaluated by the Legendre recurrence scaled by αβ, which stays finite for a sphere.
    /// </summary>
    internal static double EllipsoidArea(double a, double b, double c)
    {
        var alpha2 = 1 - b * b / (a * a);
        var beta2 = 1 - c * c / (a * a);
        var ab2 = alpha2 * beta2;         // (αβ)²
        var half = (alpha2 + beta2) / 2;  // αβ · x
        double qPrev = 1, q = half;       // q_ν = (αβ)^ν P_ν(x)
        var sum = 1.0 + q / (1 - 4);
        for (var nu = 1; nu < 20; nu++)
        {
            var qNext = ((2 * nu + 1) * half * q - nu * ab2 * qPrev) / (nu + 1);
            qPrev = q;
            q = qNext;
            sum += q / (1 - 4.0 * (nu + 1) * (nu + 1));
        }
        return 4 * Math.PI * a * b * sum;
    }

    /// <summary>
    /// Moran's I and Geary's C over all pairs of intensity-mask voxels with weights 1/distance (mm). The pair sums
    /// are correlations of the centred intensities y and the mask m with the kernel w(o) = 1/|o|, evaluated exactly
    /// by Parseval's theorem on a zero-padded FFT grid: Σ_o w(o) Σ_i a_i b_{i+o} = (1/M) Σ_f W_f conj(A_f) B_f.
    /// Two complex FFTs carry the four real inputs (y + i·m and y² + i·w).
    /// </summary>
    /// <summary>Largest FFT grid for Moran's I / Geary's C: four double buffers of 2^25 points are 1 GiB.</summary>
    internal const long MaxFftPoints = 1L << 25;

    private static (double Moran, double Geary, string? Why) SpatialAutocorrelation(PreparedRoi roi)
    {
        var count = roi.MaskCount;
        if (count < 2) return (double.NaN, double.NaN, "needs at least two voxels in the intensity mask");
        double mean = 0;
        for (var n = 0; n < roi.Mask.Length; n++) if (roi.Mask[n]) mean += roi.Intensity[n];
        mean /= count;
        double ss = 0;
        for (var n = 0; n < roi.Mask.Length; n++) if (roi.Mask[n]) ss += Sq(roi.Intensity[n] - mean);
        if (ss == 0) return (double.NaN, double.NaN, "constant intensity in the ROI (zero variance)");

        int bx = roi.X1 - roi.X0 + 1, by = roi.Y1 - roi.Y0 + 1, bz = roi.Z1 - roi.Z0 + 1;
        int px = Fft.NextPowerOfTwo(2 * bx - 1), py = Fft.NextPowerOfTwo(2 * by - 1), pz = Fft.NextPowerOfTwo(2 * bz - 1);
        if ((long)px * py * pz > MaxFftPoints)
            return (double.NaN, double.NaN, $"the ROI's bounding box ({bx}x{by}x{bz} voxels) needs a {px}x{py}x{pz} FFT grid, above the {MaxFftPoints} points (1 GiB of buffers) allowed; resample to coarser voxels");
        var size = px * py * pz;
        var re1 = new double[size];
        var im1 = new double[size];
        var re2 = new double[size];
        var im2 = new double[size];
        for (var z = 0; z < bz; z++)
            for (var y = 0; y < by; y++)
                for (var x = 0; x < bx; x++)
                {
                    var n = roi.Index(roi.X0 + x, roi.Y0 + y, roi.Z0 + z);
                    if (!roi.Mask[n]) continue;
                    var d = roi.Intensity[n] - mean;
                    var p = x + px * (y + py * z);
                    re1[p] = d; im1[p] = 1; re2[p] = d * d;
                }
        // Kernel at circular offsets within the box's reach; zero at the origin (no self-pairs).
        for (var oz = -(bz - 1); oz <= bz - 1; oz++)
            for (var oy = -(by - 1); oy <= by - 1; oy++)
                for (var ox = -(bx - 1); ox <= bx - 1; ox++)
                {
                    if (ox == 0 && oy == 0 && oz == 0) continue;
                    var p = (ox + px) % px + px * ((oy + py) % py + py * ((oz + pz) % pz));
                    im2[p] = 1 / Math.Sqrt(Sq(ox * roi.Sx) + Sq(oy * roi.Sy) + Sq(oz * roi.Sz));
                }
        Fft.Forward3D(re1, im1, px, py, pz, by, bz);
        Fft.Forward3D(re2, im2, px, py, pz, py, pz); // the kernel fills every line

        // Split Z = FFT(a + i b) into A_f = (Z_f + conj Z_-f)/2 and B_f = (Z_f − conj Z_-f)/(2i).
        double syy = 0, smm = 0, sqm = 0;
        for (var z = 0; z < pz; z++)
            for (var y = 0; y < py; y++)
                for (var x = 0; x < px; x++)
                {
                    var f = x + px * (y + py * z);
                    var g = (px - x) % px + px * ((py - y) % py + py * ((pz - z) % pz));
                    double yr = (re1[f] + re1[g]) / 2, yi = (im1[f] - im1[g]) / 2;
                    double mr = (im1[f] + im1[g]) / 2, mi = -(re1[f] - re1[g]) / 2;
                    double qr = (re2[f] + re2[g]) / 2, qi = (im2[f] - im2[g]) / 2;
                    var w = (im2[f] + im2[g]) / 2; // the kernel is real and even, so its transform is real
                    syy += w * (yr * yr + yi * yi);
                    smm += w * (mr * mr + mi * mi);
                    sqm += w * (qr * mr + qi * mi);
                }
        syy /= size; smm /= size; sqm /= size;
        var moran = count / smm * syy / ss;
        var geary = (count - 1) / (2 * smm) * (2 * sqm - 2 * syy) / ss;
        return (moran, geary, null);
    }
}
