using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace FedRad.DeepLearning.Models;

/// <summary>
/// A 3D basic residual block (He et al. 2016): two 3×3×3 convolutions with a shortcut, a 1×1×1 projection when the
/// stride or width changes. GroupNorm instead of BatchNorm: no running statistics to federate or to leak, and it
/// behaves the same on the small batches of a site.
/// </summary>
public sealed class ResidualBlock3d : Module<Tensor, Tensor>
{
    private readonly Module<Tensor, Tensor> conv1, norm1, conv2, norm2;
    private readonly Module<Tensor, Tensor>? shortcut;

    public ResidualBlock3d(string name, long inChannels, long outChannels, long stride) : base(name)
    {
        conv1 = Conv3d(inChannels, outChannels, 3, stride: stride, padding: 1, bias: false);
        norm1 = Norm(outChannels);
        conv2 = Conv3d(outChannels, outChannels, 3, padding: 1, bias: false);
        norm2 = Norm(outChannels);
        if (stride != 1 || inChannels != outChannels)
            shortcut = Sequential(Conv3d(inChannels, outChannels, 1, stride: stride, bias: false), Norm(outChannels));
        RegisterComponents();
    }

    /// <summary>GroupNorm with groups of 4 channels (one group when there are fewer).</summary>
    internal static Module<Tensor, Tensor> Norm(long channels) => GroupNorm(Math.Max(1, channels / 4), channels);

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var y = functional.relu(norm1.call(conv1.call(x)));
        y = norm2.call(conv2.call(y));
        var s = shortcut is null ? x : shortcut.call(x);
        return functional.relu(y + s).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// A small 3D ResNet encoder for lesion patches: a stem convolution at full resolution, then residual blocks of width
/// w, 2w (stride 2) and 4w (stride 2). Returns the last feature map, [N, 4w, D/4, H/4, W/4], which Grad-CAM explains.
/// </summary>
public sealed class ResNet3dEncoder : Module<Tensor, Tensor>
{
    private readonly Module<Tensor, Tensor> stem, stemNorm;
    private readonly ResidualBlock3d layer1, layer2, layer3;

    public long FeatureChannels { get; }

    public ResNet3dEncoder(string name, long inChannels, long width) : base(name)
    {
        stem = Conv3d(inChannels, width, 3, padding: 1, bias: false);
        stemNorm = ResidualBlock3d.Norm(width);
        layer1 = new ResidualBlock3d("layer1", width, width, 1);
        layer2 = new ResidualBlock3d("layer2", width, 2 * width, 2);
        layer3 = new ResidualBlock3d("layer3", 2 * width, 4 * width, 2);
        FeatureChannels = 4 * width;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var y = functional.relu(stemNorm.call(stem.call(x)));
        return layer3.call(layer2.call(layer1.call(y))).MoveToOuterDisposeScope();
    }

    /// <summary>Global average pooling of a feature map: [N, C, d, h, w] → [N, C].</summary>
    internal static Tensor Pool(Tensor map) => map.mean([2, 3, 4]);
}
