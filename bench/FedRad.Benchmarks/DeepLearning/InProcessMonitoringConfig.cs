using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace FedRad.Benchmarks.DeepLearning;

/// <summary>
/// One job, in process, few iterations: each operation takes seconds, and TorchSharp only loads in a process started
/// through scripts/torchsharp-runtime.sh (a benchmark child process would start without the private loader).
/// </summary>
public sealed class InProcessMonitoringConfig : ManualConfig
{
    public InProcessMonitoringConfig() =>
        AddJob(Job.Default
            .WithStrategy(RunStrategy.Monitoring)
            .WithWarmupCount(1)
            .WithIterationCount(5)
            .WithToolchain(InProcessEmitToolchain.Instance));
}
