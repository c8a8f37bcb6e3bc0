using FedRad.DeepLearning.Models;
using FedRad.DeepLearning.Weights;
using FedRad.Protocol.V1;
using FedRad.Shared.Tensors;
using static TorchSharp.torch;

namespace FedRad.DeepLearning.Tests;

public sealed class ModelTests
{
    private static Tensor Input(DeepModelSpec spec, int batch)
    {
        var shape = new long[] { batch }.Concat(spec.SampleShape).ToArray();
        var n = (int)shape.Aggregate(1L, (a, b) => a * b);
        var rng = new Random(3);
        return tensor(Enumerable.Range(0, n).Select(_ => (float)rng.NextDouble()).ToArray(), shape);
    }

    [Theory]
    [InlineData(DeepModelSpec.CnnEarly, new long[] { 2, 16, 16, 16 })]
    [InlineData(DeepModelSpec.CnnIntermediate, new long[] { 2, 16, 16, 16 })]
    [InlineData(DeepModelSpec.CnnDelta, new long[] { 4, 16, 16, 16 })]
    [InlineData(DeepModelSpec.Mlp, new long[] { 6 })]
    public void Every_model_maps_a_batch_to_one_logit_per_sample(string kind, long[] sampleShape)
    {
        var spec = new DeepModelSpec { Kind = kind, FeatureCount = 6 };
        Assert.Equal(sampleShape, spec.SampleShape);
        var model = DeepModels.Create(spec, 1);
        using var x = Input(spec, 3);
        using var y = model.Module.call(x);
        Assert.Equal([3L], y.shape);
        Assert.All(y.data<float>().ToArray(), v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void Feature_maps_are_a_quarter_of_the_patch_with_4w_channels_one_per_encoder_pass()
    {
        foreach (var (kind, passes) in new[] { (DeepModelSpec.CnnEarly, 1), (DeepModelSpec.CnnIntermediate, 2), (DeepModelSpec.CnnDelta, 2) })
        {
            var spec = new DeepModelSpec { Kind = kind, Width = 4, PatchSize = 24 };
            var model = (IExplainableModel)DeepModels.Create(spec, 1);
            using var x = Input(spec, 2);
            var (logits, maps) = model.ForwardWithFeatureMaps(x);
            Assert.Equal([2L], logits.shape);
            Assert.Equal(passes, maps.Length);
            Assert.All(maps, m => Assert.Equal([2L, 16, 6, 6, 6], m.shape));
        }
    }

    [Fact]
    public void Intermediate_fusion_has_one_encoder_per_modality_and_early_fusion_one_with_two_input_channels()
    {
        var early = WeightConversion.ToWeights(DeepModels.Create(new DeepModelSpec { Kind = DeepModelSpec.CnnEarly }, 1).Module);
        var inter = WeightConversion.ToWeights(DeepModels.Create(new DeepModelSpec { Kind = DeepModelSpec.CnnIntermediate }, 1).Module);
        Assert.Equal([8L, 2, 3, 3, 3], early["encoder.stem.weight"].Shape);
        Assert.Equal([8L, 1, 3, 3, 3], inter["petEncoder.stem.weight"].Shape);
        Assert.Equal([8L, 1, 3, 3, 3], inter["ctEncoder.stem.weight"].Shape);
        Assert.Equal([1L, 64], inter["head.weight"].Shape);   // 32 PET features ++ 32 CT features
        Assert.Equal([1L, 32], early["head.weight"].Shape);
    }

    [Fact]
    public void Weights_travel_as_float32_and_load_back_into_a_model_built_from_another_seed()
    {
        var spec = new DeepModelSpec { Kind = DeepModelSpec.CnnEarly };
        var a = DeepModels.Create(spec, 1);
        var b = DeepModels.Create(spec, 2);
        var wa = WeightConversion.ToWeights(a.Module);
        Assert.All(wa.Tensors, t => Assert.Equal(DType.Float32, t.WireType));
        Assert.NotEqual(wa["encoder.stem.weight"].Values, WeightConversion.ToWeights(b.Module)["encoder.stem.weight"].Values);

        // Through the wire format and back: b then computes exactly what a computes.
        WeightConversion.Load(b.Module, TensorCodec.Deserialize(TensorCodec.Serialize(wa)));
        using var x = Input(spec, 2);
        using var ya = a.Module.call(x);
        using var yb = b.Module.call(x);
        Assert.Equal(ya.data<float>().ToArray(), yb.data<float>().ToArray());
    }

    [Fact]
    public void Initial_weights_depend_on_the_seed_only()
    {
        var spec = new DeepModelSpec { Kind = DeepModelSpec.CnnIntermediate };
        var w1 = WeightConversion.ToWeights(DeepModels.Create(spec, 7).Module);
        var w2 = WeightConversion.ToWeights(DeepModels.Create(spec, 7).Module);
        Assert.All(w1.Tensors, t => Assert.Equal(t.Values, w2[t.Name].Values));
        // GroupNorm scales start at 1, biases at 0, convolution weights within the He bound √(6 / fan_in).
        Assert.All(w1["petEncoder.layer1.norm1.weight"].Values, v => Assert.Equal(1.0, v));
        Assert.All(w1["head.bias"].Values, v => Assert.Equal(0.0, v));
        var bound = Math.Sqrt(6.0 / (1 * 27));
        Assert.All(w1["petEncoder.stem.weight"].Values, v => Assert.InRange(Math.Abs(v), 0, bound));
        Assert.True(w1["petEncoder.stem.weight"].Values.Max() > 0.8 * bound);
    }

    [Fact]
    public void Weights_of_another_architecture_are_refused_naming_the_tensor()
    {
        var early = DeepModels.Create(new DeepModelSpec { Kind = DeepModelSpec.CnnEarly }, 1);
        var wider = WeightConversion.ToWeights(DeepModels.Create(new DeepModelSpec { Kind = DeepModelSpec.CnnEarly, Width = 16 }, 1).Module);
        var e = Assert.Throws<TensorFormatException>(() => WeightConversion.Load(early.Module, wider));
        Assert.Equal("weights do not fit the model: tensor 'encoder.stem.weight' has shape [16,2,3,3,3], expected [8,2,3,3,3]", e.Message);
        var inter = WeightConversion.ToWeights(DeepModels.Create(new DeepModelSpec { Kind = DeepModelSpec.CnnIntermediate }, 1).Module);
        Assert.Contains("expected 29 tensors", Assert.Throws<TensorFormatException>(() => WeightConversion.Load(early.Module, inter)).Message);
    }

    [Fact]
    public void Bad_specs_are_refused_with_the_reason()
    {
        Assert.Contains("unknown deep model 'vit'", Assert.Throws<ArgumentException>(() => DeepModels.Create(new DeepModelSpec { Kind = "vit" }, 1)).Message);
        Assert.Contains("multiple of 4, got 18", Assert.Throws<ArgumentException>(() => DeepModels.Create(new DeepModelSpec { Kind = DeepModelSpec.CnnEarly, PatchSize = 18 }, 1)).Message);
        Assert.Contains("at least one feature", Assert.Throws<ArgumentException>(() => DeepModels.Create(new DeepModelSpec { Kind = DeepModelSpec.Mlp }, 1)).Message);
    }
}
