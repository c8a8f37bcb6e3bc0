using FedRad.Imaging;
using FedRad.Radiomics.Features;
using FedRad.Radiomics.Settings;

namespace FedRad.Radiomics.Tests;

/// <summary>Re-segmentation and discretisation against IBSI's formulas worked by hand; every preset end to end.</summary>
public sealed class ProcessingTests
{
    private static (ImageVolume, MaskVolume) Row(params float[] values)
    {
        // A 1-voxel-thick row of ROI voxels inside a larger image of background.
        var g = ImageGrid.Axial(values.Length + 2, 3, 3, 1, 1, 1);
        var v = new float[g.VoxelCount];
        var m = new bool[g.VoxelCount];
        for (var i = 0; i < values.Length; i++) { v[g.Index(i + 1, 1, 1)] = values[i]; m[g.Index(i + 1, 1, 1)] = true; }
        return (new ImageVolume(g, v), new MaskVolume(g, m, "row"));
    }

    [Fact]
    public void RangeResegmentationAndFixedBinSizeUseTheLowerBound()
    {
        // IBSI: X_d = floor((X − X_min)/w) + 1 with X_min = −500 (range lower bound): −500 → 1, −490 → 1, 0 → 21,
        // 400 → 37; −600 and 500 leave the intensity mask but stay in the morphological one.
        var (img, mask) = Row(-600, -500, -490, 0, 400, 500);
        var s = new RadiomicsSettings
        {
            Resegmentation = new ResegmentationSettings { RangeLower = -500, RangeUpper = 400 },
            TextureDiscretisation = new DiscretisationSettings(DiscretisationMethod.FixedBinSize, BinWidth: 25),
            IvhDiscretisation = new DiscretisationSettings(DiscretisationMethod.None),
        };
        var set = RadiomicsExtractor.Extract(img, mask, s);
        Assert.Equal((6, 4), (set.MorphologicalVoxelCount, set.IntensityVoxelCount));
        Assert.Equal(1, set.Get("1PR8").Value);   // minimum discretised intensity
        Assert.Equal(37, set.Get("3NCY").Value);  // maximum discretised intensity
        Assert.Equal((1 + 1 + 21 + 37) / 4.0, set.Get("X6K6").Value, 12);
        Assert.Equal(-500, set.Get("1GSF").Value); // statistics see the re-segmented intensities only
        Assert.Equal(6, set.Get("YEKZ").Value, 12); // morphology keeps all six voxels
        // IVH on whole HU over G = [−500, 400]: V10 = fraction with X ≥ −410 = 2/4; I10 = lowest i with ν ≤ 0.1 = 401.
        Assert.Equal(0.5, set.Get("BC2M/NK6P").Value, 12);
        Assert.Equal(401, set.Get("GBPN/PWN1").Value, 12);
    }

    [Fact]
    public void OutlierFilterRemovesVoxelsBeyondThreeSigma()
    {
        // 20 voxels at 10 and one at 100: μ = 14.29, σ = 19.17, μ + 3σ = 71.8, so only 100 goes.
        var (img, mask) = Row([.. Enumerable.Repeat(10f, 20), 100f]);
        var s = new RadiomicsSettings { Resegmentation = new ResegmentationSettings { OutlierSigma = 3 } };
        var set = RadiomicsExtractor.Extract(img, mask, s);
        Assert.Equal((21, 20), (set.MorphologicalVoxelCount, set.IntensityVoxelCount));
        Assert.Equal(10, set.Get("84IY").Value);
        Assert.Contains(set.Notes, n => n.Contains("removed 1 of 21"));
    }

    [Fact]
    public void FixedBinNumberSpansTheRoiRange()
    {
        // IBSI FBN with N_g = 4 over [0, 8]: 0 → 1, 2 → 2, 4 → 3, 7.9 → 4, 8 → 4 (the maximum goes to N_g).
        var (img, mask) = Row(0, 2, 4, 7.9f, 8);
        var s = new RadiomicsSettings { TextureDiscretisation = new DiscretisationSettings(DiscretisationMethod.FixedBinNumber, Bins: 4) };
        var set = RadiomicsExtractor.Extract(img, mask, s);
        Assert.Equal((1 + 2 + 3 + 4 + 4) / 5.0, set.Get("X6K6").Value, 12);
        Assert.Equal(4, set.GreyLevels);
    }

    [Theory]
    [InlineData("ibsi-ct-config-A.yaml")]
    [InlineData("ibsi-ct-config-B.yaml")]
    [InlineData("ibsi-ct-config-C.yaml")]
    [InlineData("ibsi-ct-config-D.yaml")]
    [InlineData("ibsi-ct-config-E.yaml")]
    [InlineData("ct-hu-fbs25-3d.yaml")]
    [InlineData("pet-suv-fbs0.25-3d.yaml")]
    [InlineData("pet-suv-fbs0.5-2.5d.yaml")]
    public void PresetRunsEndToEndOnASyntheticLesion(string preset)
    {
        var settings = SettingsLoader.Load(TestData.Config(preset));
        var pet = settings.Modality == "PT";
        // A 20 mm sphere on a 0.98 x 0.98 x 2.5 mm grid: CT soft tissue with a hypodense core, or PET uptake in SUV.
        var g = ImageGrid.Axial(40, 40, 16, 0.98, 0.98, 2.5);
        var v = new float[g.VoxelCount];
        var m = new bool[g.VoxelCount];
        var rng = new Random(7);
        for (var k = 0; k < g.SizeZ; k++)
            for (var j = 0; j < g.SizeY; j++)
                for (var i = 0; i < g.SizeX; i++)
                {
                    var p = g.ToPatient(i, j, k) - new Vec3(19.6, 19.6, 20);
                    var r = p.Length;
                    var n = g.Index(i, j, k);
                    m[n] = r <= 10;
                    v[n] = pet ? (float)(1 + 9 * Math.Exp(-r * r / 60) + rng.NextDouble() * 0.3)
                               : r < 4 ? -20 + rng.Next(-30, 30) : r < 10 ? 45 + rng.Next(-40, 40) : -700 + rng.Next(-100, 100);
                }
        var set = RadiomicsExtractor.Extract(new ImageVolume(g, v), new MaskVolume(g, m, "lesion"), settings);
        Assert.All(set.Values, x => Assert.True(!double.IsNaN(x.Value) || x.NanReason is not null, $"{x.ColumnName()} NaN without reason"));
        Assert.All(set.Values, x => Assert.False(double.IsInfinity(x.Value), x.ColumnName()));
        // Mesh volume of the sphere near (4/3)π·10³ = 4189 mm³ whatever the grid (marching cubes cuts corners, more so
        // on the coarse 4 x 4 x 2.5 mm PET grid).
        Assert.InRange(set.Get("RNU0").Value, 0.85 * 4188.8, 1.03 * 4188.8);
        var expectedAggregations = settings.Approaches.SelectMany(a => a switch
        {
            TextureApproach.TwoD => new[] { Aggregation.TwoDAveraged, Aggregation.TwoDSliceMerged, Aggregation.TwoD },
            TextureApproach.TwoPointFiveD => [Aggregation.TwoPointFiveDDirectionMerged, Aggregation.TwoPointFiveDMerged, Aggregation.TwoPointFiveD],
            _ => [Aggregation.ThreeDAveraged, Aggregation.ThreeDMerged, Aggregation.ThreeD],
        }).Append(Aggregation.None).ToHashSet();
        Assert.Equal(expectedAggregations, set.Values.Select(x => x.Aggregation).ToHashSet());
    }
}
