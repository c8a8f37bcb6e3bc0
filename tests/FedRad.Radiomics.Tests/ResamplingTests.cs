using System.Globalization;
using FedRad.Imaging;
using FedRad.Imaging.Resampling;

namespace FedRad.Radiomics.Tests;

/// <summary>Interpolation kernels against scipy.ndimage (data/resampling/make_reference.py), grids against IBSI's worked example.</summary>
public sealed class ResamplingTests
{
    private static (float[] Values, int Nx, int Ny, int Nz) ReferenceImage()
    {
        var rows = File.ReadAllLines(TestData.Path("resampling", "image.csv")).Skip(1).Select(Parse).ToList();
        int nx = (int)rows.Max(r => r[0]) + 1, ny = (int)rows.Max(r => r[1]) + 1, nz = (int)rows.Max(r => r[2]) + 1;
        var v = new float[nx * ny * nz];
        foreach (var r in rows) v[(int)r[0] + nx * ((int)r[1] + ny * (int)r[2])] = (float)r[3];
        return (v, nx, ny, nz);
    }

    private static double[] Parse(string line) => line.Split(',').Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray();

    [Theory]
    [InlineData(InterpolationMethod.Nearest, 3)]
    [InlineData(InterpolationMethod.Linear, 4)]
    [InlineData(InterpolationMethod.CubicSpline, 5)]
    public void KernelsMatchScipyMapCoordinates(InterpolationMethod method, int column)
    {
        var (v, nx, ny, nz) = ReferenceImage();
        var interp = VolumeInterpolator.Create(method, v, nx, ny, nz);
        var samples = File.ReadAllLines(TestData.Path("resampling", "samples.csv")).Skip(1).Select(Parse).ToList();
        Assert.True(samples.Count >= 60);
        foreach (var s in samples)
        {
            var got = interp.Sample(s[0], s[1], s[2]);
            Assert.True(Math.Abs(got - s[column]) <= 1e-6 * Math.Max(1, Math.Abs(s[column])),
                $"{method} at ({s[0]}, {s[1]}, {s[2]}): scipy {s[column]}, got {got}");
        }
    }

    [Fact]
    public void CentreAlignedGridFollowsIbsiExample()
    {
        // IBSI 1, "Interpolation grid": a 4x4 grid of 3 mm resampled to 2 mm becomes 6x6 and keeps its centre,
        // so the new origin lies at x_a + (3·3 − 2·5)/2 = x_a − 0.5 mm.
        var source = ImageGrid.Axial(4, 4, 1, 3, 3, 5, new Vec3(10, 20, 30));
        var g = Resampler.CentreAlignedGrid(source, 2, 2, null);
        Assert.Equal((6, 6, 1), (g.SizeX, g.SizeY, g.SizeZ));
        Assert.Equal((2.0, 2.0, 5.0), (g.SpacingX, g.SpacingY, g.SpacingZ));
        Assert.Equal(9.5, g.Origin.X, 12);
        Assert.Equal(19.5, g.Origin.Y, 12);
        Assert.Equal(30, g.Origin.Z, 12);
        // Centres coincide.
        var cs = source.ToPatient(1.5, 1.5, 0);
        var cg = g.ToPatient(2.5, 2.5, 0);
        Assert.True((cs - cg).Length < 1e-12);
    }

    [Fact]
    public void LinearResamplingOntoARotatedGridReproducesALinearField()
    {
        // f(p) = 3x − 2y + 0.5z + 7 is reproduced exactly by trilinear interpolation anywhere inside the grid.
        static double F(Vec3 p) => 3 * p.X - 2 * p.Y + 0.5 * p.Z + 7;
        var src = ImageGrid.Axial(20, 18, 12, 1.5, 1.5, 3, new Vec3(-10, -12, 40));
        var values = new float[src.VoxelCount];
        for (var k = 0; k < src.SizeZ; k++)
            for (var j = 0; j < src.SizeY; j++)
                for (var i = 0; i < src.SizeX; i++) values[src.Index(i, j, k)] = (float)F(src.ToPatient(i, j, k));
        // Target: PET-like 4 mm grid, rotated 90° about z, inside the source.
        var target = new ImageGrid(4, 4, 5, 4, 4, 4, new Vec3(10, -5, 45), Vec3.UnitY, Vec3.UnitX * -1, Vec3.UnitZ);
        var result = Resampler.Resample(new ImageVolume(src, values), target, InterpolationMethod.Linear);
        for (var k = 0; k < target.SizeZ; k++)
            for (var j = 0; j < target.SizeY; j++)
                for (var i = 0; i < target.SizeX; i++)
                    Assert.Equal(F(target.ToPatient(i, j, k)), result[i, j, k], 3);
    }

    [Fact]
    public void PointsOutsideTheSourceAreNaNNotData()
    {
        var src = ImageGrid.Axial(4, 4, 4, 1, 1, 1);
        var img = new ImageVolume(src, Enumerable.Repeat(5f, 64).ToArray());
        var target = ImageGrid.Axial(2, 1, 1, 3, 1, 1, new Vec3(2, 1, 1)); // second voxel centre at x = 5, beyond the extent (3.5)
        var r = Resampler.Resample(img, target, InterpolationMethod.Linear);
        Assert.Equal(5f, r[0, 0, 0]);
        Assert.True(float.IsNaN(r[1, 0, 0]));
    }

    [Fact]
    public void MaskResamplingAppliesThePartialVolumeThreshold()
    {
        // A slab x in [2, 5] on a 1 mm grid, sampled on a grid shifted by 0.5 mm: fractions 0.5 on both edges.
        var src = ImageGrid.Axial(8, 1, 1, 1, 1, 1);
        var inside = Enumerable.Range(0, 8).Select(x => x >= 2 && x <= 5).ToArray();
        var mask = new MaskVolume(src, inside);
        var target = ImageGrid.Axial(7, 1, 1, 1, 1, 1, new Vec3(0.5, 0, 0));
        var fractions = Resampler.ResampleFractions(mask, target, InterpolationMethod.Linear);
        Assert.Equal([0f, 0.5f, 1f, 1f, 1f, 0.5f, 0f], fractions);
        Assert.Equal([false, true, true, true, true, true, false], Resampler.ResampleMask(mask, target, InterpolationMethod.Linear, 0.5).Voxels);
        Assert.Equal([false, false, true, true, true, false, false], Resampler.ResampleMask(mask, target, InterpolationMethod.Linear, 0.75).Voxels);
    }
}
