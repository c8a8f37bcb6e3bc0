using System.Globalization;
using FedRad.Imaging;
using FedRad.Imaging.Nifti;

namespace FedRad.Radiomics.Tests;

/// <summary>Fixtures copied next to the test assembly (see the .csproj).</summary>
internal static class TestData
{
    public static string Path(params string[] parts) => System.IO.Path.Combine([AppContext.BaseDirectory, "data", .. parts]);
    public static string Config(string name) => System.IO.Path.Combine(AppContext.BaseDirectory, "configs", name);

    /// <summary>The IBSI digital phantom, read from its NIfTI files with the Imaging reader.</summary>
    public static (ImageVolume Image, MaskVolume Mask) DigitalPhantom()
    {
        var image = NiftiReader.Read(Path("ibsi-digital-phantom", "nifti", "image", "phantom.nii.gz")).ToImageVolume();
        var mask = NiftiReader.Read(Path("ibsi-digital-phantom", "nifti", "mask", "mask.nii.gz")).ToMask(name: "phantom");
        return (image, mask);
    }

    /// <summary>The same phantom from its voxel table (x, y, z, intensity, mask), 2 mm voxels.</summary>
    public static (ImageVolume Image, MaskVolume Mask) DigitalPhantomFromCsv()
    {
        var rows = File.ReadAllLines(Path("ibsi-digital-phantom", "digital_phantom_voxels.csv")).Skip(1)
            .Select(l => l.Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray()).ToList();
        int nx = (int)rows.Max(r => r[0]) + 1, ny = (int)rows.Max(r => r[1]) + 1, nz = (int)rows.Max(r => r[2]) + 1;
        var grid = ImageGrid.Axial(nx, ny, nz, 2, 2, 2);
        var values = new float[grid.VoxelCount];
        var inside = new bool[grid.VoxelCount];
        foreach (var r in rows)
        {
            var n = grid.Index((int)r[0], (int)r[1], (int)r[2]);
            values[n] = (float)r[3];
            inside[n] = r[4] == 1;
        }
        return (new ImageVolume(grid, values), new MaskVolume(grid, inside, "phantom"));
    }

    /// <summary>Directory for reports a test writes (next to the test assembly).</summary>
    public static string OutputDirectory(string name)
    {
        var dir = System.IO.Path.Combine(AppContext.BaseDirectory, "test-output", name);
        Directory.CreateDirectory(dir);
        return dir;
    }
}
