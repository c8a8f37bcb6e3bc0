using FedRad.DeepLearning.Models;
using FedRad.Imaging;
using FedRad.Imaging.Nifti;
using static TorchSharp.torch;

namespace FedRad.DeepLearning.Interpretability;

/// <summary>
/// 3D Grad-CAM (Selvaraju et al. 2017) for one patient's patch: each channel k of the encoder's last feature map A is
/// weighted by α_k, the spatial mean of ∂logit/∂A_k, and the map is ReLU(Σ_k α_k A_k), trilinearly upsampled to the
/// patch and scaled to [0, 1]. Models with several encoder passes (intermediate fusion, delta) sum their maps.
/// The heatmap explains the positive class (the logit). It is a per-patient image: it is written at the site and never
/// leaves it.
/// </summary>
public static class GradCam3d
{
    /// <summary>The heatmap of one sample, S³ values in x-fastest order (the patch's voxel order).</summary>
    public static float[] Compute(IExplainableModel model, ReadOnlySpan<float> sample)
    {
        var shape = model.Spec.SampleShape;
        if (shape.Length != 4) throw new ArgumentException($"model '{model.Spec.Kind}' does not take image patches");
        var size = shape[1];
        if (sample.Length != shape.Aggregate(1L, (a, b) => a * b)) throw new ArgumentException($"sample has {sample.Length} values, the model takes [{string.Join(",", shape)}]");
        TorchRuntime.Configure();
        var module = model.Module;
        module.eval();
        try
        {
            using var scope = NewDisposeScope();
            var x = tensor(sample.ToArray(), [1, .. shape]);
            var (logits, maps) = model.ForwardWithFeatureMaps(x);
            foreach (var m in maps) m.retain_grad();
            logits.sum().backward();
            var cam = zeros([1, 1, size, size, size]);
            foreach (var map in maps)
            {
                var alpha = map.grad!.mean([2, 3, 4], keepdim: true);
                var weighted = nn.functional.relu((alpha * map).sum(1, keepdim: true));
                cam = cam + nn.functional.interpolate(weighted, [size, size, size], mode: InterpolationMode.Trilinear, align_corners: false);
            }
            var max = cam.max().item<float>();
            if (max > 0) cam = cam / max;
            return cam.detach().contiguous().data<float>().ToArray();
        }
        finally
        {
            module.zero_grad();
        }
    }

    /// <summary>Writes a heatmap as a float32 NIfTI on the patch's grid (patient coordinates), to overlay on the PET.</summary>
    public static void WriteNifti(string path, float[] heatmap, ImageGrid patchGrid) =>
        NiftiWriter.Write(path, new ImageVolume(patchGrid, heatmap, "Grad-CAM"));
}
