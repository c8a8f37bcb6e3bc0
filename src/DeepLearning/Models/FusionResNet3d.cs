using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace FedRad.DeepLearning.Models;

/// <summary>How PET and CT enter the network.</summary>
public enum Fusion
{
    /// <summary>PET and CT as two input channels of one encoder.</summary>
    Early,
    /// <summary>One encoder per modality; their pooled features are concatenated before the classifier.</summary>
    Intermediate,
}

/// <summary>
/// The lesion-patch classifier: input [N, 2, S, S, S] (channel 0 PET, channel 1 CT, see <see cref="Data.PatchNormalisation"/>),
/// output one logit per patch.
/// </summary>
public sealed class FusionResNet3d : Module<Tensor, Tensor>, IExplainableModel
{
    private readonly ResNet3dEncoder? encoder, petEncoder, ctEncoder;
    private readonly Module<Tensor, Tensor> head;

    public DeepModelSpec Spec { get; }
    public Module<Tensor, Tensor> Module => this;

    public FusionResNet3d(DeepModelSpec spec) : base(spec.Kind)
    {
        Spec = spec;
        if (spec.Fusion == Fusion.Early)
        {
            encoder = new ResNet3dEncoder("encoder", 2, spec.Width);
            head = Linear(encoder.FeatureChannels, 1);
        }
        else
        {
            petEncoder = new ResNet3dEncoder("petEncoder", 1, spec.Width);
            ctEncoder = new ResNet3dEncoder("ctEncoder", 1, spec.Width);
            head = Linear(petEncoder.FeatureChannels + ctEncoder.FeatureChannels, 1);
        }
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        var (logits, maps) = ForwardWithFeatureMaps(input);
        foreach (var m in maps) m.Dispose();
        return logits;
    }

    public (Tensor Logits, Tensor[] FeatureMaps) ForwardWithFeatureMaps(Tensor input)
    {
        if (encoder is not null)
        {
            var map = encoder.call(input);
            using var pooled = ResNet3dEncoder.Pool(map);
            using var logit = head.call(pooled);
            return (logit.squeeze(1), [map]);
        }
        using var pet = input.narrow(1, 0, 1);
        using var ct = input.narrow(1, 1, 1);
        var petMap = petEncoder!.call(pet);
        var ctMap = ctEncoder!.call(ct);
        using var petPooled = ResNet3dEncoder.Pool(petMap);
        using var ctPooled = ResNet3dEncoder.Pool(ctMap);
        using var features = cat([petPooled, ctPooled], 1);
        using var l = head.call(features);
        return (l.squeeze(1), [petMap, ctMap]);
    }
}

/// <summary>
/// Two timepoints of the same lesion: input [N, 2C, S, S, S], channels 0..C−1 the baseline patch and C..2C−1 the
/// follow-up. One shared encoder embeds both; the classifier sees the difference of the embeddings, so it models the
/// change (delta radiomics learned end to end).
/// </summary>
public sealed class DeltaResNet3d : Module<Tensor, Tensor>, IExplainableModel
{
    private readonly ResNet3dEncoder encoder;
    private readonly Module<Tensor, Tensor> head;

    public DeepModelSpec Spec { get; }
    public Module<Tensor, Tensor> Module => this;

    public DeltaResNet3d(DeepModelSpec spec) : base(spec.Kind)
    {
        Spec = spec;
        encoder = new ResNet3dEncoder("encoder", spec.ChannelsPerTimepoint, spec.Width);
        head = Linear(encoder.FeatureChannels, 1);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        var (logits, maps) = ForwardWithFeatureMaps(input);
        foreach (var m in maps) m.Dispose();
        return logits;
    }

    public (Tensor Logits, Tensor[] FeatureMaps) ForwardWithFeatureMaps(Tensor input)
    {
        var c = Spec.ChannelsPerTimepoint;
        using var before = input.narrow(1, 0, c);
        using var after = input.narrow(1, c, c);
        var mapBefore = encoder.call(before);
        var mapAfter = encoder.call(after);
        using var e0 = ResNet3dEncoder.Pool(mapBefore);
        using var e1 = ResNet3dEncoder.Pool(mapAfter);
        using var difference = e1 - e0;
        using var logit = head.call(difference);
        return (logit.squeeze(1), [mapBefore, mapAfter]);
    }
}

/// <summary>A multilayer perceptron on a radiomic feature vector (standardised by the caller): input [N, F], one logit per row.</summary>
public sealed class RadiomicsMlp : Module<Tensor, Tensor>, IDeepModel
{
    private readonly Module<Tensor, Tensor> layers;

    public DeepModelSpec Spec { get; }
    public Module<Tensor, Tensor> Module => this;

    public RadiomicsMlp(DeepModelSpec spec) : base(spec.Kind)
    {
        Spec = spec;
        var modules = new List<Module<Tensor, Tensor>>();
        long width = spec.FeatureCount;
        foreach (var hidden in spec.Hidden)
        {
            modules.Add(Linear(width, hidden));
            modules.Add(ReLU());
            width = hidden;
        }
        modules.Add(Linear(width, 1));
        layers = Sequential(modules);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var logit = layers.call(input);
        return logit.squeeze(1);
    }
}
