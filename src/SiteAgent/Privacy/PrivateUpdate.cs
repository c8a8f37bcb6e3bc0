using FedRad.Learning.Models;
using FedRad.Privacy.DifferentialPrivacy;
using FedRad.Protocol.V1;
using FedRad.Shared.Tensors;

namespace FedRad.SiteAgent.Privacy;

/// <summary>
/// Differential privacy of one training result at the site (docs/privacy.md §7): the update is the
/// locally trained weights minus the global model, over the trainable tensors only (the
/// standardisation tensors are fixed by the round before and stay exactly as handed out); it is
/// clipped to the study's L2 norm and the site adds its Gaussian noise. Local mode: the whole noise
/// σ·C. Central mode (only under secure aggregation): σ·C/√t, t the session's threshold, so that the
/// sum of at least t survivors carries at least the variance σ²C² and nobody ever sees it without.
/// </summary>
public static class PrivateUpdate
{
    public static DpSettings Settings(TaskPrivacy p) => new(p.DpMode switch
    {
        "local" => DpMode.Local,
        "central" => DpMode.Central,
        _ => throw new ArgumentException($"differential privacy mode '{p.DpMode}' is unknown (local or central)"),
    }, p.ClipNorm, p.NoiseMultiplier);

    /// <summary>The clipped, noised update (frozen tensors all zero) and what was done to it.</summary>
    public static (ModelWeights Delta, PrivatizedUpdate Info) Privatize(ModelWeights local, ModelWeights global, TaskPrivacy privacy, int? secAggThreshold, GaussianSampler sampler)
    {
        var trainable = global.Tensors.Where(t => !LogisticRegression.FrozenTensors.Contains(t.Name)).ToList();
        var flat = new double[trainable.Sum(t => t.Values.Length)];
        var at = 0;
        foreach (var g in trainable)
        {
            var w = local[g.Name].Values;
            for (var i = 0; i < w.Length; i++) flat[at++] = w[i] - g.Values[i];
        }
        var info = GaussianMechanism.Privatize(flat, Settings(privacy), secAggThreshold, sampler);
        at = 0;
        var delta = new List<WeightTensor>();
        foreach (var g in global.Tensors)
        {
            var values = new double[g.Values.Length];
            if (!LogisticRegression.FrozenTensors.Contains(g.Name))
                for (var i = 0; i < values.Length; i++) values[i] = flat[at++];
            delta.Add(g with { Values = values });
        }
        return (new ModelWeights(delta), info);
    }

    /// <summary>global + delta: what a site sends under local DP without secure aggregation.</summary>
    public static ModelWeights Apply(ModelWeights global, ModelWeights delta) =>
        new(global.Tensors.Select(g => g with { Values = g.Values.Select((x, i) => x + delta[g.Name].Values[i]).ToArray() }));
}
