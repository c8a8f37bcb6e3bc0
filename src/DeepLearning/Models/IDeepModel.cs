using static TorchSharp.torch;

namespace FedRad.DeepLearning.Models;

/// <summary>A binary classifier: input batch → one logit per sample, [N].</summary>
public interface IDeepModel
{
    /// <summary>The architecture, which travels with a study and rebuilds the same layout at every site.</summary>
    DeepModelSpec Spec { get; }

    nn.Module<Tensor, Tensor> Module { get; }
}

/// <summary>A convolutional classifier whose last feature maps Grad-CAM can explain.</summary>
public interface IExplainableModel : IDeepModel
{
    /// <summary>
    /// The logits and the feature maps they are computed from, one per encoder pass ([N, C, d, h, w] each, all of the
    /// same shape): one for early fusion, one per modality for intermediate fusion, one per timepoint for the delta model.
    /// </summary>
    (Tensor Logits, Tensor[] FeatureMaps) ForwardWithFeatureMaps(Tensor input);
}
