using Grpc.Core;

namespace FedRad.SiteAgent.Coordinator;

/// <summary>Exponential backoff with jitter for reconnecting to the coordinator.</summary>
public sealed class Backoff(double maxSeconds)
{
    private int _attempt;

    public TimeSpan Next()
    {
        var baseSeconds = Math.Min(maxSeconds, 0.25 * Math.Pow(2, _attempt++));
        return TimeSpan.FromSeconds(baseSeconds * (0.75 + 0.5 * Random.Shared.NextDouble()));
    }

    public void Reset() => _attempt = 0;

    /// <summary>Errors worth retrying: the coordinator is down, restarting, or the link broke.</summary>
    public static bool IsTransient(RpcException e) => e.StatusCode is
        StatusCode.Unavailable or StatusCode.Aborted or StatusCode.DeadlineExceeded or StatusCode.Internal or StatusCode.Unknown or StatusCode.Cancelled;
}
