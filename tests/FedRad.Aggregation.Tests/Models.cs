using FedRad.Shared.Tensors;

namespace FedRad.Aggregation.Tests;

/// <summary>Small models for hand-worked examples: one tensor "w" of any length, optionally a bias "b".</summary>
internal static class Models
{
    public static ModelWeights W(params double[] w) => new([new WeightTensor("w", [w.Length], w)]);

    public static ModelWeights WB(double[] w, double b) => new([new WeightTensor("w", [w.Length], w), new WeightTensor("b", [1], [b])]);

    public static double[] Values(ModelWeights m, string name = "w") => m[name].Values;
}
