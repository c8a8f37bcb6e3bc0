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

    /// <summary>
    /// Forward 3D transform of a (px, py, pz) volume stored as x + px*(y + py*z); every size a power of two.
    /// The input may be non-zero only for y &lt; <paramref name="usedY"/> and z &lt; <paramref name="usedZ"/>: lines
    /// that are all zero stay zero through the x and y passes and are skipped (a zero-padded convolution does
    /// about half the work).
    /// </summary>
    public static void Forward3D(double[] re, double[] im, int px, int py, int pz, int usedY, int usedZ)
    {
        var (cosX, sinX) = Twiddles(px);
        var (cosY, sinY) = Twiddles(py);
        var (cosZ, sinZ) = Twiddles(pz);
        // Rows along x are contiguous.
        for (var z = 0; z < usedZ; z++)
            for (var y = 0; y < usedY; y++)
            {
                var line = px * (y + py * z);
                Transform(re.AsSpan(line, px), im.AsSpan(line, px), cosX, sinX);
            }
        // Along y and z the lines are strided; they are moved in blocks of adjacent x so each cache line is read once.
        var block = new LineBlock(Math.Max(py, pz));
        for (var z = 0; z < usedZ; z++)
            for (var x = 0; x < px; x += LineBlock.Width)
                block.Transform(re, im, x + px * py * z, px, py, Math.Min(LineBlock.Width, px - x), cosY, sinY);
        for (var y = 0; y < py; y++)
            for (var x = 0; x < px; x += LineBlock.Width)
                block.Transform(re, im, x + px * y, px * py, pz, Math.Min(LineBlock.Width, px - x), cosZ, sinZ);
    }

    private sealed class LineBlock(int maxLength)
    {
        public const int Width = 8;
        private readonly double[] _re = new double[Width * maxLength], _im = new double[Width * maxLength];

        public void Transform(double[] re, double[] im, int start, int stride, int n, int count, double[] cos, double[] sin)
        {
            if (n == 1) return;
            for (var t = 0; t < n; t++)
            {
                var src = start + t * stride;
                for (var b = 0; b < count; b++) { _re[b * n + t] = re[src + b]; _im[b * n + t] = im[src + b]; }
            }
            for (var b = 0; b < count; b++) Fft.Transform(_re.AsSpan(b * n, n), _im.AsSpan(b * n, n), cos, sin);
            for (var t = 0; t < n; t++)
            {
                var dst = start + t * stride;
                for (var b = 0; b < count; b++) { re[dst + b] = _re[b * n + t]; im[dst + b] = _im[b * n + t]; }
            }
        }
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
    internal static void Transform(Span<double> re, Span<double> im, double[] cos, double[] sin)
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
