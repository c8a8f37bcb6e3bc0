using System.Security.Cryptography;
using System.Text;
using static TorchSharp.torch;

namespace FedRad.DeepLearning.Models;

/// <summary>Builds deep models with deterministic initial weights.</summary>
public static class DeepModels
{
    /// <summary>
    /// The model of <paramref name="spec"/> with weights drawn from <paramref name="seed"/> alone (not torch's global
    /// generator, which concurrent users share): He-uniform (bound √(6 / fan_in)) for convolution and linear weights,
    /// zero biases, GroupNorm scales 1 and shifts 0. The same spec and seed give the same weights on any machine.
    /// </summary>
    public static IDeepModel Create(DeepModelSpec spec, ulong seed)
    {
        if (spec.Problem() is { } problem) throw new ArgumentException(problem, nameof(spec));
        TorchRuntime.Configure();
        IDeepModel model = spec.Kind switch
        {
            DeepModelSpec.Mlp => new RadiomicsMlp(spec),
            DeepModelSpec.CnnDelta => new DeltaResNet3d(spec),
            _ => new FusionResNet3d(spec),
        };
        Initialise(model.Module, seed);
        return model;
    }

    private static void Initialise(nn.Module module, ulong seed)
    {
        using var _ = no_grad();
        foreach (var (name, p) in module.named_parameters())
        {
            var count = (int)p.numel();
            var values = new float[count];
            if (name.EndsWith("bias", StringComparison.Ordinal)) { /* zeros */ }
            else if (p.dim() == 1) Array.Fill(values, 1f);   // a GroupNorm scale: convolution and linear weights are 2-D or more
            else
            {
                var fanIn = p.shape.Skip(1).Aggregate(1L, (a, b) => a * b);
                var bound = Math.Sqrt(6.0 / fanIn);
                // One stream per parameter, keyed by its name: adding a layer does not reshuffle the others.
                var rng = new Random(StreamSeed(seed, name));
                for (var i = 0; i < count; i++) values[i] = (float)((2 * rng.NextDouble() - 1) * bound);
            }
            using var t = tensor(values, p.shape);
            p.copy_(t);
        }
    }

    private static int StreamSeed(ulong seed, string name)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{seed}/{name}"));
        return BitConverter.ToInt32(hash, 0);
    }
}
