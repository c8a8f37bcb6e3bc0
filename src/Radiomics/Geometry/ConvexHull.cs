namespace FedRad.Radiomics.Geometry;

/// <summary>
/// 3D convex hull of a point set by randomised incremental construction: each new point outside the hull removes
/// the faces it sees and is joined to the horizon. Used for the convex-hull densities and, through its vertices,
/// for the maximum 3D diameter.
/// </summary>
internal sealed class ConvexHull
{
    public double Volume { get; }
    public double Area { get; }
    /// <summary>Indices (into the input) of the points on the hull.</summary>
    public int[] VertexIndices { get; }

    private ConvexHull(double volume, double area, int[] vertices) { Volume = volume; Area = area; VertexIndices = vertices; }

    public static ConvexHull Build(double[] x, double[] y, double[] z)
    {
        var n = x.Length;
        var scale = 0.0;
        for (var i = 0; i < n; i++) scale = Math.Max(scale, Math.Max(Math.Abs(x[i]), Math.Max(Math.Abs(y[i]), Math.Abs(z[i]))));
        var eps = 1e-9 * Math.Max(scale, 1);

        var seed = InitialTetrahedron(x, y, z, eps);
        if (seed is null) return new ConvexHull(0, 0, Enumerable.Range(0, n).ToArray()); // coplanar points enclose nothing

        var faces = new List<Face>();
        var (a, b, c, d) = seed.Value;
        void AddOriented(int p, int q, int r, int inner)
        {
            var f = new Face(p, q, r, x, y, z);
            faces.Add(f.Distance(x[inner], y[inner], z[inner]) > 0 ? new Face(p, r, q, x, y, z) : f);
        }
        AddOriented(a, b, c, d); AddOriented(a, b, d, c); AddOriented(a, c, d, b); AddOriented(b, c, d, a);

        // Random insertion order keeps the expected work low on grid-like inputs.
        var order = Enumerable.Range(0, n).ToArray();
        new Random(12345).Shuffle(order);
        var horizon = new Dictionary<(int, int), bool>();
        foreach (var p in order)
        {
            if (p == a || p == b || p == c || p == d) continue;
            double px = x[p], py = y[p], pz = z[p];
            horizon.Clear();
            var visible = 0;
            for (var f = 0; f < faces.Count; f++)
            {
                if (faces[f].Distance(px, py, pz) <= eps) continue;
                visible++;
                var face = faces[f];
                foreach (var (u, v) in face.DirectedEdges())
                {
                    // An edge seen from both sides is interior to the visible region; keep only the horizon.
                    if (!horizon.Remove((v, u))) horizon[(u, v)] = true;
                }
                faces[f] = faces[^1];
                faces.RemoveAt(faces.Count - 1);
                f--;
            }
            if (visible == 0) continue;
            foreach (var (u, v) in horizon.Keys) faces.Add(new Face(u, v, p, x, y, z));
        }

        double volume = 0, area = 0;
        var vertices = new HashSet<int>();
        foreach (var f in faces)
        {
            // Tetrahedra from the seed point a (inside or on the hull) to every face.
            volume += f.Distance(x[a], y[a], z[a]) * -f.Area / 3;
            area += f.Area;
            vertices.Add(f.A); vertices.Add(f.B); vertices.Add(f.C);
        }
        return new ConvexHull(Math.Abs(volume), area, vertices.Order().ToArray());
    }

    private readonly struct Face
    {
        public readonly int A, B, C;
        private readonly double _nx, _ny, _nz, _off;
        public readonly double Area;

        public Face(int a, int b, int c, double[] x, double[] y, double[] z)
        {
            A = a; B = b; C = c;
            double ux = x[b] - x[a], uy = y[b] - y[a], uz = z[b] - z[a];
            double vx = x[c] - x[a], vy = y[c] - y[a], vz = z[c] - z[a];
            double nx = uy * vz - uz * vy, ny = uz * vx - ux * vz, nz = ux * vy - uy * vx;
            var len = Math.Sqrt(nx * nx + ny * ny + nz * nz);
            Area = len / 2;
            if (len > 0) { nx /= len; ny /= len; nz /= len; }
            _nx = nx; _ny = ny; _nz = nz;
            _off = -(nx * x[a] + ny * y[a] + nz * z[a]);
        }

        /// <summary>Signed distance of a point from the face plane (positive on the outer side).</summary>
        public double Distance(double px, double py, double pz) => _nx * px + _ny * py + _nz * pz + _off;

        public IEnumerable<(int, int)> DirectedEdges() { yield return (A, B); yield return (B, C); yield return (C, A); }
    }

    private static (int, int, int, int)? InitialTetrahedron(double[] x, double[] y, double[] z, double eps)
    {
        var n = x.Length;
        if (n < 4) return null;
        // Two extreme points along x, the point farthest from their line, then the farthest from that plane.
        int a = 0, b = 0;
        for (var i = 1; i < n; i++) { if (x[i] < x[a]) a = i; if (x[i] > x[b]) b = i; }
        if (a == b) { for (var i = 1; i < n; i++) if (Dist2(x, y, z, a, i) > Dist2(x, y, z, a, b)) b = i; }
        if (Dist2(x, y, z, a, b) <= eps * eps) return null;
        int c = -1;
        var best = eps;
        for (var i = 0; i < n; i++)
        {
            var d = LineDistance(x, y, z, a, b, i);
            if (d > best) { best = d; c = i; }
        }
        if (c < 0) return null;
        var plane = new Face(a, b, c, x, y, z);
        int dd = -1;
        best = eps;
        for (var i = 0; i < n; i++)
        {
            var d = Math.Abs(plane.Distance(x[i], y[i], z[i]));
            if (d > best) { best = d; dd = i; }
        }
        return dd < 0 ? null : (a, b, c, dd);
    }

    private static double Dist2(double[] x, double[] y, double[] z, int i, int j) =>
        (x[i] - x[j]) * (x[i] - x[j]) + (y[i] - y[j]) * (y[i] - y[j]) + (z[i] - z[j]) * (z[i] - z[j]);

    private static double LineDistance(double[] x, double[] y, double[] z, int a, int b, int p)
    {
        double ux = x[b] - x[a], uy = y[b] - y[a], uz = z[b] - z[a];
        double vx = x[p] - x[a], vy = y[p] - y[a], vz = z[p] - z[a];
        double cx = uy * vz - uz * vy, cy = uz * vx - ux * vz, cz = ux * vy - uy * vx;
        return Math.Sqrt(cx * cx + cy * cy + cz * cz) / Math.Sqrt(ux * ux + uy * uy + uz * uz);
    }
}
