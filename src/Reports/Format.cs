using System.Globalization;

namespace FedRad.Reports;

/// <summary>How numbers read in the HTML report (the CSV tables carry full precision).</summary>
internal static class Format
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>Three decimals: AUC, C-index, proportions, calibration.</summary>
    public static string F3(double? v) => v is { } x ? (Math.Round(x, 3) == 0 ? 0 : x).ToString("F3", Invariant) : "–";

    public static string Estimate(Metric? m) => m is null ? "not available"
        : m.CiLow is { } l && m.CiHigh is { } h ? $"{F3(m.Value)} [{F3(l)}, {F3(h)}]" : F3(m.Value);

    /// <summary>Four significant digits: coefficients.</summary>
    public static string G4(double? v) => v is { } x ? x.ToString("G4", Invariant) : "–";

    public static string P(double? p) => p switch
    {
        null => "–",
        < 1e-4 => "< 0.0001",
        { } x => x.ToString("F4", Invariant),
    };

    /// <summary>Full precision (round-trip), as in the CSV tables.</summary>
    public static string R(double v) => v.ToString("R", Invariant);
}
