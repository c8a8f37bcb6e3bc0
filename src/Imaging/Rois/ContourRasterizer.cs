namespace FedRad.Imaging.Rois;

/// <summary>
/// Turns closed planar contours into a mask on an image grid. The rule (documented in docs/imaging.md):
/// <list type="number">
/// <item>Contours must be parallel to the grid's slices. Contours in one plane are grouped; each plane is assigned to
/// the nearest slice, and a slice takes the single plane nearest its centre (a denser contour stack is not unioned).</item>
/// <item>Within a slice a voxel is inside when its centre is inside the polygons by the even–odd rule over all contours
/// of that plane, so a contour drawn inside another is a hole. Centres exactly on an edge count as inside on the
/// low-index side and outside on the high-index side (half-open scan lines), so shared edges are never counted twice.</item>
/// <item>No interpolation between contoured slices; POINT and OPEN_PLANAR contours are ignored (with a warning).</item>
/// </list>
/// </summary>
public static class ContourRasterizer
{
    public static MaskVolume Rasterize(RtRoi roi, ImageGrid grid, ICollection<string> warnings)
    {
        var inside = new bool[grid.VoxelCount];
        var normal = grid.AxisK;
        var z0 = grid.Origin.Dot(normal);
        var closed = roi.Contours.Where(c => c.GeometricType == "CLOSED_PLANAR" && c.Points.Length >= 3).ToList();
        var ignored = roi.Contours.Count - closed.Count;
        if (ignored > 0) warnings.Add($"ROI '{roi.Name}': {ignored} contour(s) that are not CLOSED_PLANAR polygons were ignored");
        if (closed.Count == 0)
        {
            warnings.Add($"ROI '{roi.Name}' has no closed contours: the mask is empty");
            return new MaskVolume(grid, inside, roi.Name);
        }

        // Group contours into planes (position along the grid normal) and check they are parallel to the slices.
        var planes = new List<(double Z, List<RtContour> Contours)>();
        var worstTilt = 0.0;
        foreach (var c in closed)
        {
            var zs = c.Points.Select(p => p.Dot(normal)).ToArray();
            worstTilt = Math.Max(worstTilt, zs.Max() - zs.Min());
            var z = zs.Average();
            var plane = planes.FindIndex(p => Math.Abs(p.Z - z) < 0.01);
            if (plane < 0) planes.Add((z, [c]));
            else planes[plane].Contours.Add(c);
        }
        if (worstTilt > 0.1 * grid.SpacingZ)
            throw new ImageFormatException(roi.SourcePath, -1, $"ROI '{roi.Name}': a contour spans {worstTilt:0.##} mm along the slice normal; contours oblique to the image slices are not rasterised");

        var chosen = new Dictionary<int, (double Distance, List<RtContour> Contours)>();
        var outside = 0;
        var worstOffset = 0.0;
        foreach (var (z, contours) in planes)
        {
            var kf = (z - z0) / grid.SpacingZ;
            var k = (int)Math.Round(kf);
            if (k < 0 || k >= grid.SizeZ) { outside += contours.Count; continue; }
            var distance = Math.Abs(kf - k);
            if (!chosen.TryGetValue(k, out var current) || distance < current.Distance) chosen[k] = (distance, contours);
        }
        foreach (var (k, (distance, contours)) in chosen)
        {
            worstOffset = Math.Max(worstOffset, distance * grid.SpacingZ);
            FillSlice(grid, k, contours, inside);
        }
        if (outside > 0) warnings.Add($"ROI '{roi.Name}': {outside} contour(s) lie outside the image's slice range and were ignored");
        if (worstOffset > 0.1 * grid.SpacingZ)
            warnings.Add($"ROI '{roi.Name}': contour planes lie up to {worstOffset:0.##} mm from the slice centres they were assigned to (contours drawn on another grid)");
        var planesUsed = chosen.Count;
        if (planes.Count - outside > 0 && planesUsed > 0)
        {
            var kMin = chosen.Keys.Min();
            var kMax = chosen.Keys.Max();
            var empty = Enumerable.Range(kMin, kMax - kMin + 1).Count(k => !chosen.ContainsKey(k));
            if (empty > 0) warnings.Add($"ROI '{roi.Name}': {empty} slice(s) between its first and last contour have no contour and stay empty (no interpolation)");
        }
        return new MaskVolume(grid, inside, roi.Name);
    }

    private static void FillSlice(ImageGrid grid, int k, List<RtContour> contours, bool[] inside)
    {
        // Polygons in continuous voxel indices of this slice.
        var polygons = contours.Select(c => c.Points.Select(p =>
        {
            var d = p - grid.Origin;
            return (X: d.Dot(grid.AxisI) / grid.SpacingX, Y: d.Dot(grid.AxisJ) / grid.SpacingY);
        }).ToArray()).ToList();
        var crossings = new List<double>();
        var offset = (long)k * grid.SizeX * grid.SizeY;
        for (var j = 0; j < grid.SizeY; j++)
        {
            crossings.Clear();
            foreach (var poly in polygons)
                for (var e = 0; e < poly.Length; e++)
                {
                    var a = poly[e];
                    var b = poly[(e + 1) % poly.Length];
                    // Half-open in y so that a vertex on the scan line is counted once.
                    if ((a.Y <= j && j < b.Y) || (b.Y <= j && j < a.Y))
                        crossings.Add(a.X + (j - a.Y) * (b.X - a.X) / (b.Y - a.Y));
                }
            if (crossings.Count < 2) continue;
            crossings.Sort();
            for (var c = 0; c + 1 < crossings.Count; c += 2)
            {
                var from = Math.Max(0, (int)Math.Ceiling(crossings[c]));
                var to = Math.Min(grid.SizeX - 1, (int)Math.Ceiling(crossings[c + 1]) - 1);   // centre i inside when x0 <= i < x1
                for (var i = from; i <= to; i++) inside[offset + (long)j * grid.SizeX + i] = true;
            }
        }
    }
}
