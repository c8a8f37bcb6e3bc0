using FedRad.Learning.Models;
using FedRad.Shared.Tensors;

namespace FedRad.DeepLearning.Weights;

/// <summary>
/// An MLP study's model travels with the standardisation tensors of the federated standardisation round (the same
/// <c>feature_mean</c> and <c>feature_scale</c> as logistic regression, float64, one value per feature): the round fills
/// them in at the coordinator, every site standardises its features with them, and training hands them back unchanged.
/// The network itself never sees them as parameters.
/// </summary>
public static class StandardisedFeatures
{
    /// <summary>The module's weights with mean 0 and scale 1 appended: an initial model whose standardisation round is still to come.</summary>
    public static ModelWeights Attach(ModelWeights module, int features) =>
        new([.. module.Tensors,
            new WeightTensor(LogisticRegression.MeanTensor, [features], new double[features]),
            new WeightTensor(LogisticRegression.ScaleTensor, [features], Enumerable.Repeat(1.0, features).ToArray())]);

    /// <summary>The module's own tensors, and the mean and scale when the model carries them (else null: raw features).</summary>
    public static (ModelWeights Module, double[]? Mean, double[]? Scale) Split(ModelWeights weights)
    {
        var frozen = LogisticRegression.FrozenTensors;
        var module = new ModelWeights(weights.Tensors.Where(t => !frozen.Contains(t.Name)));
        var has = weights.Tensors.Any(t => t.Name == LogisticRegression.MeanTensor);
        return has ? (module, weights[LogisticRegression.MeanTensor].Values, weights[LogisticRegression.ScaleTensor].Values) : (module, null, null);
    }

    /// <summary>Trained module weights with the global model's standardisation tensors, exactly as they came.</summary>
    public static ModelWeights Rejoin(ModelWeights trained, ModelWeights global) =>
        new([.. trained.Tensors, .. global.Tensors.Where(t => LogisticRegression.FrozenTensors.Contains(t.Name))]);

    /// <summary>Row-major float inputs for the MLP: (x − mean) / scale, or x itself without a standardisation.</summary>
    public static float[] Inputs(double[][] x, double[]? mean, double[]? scale)
    {
        var d = x.Length == 0 ? 0 : x[0].Length;
        if (mean is not null && (mean.Length != d || scale!.Length != d))
            throw new TensorFormatException($"the model standardises {mean.Length} features, the cohort has {d}");
        var inputs = new float[x.Length * d];
        for (var i = 0; i < x.Length; i++)
            for (var j = 0; j < d; j++)
                inputs[i * d + j] = (float)(mean is null ? x[i][j] : (x[i][j] - mean[j]) / scale![j]);
        return inputs;
    }
}
