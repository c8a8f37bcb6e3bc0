namespace FedRad.Statistics.Numerics;

/// <summary>
/// The few dense linear-algebra operations the federated algorithms need, on jagged arrays
/// (the same shape the aggregates travel in). Matrices here are small (features x features),
/// so plain loops are clearer than a library call and keep every step of the arithmetic visible.
/// </summary>
public static class Dense
{
    public static double[][] Zeros(int rows, int cols)
    {
        var m = new double[rows][];
        for (var i = 0; i < rows; i++) m[i] = new double[cols];
        return m;
    }

    public static double[][] Copy(double[][] a) => a.Select(r => (double[])r.Clone()).ToArray();

    public static void AddInPlace(double[][] target, double[][] add)
    {
        for (var i = 0; i < target.Length; i++)
            for (var j = 0; j < target[i].Length; j++) target[i][j] += add[i][j];
    }

    public static void AddInPlace(double[] target, double[] add)
    {
        for (var i = 0; i < target.Length; i++) target[i] += add[i];
    }

    public static double Dot(double[] a, double[] b)
    {
        var s = 0.0;
        for (var i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }

    public static double[] Multiply(double[][] a, double[] x)
    {
        var y = new double[a.Length];
        for (var i = 0; i < a.Length; i++) y[i] = Dot(a[i], x);
        return y;
    }

    /// <summary>Lower Cholesky factor of a symmetric positive-definite matrix, or null when a
    /// pivot is not clearly positive (relative to the diagonal), i.e. the matrix is singular.</summary>
    public static double[][]? Cholesky(double[][] a, double relativeTolerance = 1e-12)
    {
        var n = a.Length;
        var l = Zeros(n, n);
        for (var j = 0; j < n; j++)
        {
            var d = a[j][j];
            for (var k = 0; k < j; k++) d -= l[j][k] * l[j][k];
            if (!(d > relativeTolerance * Math.Abs(a[j][j])) || !(a[j][j] > 0)) return null;
            l[j][j] = Math.Sqrt(d);
            for (var i = j + 1; i < n; i++)
            {
                var s = a[i][j];
                for (var k = 0; k < j; k++) s -= l[i][k] * l[j][k];
                l[i][j] = s / l[j][j];
            }
        }
        return l;
    }

    /// <summary>Solves L L' x = b for a Cholesky factor L.</summary>
    public static double[] CholeskySolve(double[][] l, double[] b)
    {
        var n = l.Length;
        var y = new double[n];
        for (var i = 0; i < n; i++)
        {
            var s = b[i];
            for (var k = 0; k < i; k++) s -= l[i][k] * y[k];
            y[i] = s / l[i][i];
        }
        var x = new double[n];
        for (var i = n - 1; i >= 0; i--)
        {
            var s = y[i];
            for (var k = i + 1; k < n; k++) s -= l[k][i] * x[k];
            x[i] = s / l[i][i];
        }
        return x;
    }

    /// <summary>Inverse of a symmetric positive-definite matrix from its Cholesky factor.</summary>
    public static double[][] CholeskyInverse(double[][] l)
    {
        var n = l.Length;
        var inv = Zeros(n, n);
        for (var j = 0; j < n; j++)
        {
            var e = new double[n];
            e[j] = 1;
            var col = CholeskySolve(l, e);
            for (var i = 0; i < n; i++) inv[i][j] = col[i];
        }
        // symmetrise the rounding
        for (var i = 0; i < n; i++)
            for (var j = i + 1; j < n; j++)
            {
                var m = 0.5 * (inv[i][j] + inv[j][i]);
                inv[i][j] = m;
                inv[j][i] = m;
            }
        return inv;
    }

    /// <summary>
    /// Index of the first column that is (numerically) a linear combination of the columns before
    /// it, judged on a correlation matrix: the share of its variance left after regressing it on the
    /// earlier columns is below <paramref name="tolerance"/>. -1 when the matrix has full rank.
    /// </summary>
    public static int FirstDependentColumn(double[][] correlation, double tolerance = 1e-10)
    {
        var n = correlation.Length;
        var l = Zeros(n, n);
        for (var j = 0; j < n; j++)
        {
            var d = correlation[j][j];
            for (var k = 0; k < j; k++) d -= l[j][k] * l[j][k];
            if (d < tolerance) return j;
            l[j][j] = Math.Sqrt(d);
            for (var i = j + 1; i < n; i++)
            {
                var s = correlation[i][j];
                for (var k = 0; k < j; k++) s -= l[i][k] * l[j][k];
                l[i][j] = s / l[j][j];
            }
        }
        return -1;
    }
}
