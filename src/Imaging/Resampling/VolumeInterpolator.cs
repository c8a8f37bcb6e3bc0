namespace FedRad.Imaging.Resampling;

/// <summary>
/// Samples a scalar voxel array at continuous voxel indices (i along columns, j along rows, k along slices).
/// Points inside the image's physical extent (index −0.5 … n−0.5 on each axis) but beyond the outermost voxel
/// centres take the value at the clamped position, as IBSI's centre-aligned grids place new voxel centres there;
/// points further out return <see cref="double.NaN"/> so that callers decide what "outside" means.
/// </summary>
public abstract class VolumeInterpolator
{
    protected readonly int Nx, Ny, Nz;

    protected VolumeInterpolator(int nx, int ny, int nz)
    {
        if (nx < 1 || ny < 1 || nz < 1) throw new ArgumentException($"grid size {nx}x{ny}x{nz} has an empty axis");
        Nx = nx; Ny = ny; Nz = nz;
    }

    /// <summary>Creates the interpolator for <paramref name="method"/> over values laid out as i + nx*(j + ny*k).</summary>
    public static VolumeInterpolator Create(InterpolationMethod method, float[] values, int nx, int ny, int nz)
    {
        if (values.LongLength != (long)nx * ny * nz)
            throw new ArgumentException($"{values.LongLength} values for a {nx}x{ny}x{nz} grid", nameof(values));
        return method switch
        {
            InterpolationMethod.Nearest => new NearestInterpolator(values, nx, ny, nz),
            InterpolationMethod.Linear => new LinearInterpolator(values, nx, ny, nz),
            InterpolationMethod.CubicSpline => new CubicSplineInterpolator(values, nx, ny, nz),
            _ => throw new ArgumentOutOfRangeException(nameof(method), method, "unknown interpolation method"),
        };
    }

    /// <summary>Value at continuous index (i, j, k), or NaN outside the image extent.</summary>
    public double Sample(double i, double j, double k)
    {
        if (!Clamp(ref i, Nx) || !Clamp(ref j, Ny) || !Clamp(ref k, Nz)) return double.NaN;
        return SampleInside(i, j, k);
    }

    /// <summary>Value at a position already within [0, n−1] on every axis.</summary>
    protected abstract double SampleInside(double i, double j, double k);

    // Extent check with a small tolerance for round-off in grid arithmetic.
    private static bool Clamp(ref double x, int n)
    {
        const double eps = 1e-6;
        if (x < -0.5 - eps || x > n - 0.5 + eps || double.IsNaN(x)) return false;
        if (x < 0) x = 0;
        else if (x > n - 1) x = n - 1;
        return true;
    }
}

internal sealed class NearestInterpolator(float[] values, int nx, int ny, int nz) : VolumeInterpolator(nx, ny, nz)
{
    protected override double SampleInside(double i, double j, double k)
    {
        var a = Math.Min((int)Math.Floor(i + 0.5), Nx - 1);
        var b = Math.Min((int)Math.Floor(j + 0.5), Ny - 1);
        var c = Math.Min((int)Math.Floor(k + 0.5), Nz - 1);
        return values[a + Nx * (b + Ny * c)];
    }
}

internal sealed class LinearInterpolator(float[] values, int nx, int ny, int nz) : VolumeInterpolator(nx, ny, nz)
{
    protected override double SampleInside(double i, double j, double k)
    {
        int i0 = Math.Min((int)i, Nx - 1), j0 = Math.Min((int)j, Ny - 1), k0 = Math.Min((int)k, Nz - 1);
        int i1 = Math.Min(i0 + 1, Nx - 1), j1 = Math.Min(j0 + 1, Ny - 1), k1 = Math.Min(k0 + 1, Nz - 1);
        double fx = i - i0, fy = j - j0, fz = k - k0;
        double V(int a, int b, int c) => values[a + Nx * (b + Ny * c)];
        var c00 = V(i0, j0, k0) * (1 - fx) + V(i1, j0, k0) * fx;
        var c10 = V(i0, j1, k0) * (1 - fx) + V(i1, j1, k0) * fx;
        var c01 = V(i0, j0, k1) * (1 - fx) + V(i1, j0, k1) * fx;
        var c11 = V(i0, j1, k1) * (1 - fx) + V(i1, j1, k1) * fx;
        var c0 = c00 * (1 - fy) + c10 * fy;
        var c1 = c01 * (1 - fy) + c11 * fy;
        return c0 * (1 - fz) + c1 * fz;
    }
}

/// <summary>
/// Cubic B-spline interpolation (Unser 1999): a causal/anti-causal recursive prefilter turns voxel values into
/// spline coefficients, so the interpolant passes exactly through every voxel value. Boundaries are whole-sample
/// mirrors (… c b | a b c … ), which is scipy.ndimage's mode "mirror".
/// </summary>
internal sealed class CubicSplineInterpolator : VolumeInterpolator
{
    private readonly double[] _coef;

    public CubicSplineInterpolator(float[] values, int nx, int ny, int nz) : base(nx, ny, nz)
    {
        _coef = new double[values.Length];
        for (var n = 0; n < values.Length; n++) _coef[n] = values[n];
        // The 3D B-spline is separable: prefilter every line along i, then along j, then along k.
        var buf = new double[Math.Max(nx, Math.Max(ny, nz))];
        for (var k = 0; k < nz; k++)
            for (var j = 0; j < ny; j++) PrefilterLine(_coef, nx * (j + ny * k), 1, nx, buf);
        for (var k = 0; k < nz; k++)
            for (var i = 0; i < nx; i++) PrefilterLine(_coef, i + nx * ny * k, nx, ny, buf);
        for (var j = 0; j < ny; j++)
            for (var i = 0; i < nx; i++) PrefilterLine(_coef, i + nx * j, nx * ny, nz, buf);
    }

    private static void PrefilterLine(double[] c, int start, int stride, int n, double[] buf)
    {
        if (n == 1) return;
        var s = buf.AsSpan(0, n);
        for (var t = 0; t < n; t++) s[t] = c[start + t * stride];
        Prefilter1D(s);
        for (var t = 0; t < n; t++) c[start + t * stride] = s[t];
    }

    private static void Prefilter1D(Span<double> s)
    {
        var n = s.Length;
        var z = Math.Sqrt(3.0) - 2.0;   // pole of the cubic B-spline
        const double gain = 6.0;         // (1 - z)(1 - 1/z)
        for (var t = 0; t < n; t++) s[t] *= gain;
        // Causal initialisation for the mirrored signal (period 2n - 2): exact for short lines; for long lines the
        // mirrored terms are below double precision (|z|^28 < 1e-16), so the plain truncated sum is the same number.
        const int horizon = 28;
        if (n > horizon)
        {
            double sum = 0, zt = 1;
            for (var t = 0; t < horizon; t++) { sum += zt * s[t]; zt *= z; }
            s[0] = sum;
        }
        else
        {
            var sum = s[0] + Math.Pow(z, n - 1) * s[n - 1];
            for (var t = 1; t < n - 1; t++) sum += (Math.Pow(z, t) + Math.Pow(z, 2 * n - 2 - t)) * s[t];
            s[0] = sum / (1 - Math.Pow(z, 2 * n - 2));
        }
        for (var t = 1; t < n; t++) s[t] += z * s[t - 1];
        // Anti-causal initialisation for the mirrored signal.
        s[n - 1] = z / (z * z - 1) * (z * s[n - 2] + s[n - 1]);
        for (var t = n - 2; t >= 0; t--) s[t] = z * (s[t + 1] - s[t]);
    }

    protected override double SampleInside(double i, double j, double k)
    {
        Span<int> ix = stackalloc int[4], jx = stackalloc int[4], kx = stackalloc int[4];
        Span<double> wx = stackalloc double[4], wy = stackalloc double[4], wz = stackalloc double[4];
        Weights(i, Nx, ix, wx);
        Weights(j, Ny, jx, wy);
        Weights(k, Nz, kx, wz);
        double total = 0;
        for (var c = 0; c < 4; c++)
        {
            if (wz[c] == 0) continue;
            double plane = 0;
            for (var b = 0; b < 4; b++)
            {
                if (wy[b] == 0) continue;
                var row = Nx * (jx[b] + Ny * kx[c]);
                double line = 0;
                for (var a = 0; a < 4; a++) line += wx[a] * _coef[row + ix[a]];
                plane += wy[b] * line;
            }
            total += wz[c] * plane;
        }
        return total;
    }

    // Cubic B-spline weights for the four coefficients around x, with mirrored indices.
    private static void Weights(double x, int n, Span<int> idx, Span<double> w)
    {
        if (n == 1) { idx.Clear(); w.Clear(); w[1] = 1; return; }
        var f = (int)Math.Floor(x);
        var t = x - f;
        var u = 1 - t;
        w[0] = u * u * u / 6;
        w[1] = (4 - 6 * t * t + 3 * t * t * t) / 6;
        w[2] = (1 + 3 * t + 3 * t * t - 3 * t * t * t) / 6;
        w[3] = t * t * t / 6;
        for (var m = 0; m < 4; m++) idx[m] = Mirror(f - 1 + m, n);
    }

    private static int Mirror(int p, int n)
    {
        var period = 2 * n - 2;
        p %= period;
        if (p < 0) p += period;
        return p < n ? p : period - p;
    }
}
