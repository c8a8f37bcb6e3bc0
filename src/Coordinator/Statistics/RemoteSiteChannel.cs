using FedRad.Coordinator.Contracts.Grains;
using FedRad.Statistics.Coordinator;
using FedRad.Statistics.Protocol;

namespace FedRad.Coordinator.Statistics;

/// <summary>
/// The statistics engine's site channel across the network: each request becomes a task on the
/// site's stream (via a query grain) and the site's uploaded answer comes back as the aggregate.
/// </summary>
public sealed class RemoteSiteChannel(IGrainFactory grains, string analysisId, string siteId, TimeSpan timeout) : ISiteChannel
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(25);
    private int _sequence;

    public string Site => siteId;

    public int Requests => _sequence;

    public async Task<TAggregate> SendAsync<TAggregate>(SiteRequest<TAggregate> request, CancellationToken cancellationToken = default)
        where TAggregate : SiteAggregate
    {
        var queryId = $"{analysisId}/{Interlocked.Increment(ref _sequence)}/{siteId}";
        var query = grains.GetGrain<IStatisticsQueryGrain>(queryId);
        var deadline = DateTimeOffset.UtcNow + timeout;
        await query.Ask(siteId, ProtocolJson.SerializeRequest(request), deadline);
        while (true)
        {
            if (await query.GetAnswer() is { } answer)
            {
                if (answer.Refused) throw new SiteRefusedException(ProtocolJson.DeserializeRefusal(answer.Json));
                return ProtocolJson.DeserializeAggregate<TAggregate>(answer.Json);
            }
            if (DateTimeOffset.UtcNow > deadline)
            {
                await query.Withdraw();
                throw new AnalysisFailedException($"site {siteId} did not answer a statistics request within {timeout.TotalSeconds:F0} s");
            }
            await Task.Delay(Poll, cancellationToken);
        }
    }
}
