using FedRad.Shared.Tensors;

namespace FedRad.Learning.Models;

/// <summary>The model families a study can name, and their tensor layouts.</summary>
public static class ModelCatalog
{
    public const string LogisticRegression = "logreg";

    public static IReadOnlyList<string> Names { get; } = [LogisticRegression];

    /// <summary>The starting global model of a study (all zeros for logistic regression).</summary>
    public static ModelWeights Initial(string model, int featureCount) => model switch
    {
        LogisticRegression => Models.LogisticRegression.Zero(featureCount).ToWeights(),
        _ => throw new ArgumentException($"unknown model '{model}' (known: {string.Join(", ", Names)})"),
    };
}
