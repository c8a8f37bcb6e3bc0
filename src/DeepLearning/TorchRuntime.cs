using static TorchSharp.torch;

namespace FedRad.DeepLearning;

/// <summary>Process-wide TorchSharp settings FedRad relies on for reproducible CPU results.</summary>
public static class TorchRuntime
{
    private static readonly Lock Gate = new();
    private static bool _configured;

    /// <summary>
    /// Default dtype float32. TorchSharp 0.107 does not implement use_deterministic_algorithms; the CPU kernels FedRad
    /// uses (convolution, GroupNorm, linear, reductions) split their work by the intra-op thread count, which stays
    /// at torch's default (one per core), so a run repeats bit for bit on the same machine (checked by the tests).
    /// </summary>
    public static void Configure()
    {
        lock (Gate)
        {
            if (_configured) return;
            set_default_dtype(float32);
            _configured = true;
        }
    }
}
