using FedRad.Coordinator.Contracts.Grains;
using FedRad.Coordinator.Contracts.Model;
using FedRad.Coordinator.Studies;
using FedRad.Statistics.Coordinator;
using FedRad.Statistics.Protocol;

namespace FedRad.Coordinator.Statistics;

/// <summary>
/// The statistics engine's site channel across the network: each request becomes a task on the
/// site's stream (via a query grain) and the site's uploaded answer comes back as the aggregate.
/// With <paramref name="study"/> the site answers about that study's cohort (study preparation) and
/// the harmonisation a request carries is cut down to this site's own batch parameters.
/// Query ids are "{analysisId}/{sequence}/{site}": the same sequence of requests reaches the same
/// query grains again, so a preparation restarted after a crash reuses the answers already received.
/// </summary>
public sealed class RemoteSiteChannel(IGrainFactory grains, string analysisId, string siteId, TimeSpan timeout, StudyDefinition? study = null) : ISiteChannel
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
        if (study is null) await query.Ask(siteId, ProtocolJson.SerializeRequest(request), deadline);
        else
        {
            var own = request.Data.Harmonisation is { } h ? request with { Data = request.Data with { Harmonisation = Preparation.ForSite(h, siteId) } } : request;
            await query.AskForStudy(siteId, ProtocolJson.SerializeRequest(own), deadline, study);
        }
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
