using FedRad.Coordinator.Contracts.Grains;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace FedRad.Coordinator.Observability;

/// <summary>Healthy when the silo answers a grain call (which needs its cluster membership and grain storage).</summary>
public sealed class SiloHealthCheck(IGrainFactory grains) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var sites = await grains.GetGrain<ISiteDirectoryGrain>(0).List().WaitAsync(TimeSpan.FromSeconds(5), cancellationToken);
            return HealthCheckResult.Healthy($"{sites.Count} sites registered");
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy("the silo does not answer grain calls", e);
        }
    }
}
