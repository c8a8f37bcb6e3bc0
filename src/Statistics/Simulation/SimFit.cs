using System.Text.Json.Nodes;
using FedRad.Statistics.Analyses;

namespace FedRad.Statistics.Simulation;

/// <summary>Options of <c>fedrad sim fit</c>: the plan, and one CSV table per site.</summary>
public sealed record SimFitOptions : FitOptions
{
    public required IReadOnlyList<string> Sites { get; init; }
    public int MinimumCount { get; init; } = 5;
}

/// <summary>
/// <c>fedrad sim fit</c>: runs the real federated protocol in one process, one site per CSV, and
/// reports the model, its discrimination (pooled and per site) and leave-one-site-out validation.
/// </summary>
public static class SimFit
{
    public static Task<JsonObject> RunAsync(SimFitOptions o, IProgress<string>? progress = null, CancellationToken ct = default) =>
        FederatedFit.RunAsync(o, AnalysisPlan.Load(o.Sites, o.MinimumCount).Endpoints, progress, ct);
}
