using FedRad.Imaging;
using FedRad.Radiomics.Features;
using FedRad.Radiomics.Processing;
using FedRad.Radiomics.Settings;

namespace FedRad.Radiomics.Tests;

/// <summary>Inputs features cannot be computed from give a clear error; degenerate ROIs give values or documented NaNs.</summary>
public sealed class BadInputTests
{
    private static readonly RadiomicsSettings AllApproaches = new RadiomicsSettings
    {
        Approaches = [TextureApproach.TwoD, TextureApproach.TwoPointFiveD, TextureApproach.ThreeD],
        TextureDiscretisation = new(DiscretisationMethod.FixedBinNumber, Bins: 8),
        IvhDiscretisation = new(DiscretisationMethod.FixedBinNumber, Bins: 100),
    };

    private static (ImageVolume, MaskVolume) Volume(int n, Func<int, int, int, float> value, Func<int, int, int, bool> inside, double spacing = 2)
    {
        var g = ImageGrid.Axial(n, n, n, spacing, spacing, spacing);
        var v = new float[g.VoxelCount];
        var m = new bool[g.VoxelCount];
        for (var k = 0; k < n; k++)
            for (var j = 0; j < n; j++)
                for (var i = 0; i < n; i++) { v[g.Index(i, j, k)] = value(i, j, k); m[g.Index(i, j, k)] = inside(i, j, k); }
        return (new ImageVolume(g, v), new MaskVolume(g, m, "lesion"));
    }

    private static void EveryNaNHasAReason(FeatureSet set)
    {
        Assert.All(set.Values, v => Assert.True(!double.IsNaN(v.Value) || !string.IsNullOrEmpty(v.NanReason), $"{v.ColumnName()} is NaN without a reason"));
        Assert.All(set.Values, v => Assert.False(double.IsInfinity(v.Value), $"{v.ColumnName()} is infinite"));
    }

    [Fact]
    public void EmptyMaskIsAnError()
    {
        var (img, mask) = Volume(6, (_, _, _) => 1, (_, _, _) => false);
        var e = Assert.Throws<RadiomicsInputException>(() => RadiomicsExtractor.Extract(img, mask, AllApproaches));
        Assert.Contains("'lesion'", e.Message);
        Assert.Contains("empty", e.Message);
    }

    [Fact]
    public void MismatchedGridsAreAnError()
    {
        var (img, _) = Volume(6, (_, _, _) => 1, (_, _, _) => true);
        var other = ImageGrid.Axial(6, 6, 6, 2, 2, 3);
        var mask = new MaskVolume(other, Enumerable.Repeat(true, 216).ToArray(), "lesion");
        var e = Assert.Throws<RadiomicsInputException>(() => RadiomicsExtractor.Extract(img, mask, AllApproaches));
        Assert.Contains("differs from the image grid", e.Message);
    }

    [Fact]
    public void NaNInsideTheRoiIsAnErrorNamingTheVoxel()
    {
        var (img, mask) = Volume(6, (i, j, k) => i == 3 && j == 3 && k == 2 ? float.NaN : 5, (i, j, k) => i is >= 2 and <= 4 && j is >= 2 and <= 4 && k is >= 1 and <= 3);
        var e = Assert.Throws<RadiomicsInputException>(() => RadiomicsExtractor.Extract(img, mask, AllApproaches));
        Assert.Contains("NaN", e.Message);
    }

    [Fact]
    public void NaNOutsideTheRoiIsIgnoredByTheLocalIntensitySphere()
    {
        // The peak sphere (r = 6.2 mm) around the ROI voxel reaches the NaN voxel 2 mm away; it is left out of the mean.
        var (img, mask) = Volume(7, (i, j, k) => i == 4 && j == 3 && k == 3 ? float.NaN : i == 3 && j == 3 && k == 3 ? 10 : 2, (i, j, k) => i == 3 && j == 3 && k == 3);
        var set = RadiomicsExtractor.Extract(img, mask, AllApproaches);
        var peak = set.Get("VJGA").Value;
        // Voxel centres within 6.2 mm on a 2 mm grid: 123 offsets (|o|² ≤ 9.62 in voxel units); one is NaN.
        Assert.Equal((10 + 2 * 121) / 122.0, peak, 10);
    }

    [Fact]
    public void SingleVoxelRoiGivesValuesOrDocumentedNaN()
    {
        var (img, mask) = Volume(5, (i, j, k) => i + j + k, (i, j, k) => i == 2 && j == 2 && k == 2);
        var set = RadiomicsExtractor.Extract(img, mask, AllApproaches);
        EveryNaNHasAReason(set);
        // Marching cubes around one voxel of side s is an octahedron with vertices s/2 from the centre: V = (4/3)(s/2)³.
        Assert.Equal(4.0 / 3, set.Get("RNU0").Value, 10);
        Assert.Equal(8, set.Get("YEKZ").Value, 10);
        Assert.Equal(1, set.Get("P30P", Aggregation.ThreeD).Value, 10); // one zone of one voxel
        Assert.True(double.IsNaN(set.Get("N365").Value)); // Moran's I needs two voxels
        Assert.True(double.IsNaN(set.Get("GYBY", Aggregation.ThreeDMerged).Value)); // no co-occurring pair
    }

    [Fact]
    public void ConstantIntensityGivesValuesOrDocumentedNaN()
    {
        var (img, mask) = Volume(8, (_, _, _) => 42, (i, j, k) => i is >= 2 and <= 5 && j is >= 2 and <= 5 && k is >= 2 and <= 5);
        var set = RadiomicsExtractor.Extract(img, mask, AllApproaches);
        EveryNaNHasAReason(set);
        Assert.Equal(0, set.Get("ECT3").Value); // variance
        Assert.Equal(0, set.Get("KE2A").Value); // IBSI: skewness 0 when the variance is 0
        Assert.Equal(1, set.Get("GYBY", Aggregation.ThreeDMerged).Value); // one GLCM cell
        Assert.True(double.IsNaN(set.Get("NI2N", Aggregation.ThreeDMerged).Value)); // correlation undefined
        Assert.True(double.IsNaN(set.Get("NPT7").Value)); // Geary's C undefined
        Assert.Equal(64, set.IntensityVoxelCount);
    }

    [Fact]
    public void MoranOnAnOversizedBoundingBoxIsADocumentedNaNNotAnOutOfMemory()
    {
        // Two voxels at opposite corners of a 129x129x65 box would need a 512x512x256 FFT grid (4 GiB of buffers).
        var g = ImageGrid.Axial(129, 129, 65, 1, 1, 1);
        var m = new bool[g.VoxelCount];
        m[g.Index(0, 0, 0)] = true;
        m[g.Index(128, 128, 64)] = true;
        var v = new float[g.VoxelCount];
        v[g.Index(0, 0, 0)] = 1;
        var s = new RadiomicsSettings { Families = new HashSet<FeatureFamily> { FeatureFamily.Morphology } };
        var moran = RadiomicsExtractor.Extract(new ImageVolume(g, v), new MaskVolume(g, m), s).Get("N365");
        Assert.True(double.IsNaN(moran.Value));
        Assert.Contains("FFT grid", moran.NanReason);
    }

    [Fact]
    public void ResegmentationThatRemovesEverythingIsAnError()
    {
        var (img, mask) = Volume(6, (_, _, _) => -900, (i, _, _) => i > 1);
        var s = AllApproaches with { Resegmentation = new ResegmentationSettings { RangeLower = -500, RangeUpper = 400 } };
        var e = Assert.Throws<RadiomicsInputException>(() => RadiomicsExtractor.Extract(img, mask, s));
        Assert.Contains("removed all", e.Message);
    }

    [Fact]
    public void RoiSmallerThanTheNewVoxelsIsAnError()
    {
        var (img, mask) = Volume(10, (i, j, k) => i, (i, j, k) => i == 5 && j == 5 && k == 5, spacing: 1);
        var s = AllApproaches with { Interpolation = new InterpolationSettings { Enabled = true, SpacingX = 4, SpacingY = 4, SpacingZ = 4, PartialVolumeThreshold = 0.9 } };
        var e = Assert.Throws<RadiomicsInputException>(() => RadiomicsExtractor.Extract(img, mask, s));
        Assert.Contains("partial volume threshold", e.Message);
    }
}
