using FedRad.Imaging.Pet;
using FedRad.Imaging.Rois;

namespace FedRad.Imaging.Tests.Pet;

/// <summary>Every IBSI SUV DRO must give its published SUV min/median/max (0.20/1.00/4.00) inside its mask.</summary>
public class SuvDroTests
{
    public static TheoryData<string> Dros => new(SuvDro.List().Select(d => d.Id));

    [Theory]
    [MemberData(nameof(Dros))]
    public void SuvInMaskMatchesPublishedValues(string id)
    {
        var expected = SuvDro.List().Single(d => d.Id == id);
        // The expected values are SUVbw; DRO_2_1 stores SUVlbm (SUV Type LBMJAMES128, male) that must be converted back.
        var pet = PetSeries.Load(SuvDro.Path(id, "PT"), SuvNormalisation.BodyWeight);
        var mask = RoiLoader.Load(SuvDro.Path(id, "mask"), pet.Grid, pet.FrameOfReferenceUid).Mask;
        var values = Enumerable.Range(0, mask.Voxels.Length).Where(n => mask.Voxels[n]).Select(n => (double)pet.Suv.Voxels[n]).Order().ToArray();
        Assert.NotEmpty(values);
        var median = values.Length % 2 == 1 ? values[values.Length / 2] : (values[values.Length / 2 - 1] + values[values.Length / 2]) / 2;
        var report = $"{id} ({expected.Description}): min {values[0]:0.####} median {median:0.####} max {values[^1]:0.####}; {pet.Conversion.Method}; {string.Join(" | ", pet.Warnings)}";
        Assert.True(Math.Abs(values[0] - expected.Min) <= 0.005 && Math.Abs(median - expected.Median) <= 0.005 && Math.Abs(values[^1] - expected.Max) <= 0.005, report);
    }
}
