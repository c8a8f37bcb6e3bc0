using System.Globalization;
using System.Text.RegularExpressions;
using FedRad.Imaging.Resampling;
using FedRad.Radiomics.Settings;

namespace FedRad.Radiomics.Tests;

public sealed class SettingsTests
{
    /// <summary>
    /// The shipped presets for IBSI CT phantom configurations A–E carry the parameters of IBSI's own table
    /// (ct_phantom_configurations_settings_only.csv), read here independently of the presets.
    /// </summary>
    [Theory]
    [InlineData("A")]
    [InlineData("B")]
    [InlineData("C")]
    [InlineData("D")]
    [InlineData("E")]
    public void CtPhantomPresetMatchesIbsiTable(string config)
    {
        var row = File.ReadAllLines(TestData.Path("ibsi-digital-phantom", "ct_phantom_configurations_settings_only.csv"))
            .Skip(1).Select(l => l.Split(',')).Single(f => f[0] == config);
        var (approach, interp, spacing, method, rounding, roiInterp, threshold, range, outlier, texture, ivh) =
            (row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8], row[9], row[10], row[11]);
        var s = SettingsLoader.Load(TestData.Config($"ibsi-ct-config-{config}.yaml"));

        Assert.Equal([approach switch { "2D" => TextureApproach.TwoD, "3D" => TextureApproach.ThreeD, _ => throw new InvalidDataException(approach) }], s.Approaches);
        Assert.Equal(interp.StartsWith("yes"), s.Interpolation.Enabled);
        if (s.Interpolation.Enabled)
        {
            var mm = Regex.Matches(spacing, @"\d+(\.\d+)?").Select(m => double.Parse(m.Value, CultureInfo.InvariantCulture)).ToArray();
            Assert.Equal(mm[0], s.Interpolation.SpacingX);
            Assert.Equal(mm[1], s.Interpolation.SpacingY);
            Assert.Equal(spacing.Contains("z unchanged") ? null : mm[2], s.Interpolation.SpacingZ);
            Assert.Equal(Method(method), s.Interpolation.ImageMethod);
            Assert.Equal(rounding == "nearest integer" ? 1.0 : null, s.Interpolation.IntensityRounding);
            Assert.Equal(Method(roiInterp), s.Interpolation.RoiMethod);
            Assert.Equal(double.Parse(threshold, CultureInfo.InvariantCulture), s.Interpolation.PartialVolumeThreshold);
        }
        if (range == "none") Assert.False(s.Resegmentation.HasRange);
        else
        {
            var b = Regex.Match(range, @"\[(-?\d+);(-?\d+)\]");
            Assert.Equal(double.Parse(b.Groups[1].Value, CultureInfo.InvariantCulture), s.Resegmentation.RangeLower);
            Assert.Equal(double.Parse(b.Groups[2].Value, CultureInfo.InvariantCulture), s.Resegmentation.RangeUpper);
        }
        Assert.Equal(outlier.StartsWith("3 sigma") ? 3.0 : null, s.Resegmentation.OutlierSigma);
        Assert.Equal(Discretisation(texture), s.TextureDiscretisation);
        Assert.Equal(Discretisation(ivh), s.IvhDiscretisation);
        Assert.Equal(int.Parse(row[12], CultureInfo.InvariantCulture), s.Texture.GlcmDistance);
        Assert.Equal(int.Parse(row[12], CultureInfo.InvariantCulture), s.Texture.NgtdmDistance);
        Assert.Equal(int.Parse(row[12], CultureInfo.InvariantCulture), s.Texture.NgldmDistance);
        Assert.Equal(int.Parse(row[13], CultureInfo.InvariantCulture), s.Texture.ZoneLinkageDistance);
        Assert.Equal(int.Parse(row[14], CultureInfo.InvariantCulture), s.Texture.NgldmAlpha);
    }

    private static InterpolationMethod Method(string ibsi) => ibsi switch
    {
        "bilinear" or "trilinear" => InterpolationMethod.Linear,
        "tricubic spline" => InterpolationMethod.CubicSpline,
        "nearest" => InterpolationMethod.Nearest,
        _ => throw new InvalidDataException(ibsi),
    };

    private static DiscretisationSettings Discretisation(string ibsi)
    {
        if (ibsi.StartsWith("none")) return new(DiscretisationMethod.None);
        var number = double.Parse(Regex.Match(ibsi, @"\d+(\.\d+)?").Value, CultureInfo.InvariantCulture);
        return ibsi.StartsWith("FBS") ? new(DiscretisationMethod.FixedBinSize, BinWidth: number) : new(DiscretisationMethod.FixedBinNumber, Bins: (int)number);
    }

    [Fact]
    public void EveryShippedPresetLoadsAndRoundTripsThroughYamlAndJson()
    {
        var files = Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "configs"), "*.yaml");
        Assert.True(files.Length >= 8, $"expected the IBSI, PET and CT presets, found {files.Length}");
        foreach (var file in files)
        {
            var s = SettingsLoader.Load(file);
            var again = SettingsLoader.FromYaml(SettingsLoader.ToYaml(s), file);
            Assert.Equal(SettingsLoader.ToYaml(s), SettingsLoader.ToYaml(again));
        }
        var pet = SettingsLoader.Load(TestData.Config("pet-suv-fbs0.25-3d.yaml"));
        Assert.Equal(0, pet.Resegmentation.RangeLower);
        Assert.Null(pet.Resegmentation.RangeUpper);
        Assert.Equal(new DiscretisationSettings(DiscretisationMethod.FixedBinSize, BinWidth: 0.25), pet.TextureDiscretisation);
    }

    [Fact]
    public void JsonSettingsReadLikeYaml()
    {
        const string json = """
            { "name": "json", "approaches": ["2.5D"],
              "interpolation": { "enabled": true, "spacing_mm": [1, 1, null], "image_method": "cubic_spline" },
              "resegmentation": { "range": [0, null], "outlier_sigma": 3 },
              "discretisation": { "texture": { "method": "fixed_bin_size", "bin_width": 0.5 }, "ivh": { "method": "none" } },
              "texture": { "ngldm_alpha": 1 }, "families": ["glcm", "morphology"] }
            """;
        var s = SettingsLoader.FromJson(json);
        Assert.Equal([TextureApproach.TwoPointFiveD], s.Approaches);
        Assert.Equal(InterpolationMethod.CubicSpline, s.Interpolation.ImageMethod);
        Assert.Null(s.Interpolation.SpacingZ);
        Assert.Equal(3, s.Resegmentation.OutlierSigma);
        Assert.Equal(0.5, s.TextureDiscretisation.BinWidth);
        Assert.Equal(1, s.Texture.NgldmAlpha);
        Assert.Equal(new HashSet<FeatureFamily> { FeatureFamily.Glcm, FeatureFamily.Morphology }, s.Families);
    }

    [Theory]
    [InlineData("name: x\nbogus_key: 1\n", "bogus_key")]
    [InlineData("discretisation:\n  texture: {method: fixed_bin_size}\n", "bin_width")]
    [InlineData("discretisation:\n  texture: {method: equal_probability, bins: 8}\n", "equal_probability")]
    [InlineData("resegmentation:\n  range: [400, -500]\n", "resegmentation.range")]
    [InlineData("approaches: [4D]\n", "4D")]
    [InlineData("interpolation:\n  enabled: true\n  spacing_mm: [2, 2]\n", "spacing_mm")]
    [InlineData("interpolation:\n  enabled: true\n  spacing_mm: [2, -1, 2]\n", "spacing_mm")]
    [InlineData("families: [glcm, wavelets]\n", "wavelets")]
    public void BadSettingsNameTheFieldAndSource(string yaml, string expectedInMessage)
    {
        var e = Assert.Throws<SettingsException>(() => SettingsLoader.FromYaml(yaml, "site.yaml"));
        Assert.Contains("site.yaml", e.Message);
        Assert.Contains(expectedInMessage, e.Message);
    }

    [Fact]
    public void MissingFileIsASettingsError()
    {
        var e = Assert.Throws<SettingsException>(() => SettingsLoader.Load("/nonexistent/settings.yaml"));
        Assert.Contains("/nonexistent/settings.yaml", e.Message);
    }
}
