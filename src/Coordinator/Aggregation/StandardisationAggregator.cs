using FedRad.Learning.Models;
using FedRad.Shared.Tensors;

namespace FedRad.Coordinator.Aggregation;

/// <summary>
/// The standardisation round: sums the sites' per-feature sums and sums of squares and writes the
/// pooled mean and SD into the starting model (see <see cref="Standardisation"/>).
/// </summary>
public sealed class StandardisationAggregator(ModelWeights initial)
{
    private readonly int _features = (int)initial[LogisticRegression.MeanTensor].ElementCount;
    private double[]? _sum;
    private double[]? _sumSq;
    private long _n;

    public string? Validate(ModelWeights payload) => TensorCodec.Validate(payload, Layout(initial).Spec);

    /// <summary>What a site sends for the starting model <paramref name="initial"/>: the per-feature sums and sums of squares (zeros here: the layout).</summary>
    public static ModelWeights Layout(ModelWeights initial)
    {
        var features = (int)initial[LogisticRegression.MeanTensor].ElementCount;
        return new ModelWeights([new WeightTensor(Standardisation.SumTensor, [features], new double[features]), new WeightTensor(Standardisation.SumSquaresTensor, [features], new double[features])]);
    }

    public void Add(ModelWeights payload, long n)
    {
        _sum ??= new double[_features];
        _sumSq ??= new double[_features];
        var s = payload[Standardisation.SumTensor].Values;
        var q = payload[Standardisation.SumSquaresTensor].Values;
        for (var j = 0; j < _features; j++) { _sum[j] += s[j]; _sumSq[j] += q[j]; }
        _n += n;
    }

    /// <summary>The initial model with the pooled mean and scale filled in.</summary>
    public ModelWeights Finish()
    {
        var (mean, scale) = Standardisation.Pooled(_sum!, _sumSq!, _n);
        return new ModelWeights(initial.Tensors.Select(t => t.Name switch
        {
            LogisticRegression.MeanTensor => t with { Values = mean },
            LogisticRegression.ScaleTensor => t with { Values = scale },
            _ => t,
        }));
    }
}
