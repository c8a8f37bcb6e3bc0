using FedRad.DeepLearning.Data;
using FedRad.DeepLearning.Models;
using FedRad.DeepLearning.Weights;
using FedRad.Shared.Tensors;
using TorchSharp;
using static TorchSharp.torch;

namespace FedRad.DeepLearning.Training;

public sealed record LocalTrainingOptions
{
    public int Epochs { get; init; } = 2;
    public int BatchSize { get; init; } = 16;
    /// <summary>Adam's learning rate (the optimiser starts afresh every round: its moments are site state that is not federated).</summary>
    public double LearningRate { get; init; } = 2e-3;
    public double WeightDecay { get; init; }
    /// <summary>FedProx μ: adds μ/2 ‖w − w_start‖² to the loss, w_start being the weights training began from (the global model).</summary>
    public double ProximalMu { get; init; }
    /// <summary>Orders the batches; with the model's seed it fixes the whole run.</summary>
    public int Seed { get; init; } = 1;
    /// <summary>Mirror patches at random along each axis (the lesion task has no preferred orientation).</summary>
    public bool RandomFlips { get; init; } = true;

    public string? Problem() =>
        Epochs < 1 ? $"epochs must be at least 1, got {Epochs}" :
        BatchSize < 1 ? $"batch size must be at least 1, got {BatchSize}" :
        !(LearningRate > 0 && double.IsFinite(LearningRate)) ? $"learning rate must be a finite value > 0, got {LearningRate}" :
        !(WeightDecay >= 0 && double.IsFinite(WeightDecay)) ? $"weight decay must be a finite value >= 0, got {WeightDecay}" :
        !(ProximalMu >= 0 && double.IsFinite(ProximalMu)) ? $"proximal mu must be a finite value >= 0, got {ProximalMu}" :
        null;
}

/// <summary>What a site sends back after training: the weights, how many samples they were trained on and the loss.</summary>
public sealed record LocalTrainingResult(ModelWeights Weights, int SampleCount, double Loss, IReadOnlyList<double> EpochLosses, int SamplesSeen);

/// <summary>
/// Local training of a deep model at a site, on CPU: mini-batch Adam on the binary cross-entropy of the logits,
/// optionally with FedProx's proximal term. Batches are ordered by a generator seeded from the options, and model
/// weights come from <see cref="DeepModels.Create"/> or the global model, so a run repeats bit for bit.
/// </summary>
public static class LocalTrainer
{
    public static LocalTrainingResult Train(IDeepModel model, SampleSet data, LocalTrainingOptions options, IProgress<(int Epoch, double Loss)>? progress = null)
    {
        if (options.Problem() is { } problem) throw new ArgumentException(problem, nameof(options));
        if (!data.SampleShape.SequenceEqual(model.Spec.SampleShape))
            throw new ArgumentException($"samples of shape [{string.Join(",", data.SampleShape)}] do not fit model '{model.Spec.Kind}' which takes [{string.Join(",", model.Spec.SampleShape)}]");
        if (data.Count == 0) throw new ArgumentException("no samples to train on");
        TorchRuntime.Configure();
        var module = model.Module;
        module.train();
        var parameters = module.parameters().ToList();
        // The proximal anchor: the weights training starts from, i.e. the global model of the round.
        var anchor = options.ProximalMu > 0 ? parameters.Select(p => p.detach().clone()).ToList() : null;
        using var optimizer = optim.Adam(parameters, options.LearningRate, weight_decay: options.WeightDecay);
        var rng = new Random(options.Seed);
        var epochLosses = new List<double>();
        var seen = 0;
        try
        {
            for (var epoch = 0; epoch < options.Epochs; epoch++)
            {
                var order = Enumerable.Range(0, data.Count).ToArray();
                rng.Shuffle(order);
                double lossSum = 0;
                for (var start = 0; start < order.Length; start += options.BatchSize)
                {
                    using var scope = NewDisposeScope();
                    var batch = order.AsSpan(start, Math.Min(options.BatchSize, order.Length - start));
                    var (x, y) = Batch(data, batch, options.RandomFlips ? rng : null);
                    optimizer.zero_grad();
                    var logits = module.call(x);
                    var loss = nn.functional.binary_cross_entropy_with_logits(logits, y);
                    lossSum += loss.item<float>() * batch.Length;
                    if (anchor is not null)
                    {
                        var proximal = zeros(1);
                        for (var i = 0; i < parameters.Count; i++) proximal = proximal + (parameters[i] - anchor[i]).square().sum();
                        loss = loss + options.ProximalMu / 2 * proximal;
                    }
                    loss.backward();
                    optimizer.step();
                    seen += batch.Length;
                }
                var epochLoss = lossSum / data.Count;
                if (!double.IsFinite(epochLoss)) throw new InvalidOperationException($"training diverged: loss {epochLoss} in epoch {epoch + 1}");
                epochLosses.Add(epochLoss);
                progress?.Report((epoch + 1, epochLoss));
            }
        }
        finally
        {
            if (anchor is not null) foreach (var a in anchor) a.Dispose();
        }
        return new LocalTrainingResult(WeightConversion.ToWeights(module), data.Count, epochLosses[^1], epochLosses, seen);
    }

    /// <summary>The batch as tensors: inputs [B, ...sample shape] (each sample mirrored at random when a generator is given) and float labels [B].</summary>
    internal static (Tensor X, Tensor Y) Batch(SampleSet data, ReadOnlySpan<int> indices, Random? flips)
    {
        var values = new float[indices.Length * data.SampleSize];
        for (var k = 0; k < indices.Length; k++) data.Sample(indices[k]).CopyTo(values.AsSpan(k * data.SampleSize));
        var x = tensor(values, [indices.Length, .. data.SampleShape]);
        if (flips is not null && data.SampleShape.Length == 4)
        {
            // Mirror each spatial axis of the whole batch with probability ½ (dims 2, 3, 4 of [B, C, D, H, W]).
            long[] axes = [.. new long[] { 2, 3, 4 }.Where(_ => flips.NextDouble() < 0.5)];
            if (axes.Length > 0) x = x.flip(axes);
        }
        var y = tensor(indices.ToArray().Select(i => (float)data.Labels[i]).ToArray());
        return (x, y);
    }
}
