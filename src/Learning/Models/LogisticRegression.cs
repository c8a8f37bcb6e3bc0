using FedRad.Shared.Tensors;

namespace FedRad.Learning.Models;

/// <summary>
/// Binary logistic regression P(y=1|x) = σ(b + w·x), trained locally by mini-batch gradient
/// descent on the mean log-loss plus (l2/2)·‖w‖² (the intercept is not penalised).
/// The weight vector travels as two tensors: "coef" [d] and "intercept" [1].
/// </summary>
public sealed class LogisticRegression
{
    public const string CoefTensor = "coef";
    public const string InterceptTensor = "intercept";

    public double[] Coef { get; }
    public double Intercept { get; private set; }

    public LogisticRegression(double[] coef, double intercept)
    {
        Coef = coef;
        Intercept = intercept;
    }

    public static LogisticRegression Zero(int features) => new(new double[features], 0);

    public ModelWeights ToWeights() => new(
    [
        new WeightTensor(CoefTensor, [Coef.Length], (double[])Coef.Clone()),
        new WeightTensor(InterceptTensor, [1], [Intercept]),
    ]);

    public static LogisticRegression FromWeights(ModelWeights weights) =>
        new((double[])weights[CoefTensor].Values.Clone(), weights[InterceptTensor].Values[0]);

    public double PredictProbability(double[] x) => Sigmoid(Intercept + Dot(Coef, x));

    public double[] PredictProbabilities(double[][] x) => x.Select(PredictProbability).ToArray();

    /// <summary>Mean log-loss on (x, y) plus the L2 term.</summary>
    public double Loss(double[][] x, int[] y, double l2)
    {
        double sum = 0;
        for (var i = 0; i < x.Length; i++)
        {
            var z = Intercept + Dot(Coef, x[i]);
            // log(1 + e^z) - y z, written to avoid overflow for large |z|.
            sum += (z > 0 ? z + double.LogP1(Math.Exp(-z)) : double.LogP1(Math.Exp(z))) - y[i] * z;
        }
        return sum / x.Length + 0.5 * l2 * Dot(Coef, Coef);
    }

    /// <summary>Runs <paramref name="epochs"/> passes of mini-batch gradient descent, shuffling with <paramref name="seed"/>.</summary>
    public void Train(double[][] x, int[] y, int epochs, double learningRate, double l2, int batchSize, ulong seed)
    {
        if (x.Length == 0) throw new ArgumentException("no training rows");
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
                    var r = PredictProbability(x[i]) - y[i];
                    for (var j = 0; j < d; j++) grad[j] += r * x[i][j];
                    gradB += r;
                }
                var m = end - start;
                for (var j = 0; j < d; j++) Coef[j] -= learningRate * (grad[j] / m + l2 * Coef[j]);
                Intercept -= learningRate * gradB / m;
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
