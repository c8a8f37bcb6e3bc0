using System.Globalization;
using System.IO.Compression;
using FedRad.Imaging.Nifti;

namespace FedRad.Imaging.Tests.Nifti;

public class NiftiReaderTests
{
    /// <summary>IBSI-1 digital phantom: every voxel against the IBSI voxel table (digital_phantom_voxels.csv).</summary>
    [Fact]
    public void IbsiPhantomMatchesPublishedVoxelTable()
    {
        var image = NiftiReader.Read(TestData.Path("ibsi-digital-phantom", "nifti", "image", "phantom.nii.gz"));
        var mask = NiftiReader.Read(TestData.Path("ibsi-digital-phantom", "nifti", "mask", "mask.nii.gz"));
        Assert.Equal((5, 4, 4), (image.Grid.SizeX, image.Grid.SizeY, image.Grid.SizeZ));
        Assert.Equal((2.0, 2.0, 2.0), (image.Grid.SpacingX, image.Grid.SpacingY, image.Grid.SpacingZ));
        Assert.Equal("sform", image.TransformSource);
        Assert.True(image.Grid.SameGeometry(mask.Grid));

        var rows = File.ReadAllLines(TestData.Path("ibsi-digital-phantom", "digital_phantom_voxels.csv")).Skip(1)
            .Select(l => l.Split(',').Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray()).ToList();
        Assert.Equal(80, rows.Count);
        foreach (var r in rows)
        {
            int x = (int)r[0], y = (int)r[1], z = (int)r[2];
            Assert.Equal(r[3], image.Voxels[image.Grid.Index(x, y, z)]);
            Assert.Equal(r[4], mask.Voxels[mask.Grid.Index(x, y, z)]);
        }
        // IBSI reference: volume by voxel counting YEKZ = 592 mm³ (74 voxels of 8 mm³), mean intensity Q4LE = 2.15.
        var roi = mask.ToMask();
        Assert.Equal(592.0, roi.Count() * roi.Grid.VoxelVolume, 6);
        var mean = Enumerable.Range(0, image.Voxels.Length).Where(n => roi.Voxels[n]).Average(n => image.Voxels[n]);
        Assert.Equal(2.15, mean, 2);
    }

    [Fact]
    public void IbsiPhantomSformIsTurnedFromRasIntoLps()
    {
        // srow_x = (-2,0,0,0), srow_y = (0,-2,0,0), srow_z = (0,0,2,0) in RAS  ->  +x, +y, +z axes in LPS.
        var image = NiftiReader.Read(TestData.Path("ibsi-digital-phantom", "nifti", "image", "phantom.nii.gz"));
        Assert.Equal(Vec3.UnitX, image.Grid.AxisI);
        Assert.Equal(Vec3.UnitY, image.Grid.AxisJ);
        Assert.Equal(Vec3.UnitZ, image.Grid.AxisK);
        Assert.Equal(new Vec3(4, 6, 2), image.Grid.ToPatient(2, 3, 1));
    }

    [Fact]
    public void QformIsUsedWhenThereIsNoSform()
    {
        // Quaternion (b,c,d) = (0,0,sin 45°): a 90° rotation about z; qfac -1 flips k; offsets in RAS.
        var bytes = Header(sx: 3, sy: 2, sz: 2, qform: 1, sform: 0, b: 0, c: 0, d: (float)Math.Sqrt(0.5), qfac: -1,
            pix: (1.5f, 2f, 3f), qoffset: (10, 20, 30));
        using var dir = TestData.Temp();
        var path = dir.File("q.nii");
        File.WriteAllBytes(path, bytes);
        var image = NiftiReader.Read(path);
        Assert.Equal("qform", image.TransformSource);
        // RAS: i -> +y*1.5, j -> -x*2, k -> -z*3, origin (10,20,30). LPS negates x and y.
        AssertNear(new Vec3(-10, -20, 30), image.Grid.Origin);
        AssertNear(new Vec3(0, -1, 0), image.Grid.AxisI);
        AssertNear(new Vec3(1, 0, 0), image.Grid.AxisJ);
        AssertNear(new Vec3(0, 0, -1), image.Grid.AxisK);
        Assert.Equal(1.5, image.Grid.SpacingX, 6);
        Assert.Equal(3.0, image.Grid.SpacingZ, 6);
        // Voxel (1,1,1): RAS = (10 - 2, 20 + 1.5, 30 - 3) -> LPS (-8, -21.5, 27).
        AssertNear(new Vec3(-8, -21.5, 27), image.Grid.ToPatient(1, 1, 1));
    }

    [Fact]
    public void SformWinsOverQformAndDisagreementIsReported()
    {
        var bytes = Header(sx: 2, sy: 2, sz: 2, qform: 1, sform: 2, b: 0, c: 0, d: 0, qfac: 1, pix: (1, 1, 1), qoffset: (0, 0, 0),
            srow: ([2, 0, 0, 5], [0, 2, 0, 6], [0, 0, 2, 7]));
        using var dir = TestData.Temp();
        var path = dir.File("s.nii");
        File.WriteAllBytes(path, bytes);
        var image = NiftiReader.Read(path);
        Assert.Equal("sform", image.TransformSource);
        AssertNear(new Vec3(-5, -6, 7), image.Grid.Origin);
        Assert.Equal(2.0, image.Grid.SpacingY, 6);
        Assert.Contains(image.Warnings, w => w.Contains("disagree"));
    }

    [Fact]
    public void WriterOutputReadsBackWithTheSameGeometryForAnObliqueLeftHandedGrid()
    {
        var c = Math.Cos(0.3); var s = Math.Sin(0.3);
        var grid = new ImageGrid(4, 3, 2, 0.8, 0.9, 2.5, new Vec3(-100, 50, -700),
            new Vec3(c, s, 0), new Vec3(-s, c, 0), new Vec3(0, 0, -1));
        var values = Enumerable.Range(0, 24).Select(i => i * 0.5f).ToArray();
        using var dir = TestData.Temp();
        var path = dir.File("o.nii.gz");
        NiftiWriter.Write(path, new ImageVolume(grid, values));
        var back = NiftiReader.Read(path);
        Assert.True(back.Grid.SameGeometry(grid, 1e-3), $"{back.Grid} vs {grid}");
        Assert.Equal(values, back.Voxels);
        Assert.Empty(back.Warnings);   // the written qform agrees with the sform
    }

    [Fact]
    public void TruncatedAndForeignFilesGiveClearErrors()
    {
        using var dir = TestData.Temp();
        var full = Header(sx: 4, sy: 4, sz: 4, qform: 0, sform: 0, b: 0, c: 0, d: 0, qfac: 1, pix: (1, 1, 1), qoffset: (0, 0, 0));
        var truncated = dir.File("t.nii");
        File.WriteAllBytes(truncated, full[..300]);
        var e = Assert.Throws<ImageFormatException>(() => NiftiReader.Read(truncated));
        Assert.Contains("t.nii", e.Message);
        Assert.Contains("header", e.Message);

        var shortData = dir.File("d.nii");
        File.WriteAllBytes(shortData, full[..(full.Length - 10)]);
        e = Assert.Throws<ImageFormatException>(() => NiftiReader.Read(shortData));
        Assert.Contains("declares", e.Message);

        var gzShort = dir.File("d.nii.gz");
        using (var f = File.Create(gzShort)) using (var gz = new GZipStream(f, CompressionLevel.Fastest)) gz.Write(full, 0, full.Length - 10);
        e = Assert.Throws<ImageFormatException>(() => NiftiReader.Read(gzShort));
        Assert.Contains("voxel data", e.Message);

        var garbage = dir.File("g.nii");
        File.WriteAllBytes(garbage, Enumerable.Repeat((byte)7, 500).ToArray());
        e = Assert.Throws<ImageFormatException>(() => NiftiReader.Read(garbage));
        Assert.Contains("sizeof_hdr", e.Message);
    }

    private static void AssertNear(Vec3 expected, Vec3 actual) =>
        Assert.True((expected - actual).Length < 1e-4, $"expected {expected}, got {actual}");

    /// <summary>A hand-built NIfTI-1 header (+ int16 ramp data) so that each transform field is set explicitly.</summary>
    private static byte[] Header(int sx, int sy, int sz, short qform, short sform, float b, float c, float d, float qfac,
        (float X, float Y, float Z) pix, (float X, float Y, float Z) qoffset, (float[] X, float[] Y, float[] Z)? srow = null)
    {
        var n = sx * sy * sz;
        var buf = new byte[352 + 2 * n];
        var w = new BinaryWriter(new MemoryStream(buf));
        void At(int offset, Action a) { w.Seek(offset, SeekOrigin.Begin); a(); }
        At(0, () => w.Write(348));
        At(40, () => { foreach (var v in new short[] { 3, (short)sx, (short)sy, (short)sz, 1, 1, 1, 1 }) w.Write(v); });
        At(70, () => { w.Write((short)4); w.Write((short)16); });
        At(76, () => { foreach (var v in new[] { qfac, pix.X, pix.Y, pix.Z, 0, 0, 0, 0 }) w.Write(v); });
        At(108, () => w.Write(352f));
        At(123, () => w.Write((byte)2));
        At(252, () => { w.Write(qform); w.Write(sform); });
        At(256, () => { foreach (var v in new[] { b, c, d, qoffset.X, qoffset.Y, qoffset.Z }) w.Write(v); });
        if (srow is { } rows) At(280, () => { foreach (var v in rows.X.Concat(rows.Y).Concat(rows.Z)) w.Write(v); });
        At(344, () => w.Write("n+1\0"u8.ToArray()));
        At(352, () => { for (var i = 0; i < n; i++) w.Write((short)i); });
        return buf;
    }
}
