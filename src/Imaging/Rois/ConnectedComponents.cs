namespace FedRad.Imaging.Rois;

/// <summary>Which neighbours join voxels into one component: faces (6), faces and edges (18), or also corners (26).</summary>
public enum Connectivity { Faces6 = 6, Edges18 = 18, Corners26 = 26 }

/// <summary>Connected-component labelling of a mask (breadth-first flood fill; labels 1..Count in scan order, 0 outside).</summary>
public sealed class ConnectedComponents
{
    public required int[] Labels { get; init; }
    public required int Count { get; init; }
    /// <summary>Voxel count of component c at index c − 1.</summary>
    public required int[] Sizes { get; init; }
    public required ImageGrid Grid { get; init; }

    public static ConnectedComponents Label(MaskVolume mask, Connectivity connectivity = Connectivity.Corners26)
    {
        var g = mask.Grid;
        var offsets = new List<(int, int, int)>();
        for (var dk = -1; dk <= 1; dk++)
            for (var dj = -1; dj <= 1; dj++)
                for (var di = -1; di <= 1; di++)
                {
                    var order = Math.Abs(di) + Math.Abs(dj) + Math.Abs(dk);
                    if (order == 0 || (connectivity == Connectivity.Faces6 && order > 1) || (connectivity == Connectivity.Edges18 && order > 2)) continue;
                    offsets.Add((di, dj, dk));
                }
        var labels = new int[mask.Voxels.Length];
        var sizes = new List<int>();
        var queue = new Queue<int>();
        for (var start = 0; start < labels.Length; start++)
        {
            if (!mask.Voxels[start] || labels[start] != 0) continue;
            var label = sizes.Count + 1;
            var size = 0;
            labels[start] = label;
            queue.Enqueue(start);
            while (queue.Count > 0)
            {
                var n = queue.Dequeue();
                size++;
                int i = n % g.SizeX, j = n / g.SizeX % g.SizeY, k = n / (g.SizeX * g.SizeY);
                foreach (var (di, dj, dk) in offsets)
                {
                    int x = i + di, y = j + dj, z = k + dk;
                    if (x < 0 || y < 0 || z < 0 || x >= g.SizeX || y >= g.SizeY || z >= g.SizeZ) continue;
                    var m = g.Index(x, y, z);
                    if (!mask.Voxels[m] || labels[m] != 0) continue;
                    labels[m] = label;
                    queue.Enqueue(m);
                }
            }
            sizes.Add(size);
        }
        return new ConnectedComponents { Labels = labels, Count = sizes.Count, Sizes = [.. sizes], Grid = g };
    }

    public MaskVolume Component(int label, string? name = null) =>
        new(Grid, Labels.Select(l => l == label).ToArray(), name ?? $"component {label}");

    /// <summary>The component holding voxel (i, j, k), or null when that voxel is outside the mask.</summary>
    public MaskVolume? ComponentAt(int i, int j, int k, string? name = null) =>
        Labels[Grid.Index(i, j, k)] is var l and > 0 ? Component(l, name) : null;

    public MaskVolume Largest(string? name = null) =>
        Count == 0 ? new MaskVolume(Grid, new bool[Labels.Length], name ?? "empty") : Component(Array.IndexOf(Sizes, Sizes.Max()) + 1, name);

    /// <summary>Components of at least <paramref name="minimumMl"/> millilitres, merged into one mask.</summary>
    public MaskVolume WithoutSmallerThan(double minimumMl, string? name = null)
    {
        var keep = Sizes.Select(s => s * Grid.VoxelVolume / 1000 >= minimumMl).ToArray();
        return new MaskVolume(Grid, Labels.Select(l => l > 0 && keep[l - 1]).ToArray(), name ?? $"components ≥ {minimumMl} mL");
    }
}
