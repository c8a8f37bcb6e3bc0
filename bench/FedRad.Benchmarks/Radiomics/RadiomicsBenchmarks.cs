using BenchmarkDotNet.Attributes;
using FedRad.Imaging;
using FedRad.Radiomics;
using FedRad.Radiomics.Settings;

namespace FedRad.Benchmarks.Radiomics;

/// <summary>
/// The full 3D IBSI feature set for a lesion whose bounding box is 100×100×60 voxels (an ellipsoid filling the
/// box, ~314k voxels, plus a 10-voxel margin of background), 32 grey levels (FBN), one thread. Each family is also
/// timed alone (its time includes the ROI preparation, measured separately). Baseline: one pass summing the ROI's
/// voxels, i.e. the memory traffic any extraction must pay.
/// Run: dotnet run -c Release --project bench/FedRad.Benchmarks -- --filter '*RadiomicsBenchmarks*'
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 6)]
public class RadiomicsBenchmarks
{
    private ImageVolume _image = null!;
    private MaskVolume _mask = null!;
    private RadiomicsSettings _settings = null!;

    [ParamsAllValues]
    public FeatureFamily Family { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        (_image, _mask) = SyntheticLesion(100, 100, 60, margin: 10);
        _settings = new RadiomicsSettings
        {
            Approaches = [TextureApproach.ThreeD],
            TextureDiscretisation = new DiscretisationSettings(DiscretisationMethod.FixedBinNumber, Bins: 32),
            IvhDiscretisation = new DiscretisationSettings(DiscretisationMethod.FixedBinNumber, Bins: 1000),
            Families = new HashSet<FeatureFamily> { Family },
        };
    }

    [Benchmark(Description = "one family (incl. preparation)")]
    public int OneFamily() => RadiomicsExtractor.Extract(_image, _mask, _settings).Values.Count;

    /// <summary>Deterministic smooth lesion with noise: FDG-like uptake rising towards the centre.</summary>
    internal static (ImageVolume, MaskVolume) SyntheticLesion(int bx, int by, int bz, int margin)
    {
        int nx = bx + 2 * margin, ny = by + 2 * margin, nz = bz + 2 * margin;
        var grid = ImageGrid.Axial(nx, ny, nz, 1.0, 1.0, 1.5);
        var values = new float[grid.VoxelCount];
        var inside = new bool[grid.VoxelCount];
        var rng = new Random(42);
        for (var k = 0; k < nz; k++)
            for (var j = 0; j < ny; j++)
                for (var i = 0; i < nx; i++)
                {
                    double x = (i - margin - (bx - 1) / 2.0) / (bx / 2.0), y = (j - margin - (by - 1) / 2.0) / (by / 2.0), z = (k - margin - (bz - 1) / 2.0) / (bz / 2.0);
                    var r2 = x * x + y * y + z * z;
                    var n = grid.Index(i, j, k);
                    inside[n] = r2 <= 1;
                    values[n] = (float)(1.5 + 8 * Math.Exp(-2 * r2) + 0.8 * (rng.NextDouble() - 0.5) + Math.Sin(i * 0.3) * Math.Cos(j * 0.2));
                }
        return (new ImageVolume(grid, values, "SUV"), new MaskVolume(grid, inside, "lesion"));
    }
}

/// <summary>All families together, and the memory-bandwidth baseline, on the same lesion.</summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 6)]
public class RadiomicsFullSetBenchmarks
{
    private ImageVolume _image = null!;
    private MaskVolume _mask = null!;
    private RadiomicsSettings _settings = null!;

    [GlobalSetup]
    public void Setup()
    {
        (_image, _mask) = RadiomicsBenchmarks.SyntheticLesion(100, 100, 60, margin: 10);
        _settings = new RadiomicsSettings
        {
            Approaches = [TextureApproach.ThreeD],
            TextureDiscretisation = new DiscretisationSettings(DiscretisationMethod.FixedBinNumber, Bins: 32),
            IvhDiscretisation = new DiscretisationSettings(DiscretisationMethod.FixedBinNumber, Bins: 1000),
        };
    }

    [Benchmark(Baseline = true, Description = "baseline: sum ROI voxels")]
    public double SumRoi()
    {
        double s = 0;
        var v = _image.Voxels;
        var m = _mask.Voxels;
        for (var n = 0; n < v.Length; n++) if (m[n]) s += v[n];
        return s;
    }

    [Benchmark(Description = "full 3D IBSI feature set")]
    public int FullSet() => RadiomicsExtractor.Extract(_image, _mask, _settings).Values.Count;
}
