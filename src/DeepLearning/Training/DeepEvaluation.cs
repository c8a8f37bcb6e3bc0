using FedRad.DeepLearning.Data;
using FedRad.DeepLearning.Models;
using FedRad.Learning.Metrics;
using static TorchSharp.torch;

namespace FedRad.DeepLearning.Training;

public sealed record DeepEvaluationResult(int N, double Auc, double LogLoss, double[] Probabilities);

/// <summary>Predicted probabilities, AUC and log-loss of a deep model on a site's samples.</summary>
public static class DeepEvaluation
{
    public static double[] Predict(IDeepModel model, SampleSet data, int batchSize = 64)
    {
        TorchRuntime.Configure();
        var module = model.Module;
        module.eval();
        using var _ = no_grad();
        var probabilities = new double[data.Count];
        var all = Enumerable.Range(0, data.Count).ToArray();
        for (var start = 0; start < data.Count; start += batchSize)
        {
            using var scope = NewDisposeScope();
            var batch = all.AsSpan(start, Math.Min(batchSize, data.Count - start));
            var (x, _) = LocalTrainer.Batch(data, batch, flips: null);
            var p = sigmoid(module.call(x)).data<float>().ToArray();
            for (var k = 0; k < p.Length; k++) probabilities[start + k] = p[k];
        }
        return probabilities;
    }

    public static DeepEvaluationResult Evaluate(IDeepModel model, SampleSet data)
    {
        var p = Predict(model, data);
        var auc = Auc.Compute(p, data.Labels);
        var logLoss = -data.Labels.Select((y, i) => y == 1 ? Math.Log(Math.Max(p[i], 1e-12)) : Math.Log(Math.Max(1 - p[i], 1e-12))).Average();
        return new DeepEvaluationResult(data.Count, auc, logLoss, p);
    }
}
