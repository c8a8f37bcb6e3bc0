using FedRad.Imaging.Nifti;
using FedRad.Imaging.Pet;
using FedRad.Imaging.Rois;

namespace FedRad.Imaging.Tests.Pet;

public class PetMetricsTests
{
    /// <summary>IBSI 1 digital phantom reference values: local intensity peak (VJGA) 2.6, global (0F91) 3.1, max 6, mean 2.15, volume 592 mm³.</summary>
    [Fact]
    public void PeaksMatchIbsiDigitalPhantom()
    {
        var image = NiftiReader.Read(TestData.Path("ibsi-digital-phantom", "nifti", "image", "phantom.nii.gz")).ToImageVolume();
        var mask = NiftiReader.Read(TestData.Path("ibsi-digital-phantom", "nifti", "mask", "mask.nii.gz")).ToMask();
        var m = PetMetrics.Compute(image, new MaskVolume(image.Grid, mask.Voxels, "phantom"));
        Assert.Equal(2.6, Math.Round(m.SuvPeakLocal, 1));
        Assert.Equal(3.1, Math.Round(m.SuvPeakGlobal, 1));
        Assert.Equal(6, m.SuvMax);
        Assert.Equal(2.15, Math.Round(m.SuvMean, 2));
        Assert.Equal(0.592, m.MtvMl, 9);
        Assert.Equal(m.SuvMean * m.MtvMl, m.Tlg, 12);
        Assert.Equal(74, m.Voxels);
    }

    [Fact]
    public void PeakSphereHoldsVoxelCentresWithinOneCubicCentimetre()
    {
        // 4 mm voxels: r = 6.2035 mm holds the centre, 6 face neighbours (4 mm) and 12 edge neighbours (5.66 mm); corners (6.93 mm) are out.
        Assert.Equal(19, PetMetrics.SphereOffsets(ImageGrid.Axial(10, 10, 10, 4, 4, 4)).Count);
        Assert.Equal(6.2035, PetMetrics.PeakRadiusMm, 4);
    }

    [Fact]
    public void DroThresholdsSelectTheHotRegion()
    {
        var pet = PetSeries.Load(SuvDro.Path("DRO_0_0", "PT"));
        var region = RoiLoader.Load(SuvDro.Path("DRO_0_0", "mask"), pet.Grid, pet.FrameOfReferenceUid).Mask;
        var hotVoxels = Enumerable.Range(0, region.Voxels.Length).Count(n => region.Voxels[n] && pet.Suv.Voxels[n] > 3.9);
        // The DRO's values inside the mask are 0.2, 1 and 4: SUV ≥ 2.5 and ≥ 41 % of SUVmax (1.64) both pick the SUV-4 voxels.
        var fixedMask = Delineation.FixedThreshold(pet.Suv, 2.5, region);
        var relative = Delineation.RelativeThreshold(pet.Suv, region, 0.41);
        Assert.True(hotVoxels > 0);
        Assert.Equal(hotVoxels, fixedMask.Count());
        Assert.Equal(fixedMask.Voxels, relative.Voxels);
        var m = PetMetrics.Compute(pet.Suv, fixedMask);
        Assert.Equal(4.0, m.SuvMax, 3);
        Assert.Equal(4.0, m.SuvMean, 3);
        Assert.Equal(hotVoxels * 0.064, m.MtvMl, 6);   // 4 mm voxels: 0.064 mL each
    }

    [Fact]
    public void ConnectedComponentsFollowTheChosenConnectivity()
    {
        var g = ImageGrid.Axial(6, 6, 3, 1, 1, 1);
        var inside = new bool[g.VoxelCount];
        // Two 2x2x1 blocks touching at one corner edge (diagonal in-plane), and a lone voxel in another slice.
        foreach (var (i, j, k) in new[] { (0, 0, 0), (1, 0, 0), (0, 1, 0), (1, 1, 0), (2, 2, 0), (3, 2, 0), (2, 3, 0), (3, 3, 0), (5, 5, 2) })
            inside[g.Index(i, j, k)] = true;
        var mask = new MaskVolume(g, inside);
        var faces = ConnectedComponents.Label(mask, Connectivity.Faces6);
        var edges = ConnectedComponents.Label(mask, Connectivity.Edges18);
        Assert.Equal(3, faces.Count);
        Assert.Equal([4, 4, 1], faces.Sizes);
        Assert.Equal(2, edges.Count);
        Assert.Equal(8, edges.Largest().Count());
        Assert.Equal(1, edges.ComponentAt(5, 5, 2)!.Count());
        Assert.Null(edges.ComponentAt(4, 4, 0));
        Assert.Equal(8, edges.WithoutSmallerThan(0.002).Count());   // 1 µL voxels: drop the single one
    }

    [Fact]
    public void EmptyMaskOrMaskOnAnotherGridIsRefused()
    {
        var g = ImageGrid.Axial(4, 4, 4, 2, 2, 2);
        var image = new ImageVolume(g, new float[g.VoxelCount]);
        Assert.Contains("empty", Assert.Throws<ArgumentException>(() => PetMetrics.Compute(image, new MaskVolume(g, new bool[g.VoxelCount], "lesion"))).Message);
        var other = ImageGrid.Axial(4, 4, 4, 3, 3, 3);
        Assert.Contains("not on the image grid", Assert.Throws<ArgumentException>(() => PetMetrics.Compute(image, new MaskVolume(other, new bool[other.VoxelCount], "lesion"))).Message);
    }
}
