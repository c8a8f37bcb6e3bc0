using FedRad.Statistics.Protocol;
using FedRad.Statistics.Site;

namespace FedRad.Statistics.Simulation;

/// <summary>
/// The site transport of the simulation: the request and the answer make the same JSON round trip
/// as across the network, so only what the protocol can carry reaches the coordinator-side code.
/// Counts the requests it carries (rounds, for the record).
/// </summary>
public sealed class InProcessSiteChannel(StatisticsSite site) : ISiteChannel
{
    private int _requests;

    public string Site => site.Name;

    public int Requests => _requests;

    public Task<TAggregate> SendAsync<TAggregate>(SiteRequest<TAggregate> request, CancellationToken cancellationToken = default)
        where TAggregate : SiteAggregate
    {
        cancellationToken.ThrowIfCancellationRequested();
        Interlocked.Increment(ref _requests);
        var wireRequest = ProtocolJson.DeserializeRequest(ProtocolJson.SerializeRequest(request));
        string answer;
        try
        {
            answer = ProtocolJson.SerializeAggregate(site.Handle(wireRequest));
        }
        catch (SiteRefusedException e)
        {
            throw new SiteRefusedException(ProtocolJson.DeserializeRefusal(ProtocolJson.SerializeRefusal(e.Refusal)));
        }
        return Task.FromResult(ProtocolJson.DeserializeAggregate<TAggregate>(answer));
    }
}
