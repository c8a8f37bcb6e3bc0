using FedRad.Protocol.V1;
using FedRad.Shared.Tensors;
using static TorchSharp.torch;

namespace FedRad.DeepLearning.Weights;

/// <summary>
/// Moves a TorchSharp module's parameters to and from <see cref="ModelWeights"/>: one tensor per named parameter
/// (e.g. <c>encoder.layer2.conv1.weight</c>), in the module's order, travelling as float32.
/// </summary>
public static class WeightConversion
{
    public static ModelWeights ToWeights(nn.Module module) =>
        new(module.named_parameters().Select(np =>
        {
            using var cpu = np.parameter.detach().cpu().contiguous();
            var values = cpu.data<float>().ToArray();
            return new WeightTensor(np.name, np.parameter.shape, Array.ConvertAll(values, v => (double)v), DType.Float32);
        }));

    /// <summary>The layout a module's weights have (what a round expects every update to match).</summary>
    public static IReadOnlyList<TensorSpec> Spec(nn.Module module) =>
        module.named_parameters().Select(np => new TensorSpec(np.name, np.parameter.shape, DType.Float32)).ToList();

    /// <summary>
    /// Copies <paramref name="weights"/> into the module's parameters. Throws <see cref="TensorFormatException"/> naming
    /// the first tensor that is missing, extra, misshapen or not finite (a model of another architecture).
    /// </summary>
    public static void Load(nn.Module module, ModelWeights weights)
    {
        if (TensorCodec.Validate(weights, Spec(module)) is { } problem)
            throw new TensorFormatException($"weights do not fit the model: {problem}");
        using var _ = no_grad();
        foreach (var (name, p) in module.named_parameters())
        {
            using var t = tensor(Array.ConvertAll(weights[name].Values, v => (float)v), p.shape);
            p.copy_(t);
        }
    }
}
