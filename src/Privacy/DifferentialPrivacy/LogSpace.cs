namespace FedRad.Privacy.DifferentialPrivacy;

/// <summary>Arithmetic on logarithms, and log(1 + x), exp(x) − 1 without cancellation for small x.</summary>
internal static class LogSpace
{
    /// <summary>log(e^a + e^b).</summary>
    public static double Add(double a, double b)
    {
        if (double.IsNegativeInfinity(a)) return b;
        if (double.IsNegativeInfinity(b)) return a;
        var max = Math.Max(a, b);
        return max + LogP1(Math.Exp(Math.Min(a, b) - max));
    }

    // Kahan's tricks; .NET's double.LogP1/ExpM1 compute log(x + 1) and exp(x) - 1 directly and lose small x.
    public static double LogP1(double x)
    {
        var u = 1 + x;
        return u == 1 ? x : Math.Log(u) * x / (u - 1);
    }

    public static double ExpM1(double x)
    {
        var u = Math.Exp(x);
        if (u == 1) return x;
        if (u - 1 == -1) return -1;
        return (u - 1) * x / Math.Log(u);
    }
}
