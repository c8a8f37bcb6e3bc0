using BenchmarkDotNet.Attributes;
using FedRad.DeepLearning.Data;
using FedRad.DeepLearning.Models;
using FedRad.DeepLearning.Training;

namespace FedRad.Benchmarks.DeepLearning;

/// <summary>
/// Local training throughput on CPU: one epoch over 256 synthetic 16³ PET/CT lesion patches (batch 16, Adam), and
/// inference over the same patches, per model. Patches per second = 256 / mean time. In process, because TorchSharp
/// must load under the loader scripts/torchsharp-runtime.sh sets up on hosts with an old libstdc++:
///   scripts/torchsharp-runtime.sh run bench/FedRad.Benchmarks/bin/Release/net10.0/FedRad.Benchmarks --filter '*TrainingThroughput*'
/// </summary>
[Config(typeof(InProcessMonitoringConfig))]
public class TrainingThroughputBenchmarks
{
    public const int Patches = 256;
    private IDeepModel _model = null!;
    private SampleSet _data = null!;

    [Params(DeepModelSpec.CnnEarly, DeepModelSpec.CnnIntermediate, DeepModelSpec.CnnDelta)]
    public string Model { get; set; } = DeepModelSpec.CnnEarly;

    [GlobalSetup]
    public void Setup()
    {
        _model = DeepModels.Create(new DeepModelSpec { Kind = Model }, 1);
        _data = Model == DeepModelSpec.CnnDelta ? SyntheticLesions.GenerateDelta(Patches, 1) : SyntheticLesions.Generate(Patches, 1).Samples;
    }

    [Benchmark(Description = "train one epoch of 256 patches")]
    public double TrainEpoch() => LocalTrainer.Train(_model, _data, new LocalTrainingOptions { Epochs = 1 }).Loss;

    [Benchmark(Description = "predict 256 patches")]
    public double Predict() => DeepEvaluation.Predict(_model, _data).Sum();
}
