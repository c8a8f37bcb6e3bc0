using FedRad.Radiomics.Processing;

namespace FedRad.Radiomics.Families;

/// <summary>
/// Zones for GLSZM and GLDZM: connected groups of intensity-mask voxels of one grey level (8-connected in a slice
/// for 2D, 26-connected for 3D), each with its size and its distance to the ROI border.
/// </summary>
internal static class Zones
{
    public readonly record struct Zone(int Level, int Size, int Distance);

    /// <summary>
    /// Zones in slices z0..z1 (one slice for 2D). <paramref name="distance"/> (from <see cref="BorderDistance"/>)
    /// gives each zone the smallest border distance of its voxels; pass null when only sizes are needed.
    /// <paramref name="seen"/> marks visited voxels; slices are disjoint, so one buffer serves a whole pass.
    /// </summary>
    public static List<Zone> Find(PreparedRoi roi, int z0, int z1, bool threeD, int[]? distance, bool[] seen)
    {
        var neighbours = TextureSupport.Neighbourhood(1, threeD);
        var zones = new List<Zone>();
        var stack = new Stack<(int X, int Y, int Z)>();
        for (var z = z0; z <= z1; z++)
            for (var y = roi.Y0; y <= roi.Y1; y++)
                for (var x = roi.X0; x <= roi.X1; x++)
                {
                    var n = roi.Index(x, y, z);
                    if (!roi.Mask[n] || seen[n]) continue;
                    var level = roi.Level[n];
                    int size = 0, minDist = int.MaxValue;
                    seen[n] = true;
                    stack.Push((x, y, z));
                    while (stack.Count > 0)
                    {
                        var (cx, cy, cz) = stack.Pop();
                        var c = roi.Index(cx, cy, cz);
                        size++;
                        if (distance is not null) minDist = Math.Min(minDist, distance[c]);
                        foreach (var (dx, dy, dz) in neighbours)
                        {
                            int qx = cx + dx, qy = cy + dy, qz = cz + dz;
                            if (qz < z0 || qz > z1 || !TextureSupport.InMask(roi, qx, qy, qz)) continue;
                            var q = roi.Index(qx, qy, qz);
                            if (seen[q] || roi.Level[q] != level) continue;
                            seen[q] = true;
                            stack.Push((qx, qy, qz));
                        }
                    }
                    zones.Add(new Zone(level, size, distance is null ? 0 : minDist));
                }
        return zones;
    }

    /// <summary>
    /// Distance of each morphological-mask voxel to the ROI border: 1 for voxels with a face neighbour outside the
    /// ROI (4-connected in a slice for 2D, 6-connected in 3D), growing by one per step inwards (IBSI GLDZM).
    /// The morphological mask is used so that re-segmentation holes do not count as border.
    /// </summary>
    public static int[] BorderDistance(PreparedRoi roi, bool threeD)
    {
        var dist = new int[roi.Morph.Length];
        (int, int, int)[] steps = threeD
            ? [(1, 0, 0), (-1, 0, 0), (0, 1, 0), (0, -1, 0), (0, 0, 1), (0, 0, -1)]
            : [(1, 0, 0), (-1, 0, 0), (0, 1, 0), (0, -1, 0)];
        bool InRoi(int x, int y, int z) =>
            x >= roi.X0 && x <= roi.X1 && y >= roi.Y0 && y <= roi.Y1 && z >= roi.Z0 && z <= roi.Z1 && roi.Morph[roi.Index(x, y, z)];
        var queue = new Queue<(int X, int Y, int Z)>();
        for (var z = roi.Z0; z <= roi.Z1; z++)
            for (var y = roi.Y0; y <= roi.Y1; y++)
                for (var x = roi.X0; x <= roi.X1; x++)
                {
                    if (!roi.Morph[roi.Index(x, y, z)]) continue;
                    foreach (var (dx, dy, dz) in steps)
                        if (!InRoi(x + dx, y + dy, z + dz)) { dist[roi.Index(x, y, z)] = 1; queue.Enqueue((x, y, z)); break; }
                }
        while (queue.Count > 0)
        {
            var (x, y, z) = queue.Dequeue();
            var d = dist[roi.Index(x, y, z)];
            foreach (var (dx, dy, dz) in steps)
            {
                int qx = x + dx, qy = y + dy, qz = z + dz;
                if (!InRoi(qx, qy, qz)) continue;
                var q = roi.Index(qx, qy, qz);
                if (dist[q] != 0) continue;
                dist[q] = d + 1;
                queue.Enqueue((qx, qy, qz));
            }
        }
        return dist;
    }

    /// <summary>
    /// The 16 features shared in form by GLSZM and GLDZM, from zones indexed by grey level i and by j (zone size or
    /// distance), with N_v voxels: small/large j emphasis, grey level emphases and their combinations,
    /// non-uniformities, zone percentage, variances and entropy.
    /// </summary>
    public static double[] Features(IReadOnlyList<(int I, int J)> zones, double voxels)
    {
        double ns = zones.Count;
        var byLevel = new Dictionary<int, double>();
        var byJ = new Dictionary<int, double>();
        var joint = new Dictionary<(int, int), double>();
        double sj = 0, lj = 0, lg = 0, hg = 0, sjlg = 0, sjhg = 0, ljlg = 0, ljhg = 0;
        foreach (var (li, lj_) in zones)
        {
            double i = li, j = lj_;
            byLevel[li] = byLevel.GetValueOrDefault(li) + 1;
            byJ[lj_] = byJ.GetValueOrDefault(lj_) + 1;
            joint[(li, lj_)] = joint.GetValueOrDefault((li, lj_)) + 1;
            sj += 1 / (j * j); lj += j * j; lg += 1 / (i * i); hg += i * i;
            sjlg += 1 / (i * i * j * j); sjhg += i * i / (j * j); ljlg += j * j / (i * i); ljhg += i * i * j * j;
        }
        double glnu = byLevel.Values.Sum(v => v * v), jnu = byJ.Values.Sum(v => v * v);
        double muI = 0, muJ = 0, entr = 0;
        foreach (var ((i, j), c) in joint)
        {
            var p = c / ns;
            muI += i * p; muJ += j * p;
            entr -= p * Math.Log2(p);
        }
        double varI = 0, varJ = 0;
        foreach (var ((i, j), c) in joint)
        {
            var p = c / ns;
            varI += (i - muI) * (i - muI) * p;
            varJ += (j - muJ) * (j - muJ) * p;
        }
        return
        [
            sj / ns, lj / ns, lg / ns, hg / ns, sjlg / ns, sjhg / ns, ljlg / ns, ljhg / ns,
            glnu / ns, glnu / (ns * ns), jnu / ns, jnu / (ns * ns), ns / voxels, varI, varJ, entr,
        ];
    }
}
