using FedRad.DeepLearning.Data;
using FedRad.Imaging;
using FedRad.Imaging.Synthetic;

namespace FedRad.DeepLearning.Tests;

public sealed class LesionPatchTests
{
    [Fact]
    public void A_patch_from_synthetic_dicom_holds_the_lesion_with_the_written_suv()
    {
        var folder = Directory.CreateTempSubdirectory("fedrad-patch-").FullName;
        try
        {
            var study = SyntheticPetCtWriter.Write(folder, new SyntheticStudyOptions { Seed = 4 });
            var patch = LesionPatches.FromDicom(study.PetFolder, study.CtFolder, study.RtStructPath, "Lesion", 16);

            Assert.Equal(16, patch.Size);
            // The lesion (radius 16 mm = 4 PET voxels) lies wholly inside the 64 mm cube: every lesion voxel of the study is in the patch.
            Assert.Equal(study.Lesion.Count(), patch.Mask.Count(m => m));
            var g = study.Suv.Grid;
            var start = g.ToIndex(patch.Grid.Origin);
            var (i0, j0, k0) = ((int)Math.Round(start.X), (int)Math.Round(start.Y), (int)Math.Round(start.Z));
            for (var k = 0; k < 16; k += 3)
                for (var j = 0; j < 16; j += 3)
                    for (var i = 0; i < 16; i += 3)
                    {
                        var written = study.Suv[i0 + i, j0 + j, k0 + k];
                        var read = PatchNormalisation.Suv(patch.Channels[i + 16 * (j + 16 * k)]);
                        Assert.Equal(written, read, Math.Max(1e-3, 1e-4 * written));
                        Assert.Equal(study.Lesion.Voxels[g.Index(i0 + i, j0 + j, k0 + k)], patch.Mask[i + 16 * (j + 16 * k)]);
                    }
            // The CT channel: soft tissue around 45 HU in the lesion (written with HU 45), not air.
            var lesionHu = patch.Mask.Select((m, v) => (m, v)).Where(x => x.m).Average(x => patch.Channels[4096 + x.v] * PatchNormalisation.HuScale);
            Assert.InRange(lesionHu, 25, 65);
        }
        finally { Directory.Delete(folder, recursive: true); }
    }

    [Fact]
    public void Voxels_beyond_the_image_edge_are_background_and_an_empty_mask_is_refused()
    {
        var grid = ImageGrid.Axial(8, 8, 8, 4, 4, 4);
        var pet = new ImageVolume(grid, Enumerable.Repeat(2f, 512).ToArray());
        var ct = new ImageVolume(grid, Enumerable.Repeat(100f, 512).ToArray());
        var mask = new bool[512];
        mask[grid.Index(0, 0, 0)] = true;
        var patch = LesionPatches.Extract(pet, ct, new MaskVolume(grid, mask, "corner"), 4);
        // Centred on voxel (0,0,0): the cube starts at (−2,−2,−2) (centroid − 1.5, rounded away from zero), so voxel (0,0,0) is not inside the image.
        Assert.Equal(0f, patch.Channels[0]);
        Assert.Equal(PatchNormalisation.Ct(-1000), patch.Channels[64]);
        Assert.Equal(PatchNormalisation.Pet(2), patch.Channels[3 + 4 * (3 + 4 * 3)]);
        Assert.Contains("is empty", Assert.Throws<ArgumentException>(() => LesionPatches.Extract(pet, ct, new MaskVolume(grid, new bool[512], "none"), 4)).Message);
    }
}
