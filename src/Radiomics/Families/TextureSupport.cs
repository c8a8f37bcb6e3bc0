using FedRad.Radiomics.Features;
using FedRad.Radiomics.Processing;
using FedRad.Radiomics.Settings;

namespace FedRad.Radiomics.Families;

/// <summary>A feature of a texture family: short name, IBSI code, and why it can be undefined (if it can).</summary>
internal sealed record FeatureDef(string Name, string Code, string? NanReason = null);

/// <summary>Directions, neighbourhoods and aggregation shared by the texture families.</summary>
internal static class TextureSupport
{
    /// <summary>The 4 in-slice directions (each with its opposite implied).</summary>
    public static readonly (int X, int Y, int Z)[] Directions2D = [(1, 0, 0), (0, 1, 0), (1, 1, 0), (1, -1, 0)];

    /// <summary>The 13 unique 3D directions.</summary>
    public static readonly (int X, int Y, int Z)[] Directions3D =
    [
        (1, 0, 0), (0, 1, 0), (1, 1, 0), (1, -1, 0),
        (0, 0, 1), (1, 0, 1), (1, 0, -1), (0, 1, 1), (0, 1, -1),
        (1, 1, 1), (1, 1, -1), (1, -1, 1), (1, -1, -1),
    ];

    /// <summary>Offsets within Chebyshev distance δ (excluding the centre), in-slice for 2D.</summary>
    public static (int X, int Y, int Z)[] Neighbourhood(int distance, bool threeD)
    {
        var list = new List<(int, int, int)>();
        var dzMax = threeD ? distance : 0;
        for (var dz = -dzMax; dz <= dzMax; dz++)
            for (var dy = -distance; dy <= distance; dy++)
                for (var dx = -distance; dx <= distance; dx++)
                    if (dx != 0 || dy != 0 || dz != 0) list.Add((dx, dy, dz));
        return list.ToArray();
    }

    public static bool Has(this RadiomicsSettings s, TextureApproach a) => s.Approaches.Contains(a);

    /// <summary>Emits one value per feature definition with the given aggregation.</summary>
    public static void Emit(FeatureSink sink, string family, FeatureDef[] defs, double[] values, Aggregation aggregation, string? emptyReason = null)
    {
        for (var f = 0; f < defs.Length; f++)
            sink.Add(family, defs[f].Name, defs[f].Code, aggregation, values[f], emptyReason ?? defs[f].NanReason);
    }

    /// <summary>
    /// Box coordinates inside the ROI bounding box; "inside" means in the intensity mask.
    /// </summary>
    public static bool InMask(PreparedRoi roi, int x, int y, int z) =>
        x >= roi.X0 && x <= roi.X1 && y >= roi.Y0 && y <= roi.Y1 && z >= roi.Z0 && z <= roi.Z1 && roi.Mask[roi.Index(x, y, z)];
}

/// <summary>
/// Mean of feature vectors over matrices (slices, directions). A feature undefined (NaN) for some matrices is
/// averaged over the matrices where it is defined; it is NaN only if undefined everywhere.
/// </summary>
internal sealed class FeatureAverage(int count)
{
    private readonly double[] _sum = new double[count];
    private readonly int[] _n = new int[count];
    public int Matrices { get; private set; }

    public void Add(double[] values)
    {
        Matrices++;
        for (var f = 0; f < values.Length; f++)
            if (!double.IsNaN(values[f])) { _sum[f] += values[f]; _n[f]++; }
    }

    public double[] Mean()
    {
        var m = new double[_sum.Length];
        for (var f = 0; f < m.Length; f++) m[f] = _n[f] == 0 ? double.NaN : _sum[f] / _n[f];
        return m;
    }
}
