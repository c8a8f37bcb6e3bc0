using FedRad.Coordinator.Contracts.Grains;
using FedRad.Statistics.Coordinator;
using FedRad.Statistics.Protocol;

namespace FedRad.Coordinator.Statistics;

/// <summary>
/// All of an analysis's sites as one channel under secure aggregation (FitOptions.SecureAggregation):
/// each request is one secure sum (<see cref="SecureSumGrain"/>), and what comes back is the decoded sum,
/// one aggregate standing for every contributing site. A request that is not a sum is refused before it is sent.
/// </summary>
public sealed class SecureSumChannel(IGrainFactory grains, string analysisId, IReadOnlyList<string> siteIds, TimeSpan timeout) : ISiteChannel
{
    /// <summary>Fixed-point resolution of the sums: 2^-32 (docs/statistics.md, "Secure aggregation").</summary>
    public const int FractionBits = 32;

    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(25);
    private int _sequence;

    public string Site => "secure-sum";

    public int Requests => _sequence;

    public async Task<TAggregate> SendAsync<TAggregate>(SiteRequest<TAggregate> request, CancellationToken cancellationToken = default)
        where TAggregate : SiteAggregate
    {
        if (SecureSum.Refusal(request) is { } why) throw new AnalysisFailedException($"secure aggregation: {why}");
        var session = $"{analysisId}/{Interlocked.Increment(ref _sequence)}";
        var grain = grains.GetGrain<ISecureSumGrain>(session);
        await grain.Open(siteIds, ProtocolJson.SerializeRequest(request), SecureSum.Length(request), FractionBits, (int)Math.Ceiling(timeout.TotalSeconds));
        while (true)
        {
            var outcome = await grain.Poll();
            if (outcome.Error is { } error) throw new AnalysisFailedException($"secure sum {session}: {error}");
            if (outcome.Sum is { } sum) return SecureSum.Decode(request, sum, Site);
            await Task.Delay(Poll, cancellationToken);
        }
    }
}
