using System.Text.Json;
using FedRad.Imaging;
using FedRad.Imaging.Resampling;
using FedRad.Radiomics.Features;
using FedRad.Radiomics.Multimodal;
using FedRad.Radiomics.Output;
using FedRad.Radiomics.Settings;

namespace FedRad.Radiomics.Tests;

public sealed class OutputAndMultimodalTests
{
    private static FeatureSet Phantom()
    {
        var (image, mask) = TestData.DigitalPhantom();
        return RadiomicsExtractor.Extract(image, mask, SettingsLoader.Load(TestData.Config("ibsi-digital-phantom.yaml")));
    }

    [Fact]
    public void LongCsvHasTheIbsiColumnsAndRoundTrips()
    {
        var set = Phantom();
        var sw = new StringWriter();
        FeatureWriter.WriteLongCsv(sw, set);
        var text = sw.ToString();
        Assert.StartsWith("feature,ibsi_code,aggregation_code,value\n", text.Replace("\r\n", "\n"));
        Assert.Contains("\nglcm_joint_max,GYBY,IAZD,", text.Replace("\r\n", "\n"));
        var rows = FeatureWriter.ReadLongCsv(new StringReader(text), "phantom.csv");
        Assert.Equal(set.Values.Count, rows.Count);
        Assert.Equal(set.Get("GYBY", Aggregation.ThreeDMerged).Value, rows.Single(r => r.IbsiCode == "GYBY" && r.AggregationCode == "IAZD").Value);
    }

    [Fact]
    public void LongJsonCarriesNaNAsNullWithItsReason()
    {
        var g = ImageGrid.Axial(3, 3, 3, 2, 2, 2);
        var mask = new MaskVolume(g, Enumerable.Range(0, 27).Select(n => n == 13).ToArray());
        var set = RadiomicsExtractor.Extract(new ImageVolume(g, new float[27]), mask, new RadiomicsSettings());
        var ms = new MemoryStream();
        FeatureWriter.WriteLongJson(ms, set);
        using var doc = JsonDocument.Parse(ms.ToArray());
        var moran = doc.RootElement.EnumerateArray().Single(e => e.GetProperty("ibsi_code").GetString() == "N365");
        Assert.Equal(JsonValueKind.Null, moran.GetProperty("value").ValueKind);
        Assert.Contains("two voxels", moran.GetProperty("nan_reason").GetString());
    }

    [Fact]
    public void WideRowHasStableColumnNames()
    {
        var row = Phantom().ToWideRow("pt");
        Assert.Equal(Phantom().Values.Count, row.Count);
        Assert.True(row.ContainsKey("pt_glcm_joint_max_3d_avg"));
        Assert.True(row.ContainsKey("pt_glcm_joint_max_2_5d_vmrg"));
        Assert.True(row.ContainsKey("pt_morph_volume"));
        Assert.True(row.ContainsKey("pt_ngldm_dc_energy_3d"));
        Assert.Equal(row.Keys.ToList(), Phantom().ToWideRow("pt").Keys.ToList());
        var sw = new StringWriter();
        FeatureWriter.WriteWideCsv(sw, [([("patient_id", "P1")], row)]);
        Assert.StartsWith("patient_id,pt_morph_volume,", sw.ToString());
    }

    [Fact]
    public void MultimodalExtractionResamplesOntoTheReferenceGridAndPrefixes()
    {
        // CT on 1 mm voxels, PET on 2 mm voxels covering the same space; ROI drawn on CT.
        var ct = ImageGrid.Axial(24, 24, 24, 1, 1, 1, new Vec3(0.5, 0.5, 0.5));
        var pt = ImageGrid.Axial(12, 12, 12, 2, 2, 2, new Vec3(1, 1, 1));
        static float F(Vec3 p) => (float)(p.X + 2 * p.Y + 0.5 * p.Z);
        ImageVolume Fill(ImageGrid g)
        {
            var v = new float[g.VoxelCount];
            for (var k = 0; k < g.SizeZ; k++) for (var j = 0; j < g.SizeY; j++) for (var i = 0; i < g.SizeX; i++) v[g.Index(i, j, k)] = F(g.ToPatient(i, j, k));
            return new ImageVolume(g, v);
        }
        var inside = new bool[ct.VoxelCount];
        for (var k = 6; k < 18; k++) for (var j = 6; j < 18; j++) for (var i = 6; i < 18; i++) inside[ct.Index(i, j, k)] = true;
        var mask = new MaskVolume(ct, inside, "gtv");
        var settings = new RadiomicsSettings { Families = new HashSet<FeatureFamily> { FeatureFamily.IntensityStatistics, FeatureFamily.Morphology } };
        var set = MultimodalExtractor.Extract([new("PT", Fill(pt), settings), new("CT", Fill(ct), settings)], mask, "PT");
        var row = set.ToWideRow();
        Assert.True(row.ContainsKey("pt_stat_mean") && row.ContainsKey("ct_stat_mean"));
        // The 12 mm cube is 6x6x6 PET voxels; on the PET grid both modalities see the same voxels and the linear field.
        Assert.Equal(216, set.MorphologicalVoxelCount);
        Assert.Equal(row["pt_stat_mean"], row["ct_stat_mean"], 3);
        Assert.Equal(F(new Vec3(12, 12, 12)), row["pt_stat_mean"], 3);
        Assert.Throws<ArgumentException>(() => MultimodalExtractor.Extract([new("PT", Fill(pt), settings)], mask, "MR"));
    }

    [Fact]
    public void MaskOutsideTheReferenceImageIsAnError()
    {
        var a = ImageGrid.Axial(8, 8, 8, 2, 2, 2);
        var far = ImageGrid.Axial(8, 8, 8, 2, 2, 2, new Vec3(500, 0, 0));
        var mask = new MaskVolume(far, Enumerable.Repeat(true, 512).ToArray(), "gtv");
        var e = Assert.Throws<Processing.RadiomicsInputException>(() =>
            MultimodalExtractor.Extract([new("PT", new ImageVolume(a, new float[512]), new RadiomicsSettings())], mask, "PT"));
        Assert.Contains("outside", e.Message);
    }

    [Fact]
    public void DeltaGivesDifferenceAndRelativeChange()
    {
        FeatureSet Set(double volume, double mean) => new(
            [new("morph", "volume", "RNU0", Aggregation.None, volume), new("stat", "mean", "Q4LE", Aggregation.None, mean)], 1, 1, 1, []);
        var delta = DeltaRadiomics.Compute(Set(100, 0), Set(80, 3)).ToWideRow();
        Assert.Equal(-20, delta["delta_diff_morph_volume"]);
        Assert.Equal(-0.2, delta["delta_rel_morph_volume"], 12);
        Assert.Equal(3, delta["delta_diff_stat_mean"]);
        Assert.True(double.IsNaN(delta["delta_rel_stat_mean"])); // baseline 0
    }
}
