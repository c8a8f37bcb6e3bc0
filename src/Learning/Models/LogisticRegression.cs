using FedRad.Shared.Tensors;

namespace FedRad.Learning.Models;

/// <summary>
/// Binary logistic regression P(y=1|x) = σ(b + w·z) on standardised features z = (x − μ) / s,
/// trained locally by mini-batch gradient descent on the mean log-loss plus (l2/2)·‖w‖² (the
/// intercept is not penalised). μ and s are the pooled mean and SD of every feature, computed
/// exactly across sites before training (or 0 and 1); they travel with the model and never change
/// during training. Tensors: "coef" [d], "intercept" [1], "feature_mean" [d], "feature_scale" [d].
/// </summary>
public sealed class LogisticRegression
{
    public const string CoefTensor = "coef";
    public const string InterceptTensor = "intercept";
    public const string MeanTensor = "feature_mean";
    public const string ScaleTensor = "feature_scale";

    /// <summary>Tensors fixed by the standardisation round; training must leave them unchanged.</summary>
    public static readonly IReadOnlyList<string> FrozenTensors = [MeanTensor, ScaleTensor];

    public double[] Coef { get; }
    public double Intercept { get; private set; }
    public double[] FeatureMean { get; }
    public double[] FeatureScale { get; }

    public LogisticRegression(double[] coef, double intercept, double[]? featureMean = null, double[]? featureScale = null)
    {
        Coef = coef;
        Intercept = intercept;
        FeatureMean = featureMean ?? new double[coef.Length];
        FeatureScale = featureScale ?? Enumerable.Repeat(1.0, coef.Length).ToArray();
        if (FeatureMean.Length != coef.Length || FeatureScale.Length != coef.Length)
            throw new ArgumentException("feature mean and scale must have one value per coefficient");
    }

    public static LogisticRegression Zero(int features) => new(new double[features], 0);

    public ModelWeights ToWeights() => new(
    [
        new WeightTensor(CoefTensor, [Coef.Length], (double[])Coef.Clone()),
        new WeightTensor(InterceptTensor, [1], [Intercept]),
        new WeightTensor(MeanTensor, [Coef.Length], (double[])FeatureMean.Clone()),
        new WeightTensor(ScaleTensor, [Coef.Length], (double[])FeatureScale.Clone()),
    ]);

    public static LogisticRegression FromWeights(ModelWeights weights) =>
        new((double[])weights[CoefTensor].Values.Clone(), weights[InterceptTensor].Values[0],
            (double[])weights[MeanTensor].Values.Clone(), (double[])weights[ScaleTensor].Values.Clone());

    /// <summary>The standardised features z = (x − μ) / s the coefficients apply to.</summary>
    public double[][] Standardise(double[][] x) =>
        x.Select(row => row.Select((v, j) => (v - FeatureMean[j]) / FeatureScale[j]).ToArray()).ToArray();

    public double PredictProbability(double[] x)
    {
        var z = Intercept;
        for (var j = 0; j < Coef.Length; j++) z += Coef[j] * (x[j] - FeatureMean[j]) / FeatureScale[j];
        return Sigmoid(z);
    }

    public double[] PredictProbabilities(double[][] x) => x.Select(PredictProbability).ToArray();

    /// <summary>Mean log-loss on (x, y) plus the L2 term.</summary>
    public double Loss(double[][] x, int[] y, double l2)
    {
        double sum = 0;
        var zs = Standardise(x);
        for (var i = 0; i < x.Length; i++)
        {
            var z = Intercept + Dot(Coef, zs[i]);
            // log(1 + e^z) - y z, written to avoid overflow for large |z|.
            sum += (z > 0 ? z + double.LogP1(Math.Exp(-z)) : double.LogP1(Math.Exp(z))) - y[i] * z;
        }
        return sum / x.Length + 0.5 * l2 * Dot(Coef, Coef);
    }

    /// <summary>
    /// Runs <paramref name="epochs"/> passes of mini-batch gradient descent, shuffling with <paramref name="seed"/>.
    /// With <paramref name="proximalMu"/> &gt; 0 (FedProx) the loss gains μ/2 ‖θ − θ_global‖², θ_global being the
    /// coefficients and intercept the training started from.
    /// </summary>
    public void Train(double[][] rawX, int[] y, int epochs, double learningRate, double l2, int batchSize, ulong seed, double proximalMu = 0)
    {
        var anchor = (double[])Coef.Clone();
        var anchorIntercept = Intercept;
        if (rawX.Length == 0) throw new ArgumentException("no training rows");
        var x = Standardise(rawX);
        var d = Coef.Length;
        if (x[0].Length != d) throw new ArgumentException($"rows have {x[0].Length} features, the model has {d}");
        batchSize = batchSize <= 0 ? x.Length : Math.Min(batchSize, x.Length);
        var order = Enumerable.Range(0, x.Length).ToArray();
        var rng = new Random(unchecked((int)seed ^ (int)(seed >> 32)));
        var grad = new double[d];
        for (var epoch = 0; epoch < epochs; epoch++)
        {
            rng.Shuffle(order);
            for (var start = 0; start < order.Length; start += batchSize)
            {
                var end = Math.Min(start + batchSize, order.Length);
                Array.Clear(grad);
                double gradB = 0;
                for (var k = start; k < end; k++)
                {
                    var i = order[k];
                    var r = Sigmoid(Intercept + Dot(Coef, x[i])) - y[i];
                    for (var j = 0; j < d; j++) grad[j] += r * x[i][j];
                    gradB += r;
                }
                var m = end - start;
                for (var j = 0; j < d; j++) Coef[j] -= learningRate * (grad[j] / m + l2 * Coef[j] + proximalMu * (Coef[j] - anchor[j]));
                Intercept -= learningRate * (gradB / m + proximalMu * (Intercept - anchorIntercept));
            }
        }
    }

    public static double Sigmoid(double z) => z >= 0 ? 1 / (1 + Math.Exp(-z)) : Math.Exp(z) / (1 + Math.Exp(z));

    private static double Dot(double[] a, double[] b)
    {
        double s = 0;
        for (var i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }
}
