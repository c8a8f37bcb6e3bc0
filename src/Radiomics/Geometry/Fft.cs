namespace FedRad.Radiomics.Geometry;

/// <summary>In-place complex FFT (iterative radix-2) on separate real and imaginary arrays, in 1D lines and 3D volumes.</summary>
internal static class Fft
{
    public static int NextPowerOfTwo(int n)
    {
        var p = 1;
        while (p < n) p <<= 1;
        return p;
    }

    /// <summary>Forward 3D transform of a (px, py, pz) volume stored as x + px*(y + py*z); every size a power of two.</summary>
    public static void Forward3D(double[] re, double[] im, int px, int py, int pz)
    {
        var maxN = Math.Max(px, Math.Max(py, pz));
        var bre = new double[maxN];
        var bim = new double[maxN];
        var (cosX, sinX) = Twiddles(px);
        var (cosY, sinY) = Twiddles(py);
        var (cosZ, sinZ) = Twiddles(pz);
        // Rows along x are contiguous.
        for (var line = 0; line < py * pz; line++)
            Transform(re.AsSpan(line * px, px), im.AsSpan(line * px, px), cosX, sinX);
        // Along y and z: gather into a buffer, transform, scatter.
        for (var z = 0; z < pz; z++)
            for (var x = 0; x < px; x++)
                Strided(re, im, x + px * py * z, px, py, bre, bim, cosY, sinY);
        for (var y = 0; y < py; y++)
            for (var x = 0; x < px; x++)
                Strided(re, im, x + px * y, px * py, pz, bre, bim, cosZ, sinZ);
    }

    private static void Strided(double[] re, double[] im, int start, int stride, int n, double[] bre, double[] bim, double[] cos, double[] sin)
    {
        if (n == 1) return;
        for (var t = 0; t < n; t++) { bre[t] = re[start + t * stride]; bim[t] = im[start + t * stride]; }
        Transform(bre.AsSpan(0, n), bim.AsSpan(0, n), cos, sin);
        for (var t = 0; t < n; t++) { re[start + t * stride] = bre[t]; im[start + t * stride] = bim[t]; }
    }

    private static (double[] Cos, double[] Sin) Twiddles(int n)
    {
        var cos = new double[Math.Max(n / 2, 1)];
        var sin = new double[Math.Max(n / 2, 1)];
        for (var k = 0; k < n / 2; k++)
        {
            var a = -2 * Math.PI * k / n;
            cos[k] = Math.Cos(a);
            sin[k] = Math.Sin(a);
        }
        return (cos, sin);
    }

    /// <summary>Forward DFT X_k = Σ x_t e^{-2πi kt/n} of one line, n a power of two.</summary>
    private static void Transform(Span<double> re, Span<double> im, double[] cos, double[] sin)
    {
        var n = re.Length;
        if (n == 1) return;
        // Bit-reversal permutation.
        for (int i = 1, j = 0; i < n; i++)
        {
            var bit = n >> 1;
            for (; (j & bit) != 0; bit >>= 1) j ^= bit;
            j ^= bit;
            if (i < j) { (re[i], re[j]) = (re[j], re[i]); (im[i], im[j]) = (im[j], im[i]); }
        }
        for (var len = 2; len <= n; len <<= 1)
        {
            var half = len >> 1;
            var step = n / len;
            for (var s = 0; s < n; s += len)
                for (var k = 0; k < half; k++)
                {
                    double wr = cos[k * step], wi = sin[k * step];
                    int a = s + k, b = a + half;
                    var tr = re[b] * wr - im[b] * wi;
                    var ti = re[b] * wi + im[b] * wr;
                    re[b] = re[a] - tr; im[b] = im[a] - ti;
                    re[a] += tr; im[a] += ti;
                }
        }
    }
}
