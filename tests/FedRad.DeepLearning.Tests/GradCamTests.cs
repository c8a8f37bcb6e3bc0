using FedRad.DeepLearning.Data;
using FedRad.DeepLearning.Interpretability;
using FedRad.DeepLearning.Models;
using FedRad.DeepLearning.Training;
using FedRad.Imaging;
using FedRad.Imaging.Nifti;

namespace FedRad.DeepLearning.Tests;

/// <summary>A CNN trained once for the Grad-CAM tests.</summary>
public sealed class TrainedCnn
{
    public IExplainableModel Model { get; }

    public TrainedCnn()
    {
        Model = (IExplainableModel)DeepModels.Create(new DeepModelSpec { Kind = DeepModelSpec.CnnEarly }, 1);
        LocalTrainer.Train(Model, SyntheticLesions.Generate(240, 1).Samples, new LocalTrainingOptions { Epochs = 8 });
    }
}

public sealed class GradCamTests(TrainedCnn trained, ITestOutputHelper output) : IClassFixture<TrainedCnn>
{
    [Fact]
    public void The_heatmap_covers_the_patch_and_is_scaled_to_0_1()
    {
        var set = SyntheticLesions.Generate(10, 77);
        var positive = Array.IndexOf(set.Samples.Labels, 1);
        var cam = GradCam3d.Compute(trained.Model, set.Samples.Sample(positive));
        Assert.Equal(16 * 16 * 16, cam.Length);
        Assert.All(cam, v => Assert.InRange(v, 0f, 1f));
        Assert.Equal(1f, cam.Max());
    }

    [Fact]
    public void The_heatmap_of_heterogeneous_lesions_is_higher_on_the_lesion_than_on_the_background()
    {
        var set = SyntheticLesions.Generate(60, 78);
        var ratios = new List<double>();
        for (var n = 0; n < set.Samples.Count; n++)
        {
            if (set.Samples.Labels[n] != 1) continue;
            var cam = GradCam3d.Compute(trained.Model, set.Samples.Sample(n));
            var mask = set.LesionMasks[n];
            var inside = cam.Where((_, v) => mask[v]).Average();
            var outside = cam.Where((_, v) => !mask[v]).Average();
            ratios.Add(inside / Math.Max(outside, 1e-6));
        }
        var higher = ratios.Count(r => r > 1);
        output.WriteLine($"lesion/background mean heat, per positive lesion: median {ratios.Order().ElementAt(ratios.Count / 2):F2}; lesion hotter in {higher} of {ratios.Count}");
        Assert.True(higher >= 0.8 * ratios.Count, $"the lesion is hotter than the background in only {higher} of {ratios.Count} positive patches");
        Assert.True(ratios.Order().ElementAt(ratios.Count / 2) > 1.5);
    }

    [Fact]
    public void The_heatmap_is_written_as_nifti_on_the_patch_grid()
    {
        var set = SyntheticLesions.Generate(1, 79);
        var cam = GradCam3d.Compute(trained.Model, set.Samples.Sample(0));
        var grid = ImageGrid.Axial(16, 16, 16, 4, 4, 4, new Vec3(-30, 12, 100));
        var path = Path.Combine(Path.GetTempPath(), $"fedrad-gradcam-{Guid.NewGuid():N}.nii.gz");
        try
        {
            GradCam3d.WriteNifti(path, cam, grid);
            var back = NiftiReader.Read(path);
            Assert.True(back.Grid.SameGeometry(grid));
            Assert.Equal(cam, back.Voxels);
        }
        finally { File.Delete(path); }
    }
}
