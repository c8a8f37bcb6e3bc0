using System.Globalization;
using System.Text.Json;
using FedRad.Dicom;
using FedRad.Imaging.Pet;
using FedRad.Imaging.Rois;

namespace FedRad.Imaging.Tests.Pet;

/// <summary>SUV factors against published expected values (PROVENANCE.md, cornerstonejs/calculate-suv test data).</summary>
public class SuvFactorTests
{
    private static readonly string[] RadiopharmaceuticalKeys =
        ["RadiopharmaceuticalStartTime", "RadiopharmaceuticalStartDateTime", "RadionuclideTotalDose", "RadionuclideHalfLife"];

    public static TheoryData<string, double> CornerstoneCases()
    {
        var data = new TheoryData<string, double>();
        foreach (var line in File.ReadAllLines(TestData.Path("dicom", "suv_metadata_calculate_suv", "expected_suvbw_factors.csv")).Skip(1))
        {
            var p = line.Split(',');
            data.Add(p[0], double.Parse(p[1], CultureInfo.InvariantCulture));
        }
        return data;
    }

    /// <summary>Vendor metadata (Siemens, GE, Philips BQML/CNTS, acquisition before series time, no start DateTime) → SUVbw factor.</summary>
    [Theory]
    [MemberData(nameof(CornerstoneCases))]
    public void VendorMetadataGivesExpectedSuvbwFactor(string name, double expected)
    {
        var json = JsonDocument.Parse(File.ReadAllText(TestData.Path("dicom", "suv_metadata_calculate_suv", "metadata", $"{name}-instances.json")));
        var planes = json.RootElement.EnumerateArray().Select(ToDataset).ToList();
        var conversion = SuvCalculator.Compute(PetAcquisition.FromDatasets(name, planes), SuvNormalisation.BodyWeight);
        foreach (var f in conversion.FrameFactors)
            Assert.True(Math.Abs(f - expected) <= 2e-6 * expected, $"{name}: {f} vs {expected} ({conversion.Method})");
    }

    /// <summary>The calculate-suv JSON keys are DICOM keywords: build the data sets the reader would produce.</summary>
    private static DicomDataset ToDataset(JsonElement instance)
    {
        var ds = new DicomDataset();
        var radio = new DicomDataset();
        foreach (var p in instance.EnumerateObject())
        {
            if (p.Name == "PhilipsPETPrivateGroup")
            {
                ds.Add(new DicomTag(0x7053, 0x0010), DicomVR.LO, "Philips PET Private Group");
                if (p.Value.TryGetProperty("SUVScaleFactor", out var suv)) ds.Add(new DicomTag(0x7053, 0x1000), DicomVR.DS, Text(suv));
                if (p.Value.TryGetProperty("ActivityConcentrationScaleFactor", out var act)) ds.Add(new DicomTag(0x7053, 0x1009), DicomVR.DS, Text(act));
                continue;
            }
            var tag = DicomDictionary.TagOf(p.Name);
            var target = RadiopharmaceuticalKeys.Contains(p.Name) ? radio : ds;
            if (p.Value.ValueKind == JsonValueKind.Array) target.Add(tag, p.Value.EnumerateArray().Select(Text).ToArray());
            else target.Add(tag, Text(p.Value));
        }
        ds.AddSequence(DicomTags.RadiopharmaceuticalInformationSequence, radio);
        return ds;
    }

    private static string Text(JsonElement e) => e.ValueKind == JsonValueKind.String ? e.GetString()!.Trim() : e.GetRawText();

    [Fact]
    public void GeWholeBodySeriesMatchesProvenanceOracle()
    {
        var pet = PetSeries.Load(TestData.Path("dicom", "pet_sts001_wholebody", "PET"));
        // PROVENANCE.md: SUVbw factor 0.000242902977 g/Bq (decay to Series Time, Δt 2711 s).
        Assert.Equal(0.000242902977, pet.Conversion.UniformFactor!.Value, 1e-12);
        var roi = RoiLoader.Load(TestData.Path("dicom", "pet_sts001_wholebody", "RTSTRUCT"), pet.Grid, pet.FrameOfReferenceUid, new RoiSelection("GTV_Mass"));
        var inside = Enumerable.Range(0, roi.Mask.Voxels.Length).Where(n => roi.Mask.Voxels[n]).ToList();
        // Inside GTV_Mass (voxel-centre-in-polygon): max 32,567.2 Bq/ml = SUVbw 7.911, min 694.9 Bq/ml = SUVbw 0.169.
        Assert.Equal(32_567.2, inside.Max(n => pet.Series.Image.Voxels[n]), 0.1);
        Assert.Equal(694.9, inside.Min(n => pet.Series.Image.Voxels[n]), 0.1);
        Assert.Equal(7.911, inside.Max(n => pet.Suv.Voxels[n]), 0.0005);
        Assert.Equal(0.169, inside.Min(n => pet.Suv.Voxels[n]), 0.0005);
        // Volume maximum SUV 66.52.
        Assert.Equal(66.52, pet.Suv.Voxels.Max(), 0.005);
    }

    [Theory]
    [InlineData("pet_single/fodicom_GH184_PT_jpegll.dcm", 0.000331764)]          // GE, JPEG lossless
    [InlineData("pet_single/acrin_flt_breast_1_PT_wholebody.dcm", 0.000594249)]   // FLT whole body
    public void SingleSliceFactorsMatchProvenance(string relative, double expected)
    {
        var pet = PetSeries.Load(TestData.Path("dicom", relative));
        Assert.True(Math.Abs(pet.Conversion.UniformFactor!.Value - expected) <= 1e-6 * expected, $"{pet.Conversion.UniformFactor} vs {expected}: {pet.Conversion.Method}");
    }

    [Fact]
    public void PropcpsWithoutWeightOrSeriesTimeIsRefused()
    {
        var e = Assert.Throws<SuvRefusedException>(() => PetSeries.Load(TestData.Path("dicom", "pet_single", "fodicom_GH610_PT_PROPCPS_jpegll.dcm")));
        Assert.Contains("PROPCPS", e.Message);
        Assert.Contains("fodicom_GH610", e.Message);
    }

    /// <summary>
    /// A DYNAMIC frame with its timing: DICOM decay-corrects every image of a series to one reference time (here Series
    /// Time 11:19:59.109, 0.109 s after the 11:19:59 injection; Decay Factor 1.11682 = e^(λ·Frame Reference Time)), so the
    /// dose is decayed over 0.109 s, not to the frame's acquisition 16 minutes later.
    /// </summary>
    [Fact]
    public void DynamicFrameIsReferencedToTheSeriesDecayReference()
    {
        var pet = PetSeries.Load(TestData.Path("dicom", "pet_single", "acrin_flt_breast_2_PT_dynamic.dcm"));
        var expected = 82.174 * 1000 / (173529998.7793 * Math.Pow(2, -0.109 / 6586.2));
        Assert.Equal(expected, pet.Conversion.UniformFactor!.Value, 1e-12);
        Assert.Contains(pet.Warnings, w => w.Contains("DYNAMIC") && w.Contains("1048.9 s"));
    }

    [Fact]
    public void MissingWeightUncorrectedImageAndMissingFrameTimingAreRefused()
    {
        var baseFile = TestData.Path("dicom", "pet_single", "acrin_flt_breast_1_PT_wholebody.dcm");
        SuvRefusedException Refusal(Action<DicomDataset> edit, SuvNormalisation n = SuvNormalisation.BodyWeight)
        {
            var ds = DicomReader.Read(baseFile).Dataset;
            edit(ds);
            return Assert.Throws<SuvRefusedException>(() => SuvCalculator.Compute(PetAcquisition.FromDatasets("edited", [ds]), n));
        }
        Assert.Contains("Patient Weight", Refusal(ds => ds.Remove(DicomTags.PatientWeight)).Message);
        Assert.Contains("not attenuation corrected", Refusal(ds => ds.Add(DicomTags.CorrectedImage, "DECY", "NORM")).Message);
        Assert.Contains("lacks DECY", Refusal(ds => ds.Add(DicomTags.CorrectedImage, "ATTN", "NORM")).Message);
        Assert.Contains("Patient Sex", Refusal(ds => { ds.Add(DicomTags.PatientSex, "O"); ds.Add(DicomTags.PatientSize, "1.7"); }, SuvNormalisation.LeanBodyMassJames).Message);
        Assert.Contains("Patient Size", Refusal(ds => ds.Remove(DicomTags.PatientSize), SuvNormalisation.BodySurfaceArea).Message);
        Assert.Contains("DYNAMIC", Refusal(ds => { ds.Add(DicomTags.SeriesType, "DYNAMIC", "IMAGE"); ds.Remove(DicomTags.FrameReferenceTime); }).Message);
        Assert.Contains("Radionuclide Total Dose", Refusal(ds => ds.GetItem(DicomTags.RadiopharmaceuticalInformationSequence)!.Remove(DicomTags.RadionuclideTotalDose)).Message);
    }

    /// <summary>Unit slips in the header give the same factor as the correct units, each with a warning.</summary>
    [Fact]
    public void WeightInGramsHeightInCmAndDoseInMBqAreDetected()
    {
        var path = TestData.Path("dicom", "pet_single", "fodicom_GH184_PT_jpegll.dcm");
        var reference = SuvCalculator.Compute(PetAcquisition.FromDatasets("ok", [DicomReader.Read(path).Dataset]), SuvNormalisation.BodySurfaceArea);
        var ds = DicomReader.Read(path).Dataset;
        ds.Add(DicomTags.PatientWeight, "90000");
        ds.Add(DicomTags.PatientSize, "170.00000476837");
        ds.GetItem(DicomTags.RadiopharmaceuticalInformationSequence)!.Add(DicomTags.RadionuclideTotalDose, "474.592928");
        var slipped = SuvCalculator.Compute(PetAcquisition.FromDatasets("slipped", [ds]), SuvNormalisation.BodySurfaceArea);
        Assert.Equal(reference.UniformFactor!.Value, slipped.UniformFactor!.Value, 1e-9 * reference.UniformFactor.Value);
        Assert.Contains(slipped.Warnings, w => w.Contains("grams"));
        Assert.Contains(slipped.Warnings, w => w.Contains("cm"));
        Assert.Contains(slipped.Warnings, w => w.Contains("MBq"));
    }

    /// <summary>QIBA order: Series Time after the acquisition → the GE private scan date/time (0009,xx0D of GEMS_PETD_01) is the reference.</summary>
    [Fact]
    public void GePrivateScanTimeIsUsedWhenSeriesTimeIsAfterAcquisition()
    {
        var ds = DicomReader.Read(TestData.Path("dicom", "pet_single", "fodicom_GH184_PT_jpegll.dcm")).Dataset;
        ds.Add(DicomTags.SeriesTime, "113000");                                   // after the 11:00:36 acquisition
        ds.Add(new DicomTag(0x0009, 0x0010), DicomVR.LO, "GEMS_PETD_01");
        ds.Add(new DicomTag(0x0009, 0x100D), DicomVR.DT, "20141023105000");       // 10:50:00, 4680 s after the 09:32:00 injection
        var conversion = SuvCalculator.Compute(PetAcquisition.FromDatasets("ge", [ds]), SuvNormalisation.BodyWeight);
        Assert.Contains("GE private", conversion.Method);
        Assert.Equal(90000 / (474592928 * Math.Pow(2, -4680 / 6588.0)), conversion.UniformFactor!.Value, 1e-12);
    }

    [Fact]
    public void BodySizeFormulasMatchTheirPublishedDefinitions()
    {
        // Hand-evaluated from the published formulas (only James is also checked against an outside reference, IBSI DRO_2_1).
        // Du Bois: 70 kg, 175 cm -> 0.007184·70^0.425·175^0.725 = 1.848 m².
        Assert.Equal(1.848, BodySize.BodySurfaceAreaDuBois(70, 175), 3);
        // James: 70 kg, 175 cm male -> 1.10·70 − 128·(70/175)² = 56.52 kg (IBSI DRO_2_1 relies on it).
        Assert.Equal(56.52, BodySize.LeanBodyMassJames(70, 175, male: true), 2);
        // Janmahasatian: 70 kg, 175 cm male, BMI 22.857 -> 9270·70/(6680+216·22.857) = 55.86 kg.
        Assert.Equal(55.86, BodySize.LeanBodyMassJanmahasatian(70, 175, male: true), 2);
        // Devine: 175 cm male -> 50 + 2.3·(68.898 − 60) = 70.46 kg; female 165 cm -> 45.5 + 2.3·(64.96 − 60) = 56.91 kg.
        Assert.Equal(70.46, BodySize.IdealBodyWeightDevine(175, male: true), 2);
        Assert.Equal(56.91, BodySize.IdealBodyWeightDevine(165, male: false), 2);
    }
}
