namespace FedRad.Radiomics.Geometry;

/// <summary>A closed triangle mesh: vertex coordinates (mm) and counter-clockwise triangles (normals point out of the ROI).</summary>
internal sealed class TriangleMesh(double[] x, double[] y, double[] z, int[] triangles)
{
    public double[] X { get; } = x;
    public double[] Y { get; } = y;
    public double[] Z { get; } = z;
    /// <summary>Vertex indices, three per triangle.</summary>
    public int[] Triangles { get; } = triangles;
    public int VertexCount => X.Length;

    /// <summary>Enclosed volume by the divergence theorem: Σ a·(b×c)/6 over the faces (IBSI RNU0).</summary>
    public double Volume()
    {
        double v = 0;
        for (var t = 0; t < Triangles.Length; t += 3)
        {
            int a = Triangles[t], b = Triangles[t + 1], c = Triangles[t + 2];
            v += X[a] * (Y[b] * Z[c] - Z[b] * Y[c]) - Y[a] * (X[b] * Z[c] - Z[b] * X[c]) + Z[a] * (X[b] * Y[c] - Y[b] * X[c]);
        }
        return Math.Abs(v) / 6;
    }

    /// <summary>Surface area: Σ |ab × ac| / 2 (IBSI C0JK).</summary>
    public double Area()
    {
        double s = 0;
        for (var t = 0; t < Triangles.Length; t += 3)
        {
            int a = Triangles[t], b = Triangles[t + 1], c = Triangles[t + 2];
            double ux = X[b] - X[a], uy = Y[b] - Y[a], uz = Z[b] - Z[a];
            double vx = X[c] - X[a], vy = Y[c] - Y[a], vz = Z[c] - Z[a];
            double cx = uy * vz - uz * vy, cy = uz * vx - ux * vz, cz = ux * vy - uy * vx;
            s += Math.Sqrt(cx * cx + cy * cy + cz * cz);
        }
        return s / 2;
    }
}

/// <summary>
/// Marching cubes (Lorensen &amp; Cline 1987) on a binary mask at iso-level 0.5, so every vertex sits at the midpoint of
/// a cube edge between an inside and an outside voxel centre, the mask being padded with outside voxels.
/// The case table is derived here rather than typed in: for each of the 256 corner configurations the surface's
/// boundary is traced on the six cube faces, the face segments are chained into loops and each loop is
/// triangulated. Two choices make it agree with the meshes behind the IBSI reference values (scikit-image's
/// marching cubes, used by MIRP): a face with two diagonal inside corners joins them (the same rule on both sides
/// of a face keeps the mesh closed), and a non-planar loop is triangulated so that it bulges towards the side with
/// fewer corners (towards the outside when at most 3 of the 8 corners are inside, else towards the inside).
/// With these rules the IBSI digital phantom mesh has exactly scikit-image's volume and area; configurations with
/// an interior ambiguity (scikit-image's Lewiner tables add a vertex there) still differ slightly.
/// </summary>
internal static class MarchingCubes
{
    // Corner c has offset (c & 1, (c >> 1) & 1, (c >> 2) & 1).
    private static readonly (int A, int B)[] Edges = BuildEdges();
    // For each configuration: triangles as triples of edge indices.
    private static readonly int[][] Table = BuildTable();

    public static TriangleMesh Build(bool[] mask, int nx, int ny, int nz, int x0, int x1, int y0, int y1, int z0, int z1, double sx, double sy, double sz)
    {
        bool Inside(int x, int y, int z) =>
            x >= x0 && x <= x1 && y >= y0 && y <= y1 && z >= z0 && z <= z1 && mask[x + nx * (y + ny * z)];

        // Cubes span voxel centres (x..x+1, ...) for x from x0-1 to x1 (the padding).
        int cx = x1 - x0 + 2, cy = y1 - y0 + 2, cz = z1 - z0 + 2;
        // Vertex ids per (lattice point, axis) so that shared edges share a vertex.
        int px = cx + 1, py = cy + 1, pz = cz + 1;
        var vertexOf = new int[3 * px * py * pz];
        Array.Fill(vertexOf, -1);
        var vx = new List<double>();
        var vy = new List<double>();
        var vz = new List<double>();
        var tris = new List<int>();
        Span<int> edgeVertex = stackalloc int[12];

        for (var k = 0; k < cz; k++)
            for (var j = 0; j < cy; j++)
                for (var i = 0; i < cx; i++)
                {
                    int gx = x0 - 1 + i, gy = y0 - 1 + j, gz = z0 - 1 + k;
                    var config = 0;
                    for (var c = 0; c < 8; c++)
                        if (Inside(gx + (c & 1), gy + ((c >> 1) & 1), gz + ((c >> 2) & 1))) config |= 1 << c;
                    var table = Table[config];
                    if (table.Length == 0) continue;
                    edgeVertex.Fill(-1);
                    foreach (var e in table)
                    {
                        if (edgeVertex[e] >= 0) continue;
                        var (a, b) = Edges[e];
                        // Lattice point of corner a and the axis towards b.
                        int ai = i + (a & 1), aj = j + ((a >> 1) & 1), ak = k + ((a >> 2) & 1);
                        var axis = (a ^ b) == 1 ? 0 : (a ^ b) == 2 ? 1 : 2;
                        var key = 3 * (ai + px * (aj + py * ak)) + axis;
                        if (vertexOf[key] < 0)
                        {
                            vertexOf[key] = vx.Count;
                            vx.Add((gx + ((a & 1) + (b & 1)) / 2.0) * sx);
                            vy.Add((gy + (((a >> 1) & 1) + ((b >> 1) & 1)) / 2.0) * sy);
                            vz.Add((gz + (((a >> 2) & 1) + ((b >> 2) & 1)) / 2.0) * sz);
                        }
                        edgeVertex[e] = vertexOf[key];
                    }
                    foreach (var e in table) tris.Add(edgeVertex[e]);
                }
        return new TriangleMesh(vx.ToArray(), vy.ToArray(), vz.ToArray(), tris.ToArray());
    }

    private static int BitCount(int v) => System.Numerics.BitOperations.PopCount((uint)v);

    /// <summary>
    /// The triangulation of a loop of edge midpoints with the most (towardsOutside) or least signed volume Σ a·(b×c):
    /// with the loops' orientation, more signed volume means the surface bulges away from the inside corners.
    /// Loops have at most 7 vertices, so all (at most 42) triangulations are tried.
    /// </summary>
    private static IEnumerable<int> Triangulate(List<int> loop, bool towardsOutside)
    {
        var points = loop.Select(Midpoint).ToArray();
        List<(int, int, int)>? best = null;
        var bestScore = double.NegativeInfinity;
        foreach (var t in Triangulations(Enumerable.Range(0, loop.Count).ToArray()))
        {
            double v = 0;
            foreach (var (a, b, c) in t)
            {
                var (p, q, r) = (points[a], points[b], points[c]);
                v += p.X * (q.Y * r.Z - q.Z * r.Y) - p.Y * (q.X * r.Z - q.Z * r.X) + p.Z * (q.X * r.Y - q.Y * r.X);
            }
            var score = towardsOutside ? -v : v;
            if (score > bestScore + 1e-12) { bestScore = score; best = t; }
        }
        return best!.SelectMany(t => new[] { loop[t.Item1], loop[t.Item2], loop[t.Item3] });
    }

    private static IEnumerable<List<(int, int, int)>> Triangulations(int[] polygon)
    {
        if (polygon.Length < 3) { yield return []; yield break; }
        // The edge (first, last) belongs to exactly one triangle (first, k, last); recurse on both sides of it.
        int first = polygon[0], last = polygon[^1];
        for (var k = 1; k < polygon.Length - 1; k++)
            foreach (var left in Triangulations(polygon[..(k + 1)]))
                foreach (var right in Triangulations(polygon[k..]))
                    yield return [.. left, .. right, (first, polygon[k], last)];
    }

    private static (double X, double Y, double Z) Midpoint(int edge)
    {
        var (a, b) = Edges[edge];
        return (((a & 1) + (b & 1)) / 2.0, (((a >> 1) & 1) + ((b >> 1) & 1)) / 2.0, (((a >> 2) & 1) + ((b >> 2) & 1)) / 2.0);
    }

    private static (int, int)[] BuildEdges()
    {
        var edges = new List<(int, int)>();
        for (var c = 0; c < 8; c++)
            for (var bit = 1; bit <= 4; bit <<= 1)
                if ((c & bit) == 0) edges.Add((c, c | bit));
        return edges.ToArray();
    }

    private static int EdgeIndex(int a, int b)
    {
        for (var e = 0; e < Edges.Length; e++)
            if ((Edges[e].A == a && Edges[e].B == b) || (Edges[e].A == b && Edges[e].B == a)) return e;
        throw new InvalidOperationException($"corners {a} and {b} share no edge");
    }

    // Corner cycles of the six faces, counter-clockwise seen from outside the cube (right-hand rule: outward normal).
    private static int[][] FaceCycles()
    {
        var faces = new List<int[]>();
        for (var axis = 0; axis < 3; axis++)
        {
            int u = (axis + 1) % 3, v = (axis + 2) % 3; // e_u × e_v = e_axis
            for (var side = 0; side < 2; side++)
            {
                int Corner(int du, int dv) => (side << axis) | (du << u) | (dv << v);
                var cycle = new[] { Corner(0, 0), Corner(1, 0), Corner(1, 1), Corner(0, 1) };
                if (side == 0) Array.Reverse(cycle); // outward normal is −e_axis
                faces.Add(cycle);
            }
        }
        return faces.ToArray();
    }

    private static int[][] BuildTable()
    {
        var faces = FaceCycles();
        var table = new int[256][];
        for (var config = 0; config < 256; config++)
        {
            bool In(int c) => (config >> c & 1) == 1;
            // Directed segments on the faces: from an exit crossing (inside → outside, going counter-clockwise)
            // to the next entry crossing, which keeps the inside on the face's inner side of the segment.
            var next = new Dictionary<int, int>();
            foreach (var f in faces)
            {
                var crossings = new List<(int Edge, bool Exit)>();
                for (var t = 0; t < 4; t++)
                {
                    int p = f[t], q = f[(t + 1) % 4];
                    if (In(p) != In(q)) crossings.Add((EdgeIndex(p, q), In(p)));
                }
                // With two crossings there is one segment; with four (diagonal inside corners) each exit joins the
                // entry that follows it, which connects the two inside corners across the face.
                for (var t = 0; t < crossings.Count; t++)
                {
                    if (!crossings[t].Exit) continue;
                    var entry = crossings[(t + 1) % crossings.Count];
                    next[crossings[t].Edge] = entry.Edge;
                }
            }
            var tris = new List<int>();
            var used = new HashSet<int>();
            var towardsOutside = BitCount(config) <= 3;
            foreach (var start in next.Keys.OrderBy(e => e))
            {
                if (used.Contains(start)) continue;
                var loop = new List<int>();
                for (var e = start; used.Add(e); e = next[e]) loop.Add(e);
                tris.AddRange(Triangulate(loop, towardsOutside));
            }
            table[config] = tris.ToArray();
        }
        return table;
    }
}
