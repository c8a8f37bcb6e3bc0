using System.Text.Json;
using FedRad.Statistics.Data;
using FedRad.Statistics.Protocol;
using FedRad.Statistics.Site;

namespace FedRad.SiteAgent.Tasks;

/// <summary>The site's answer to one statistics request: an aggregate or a refusal, as JSON.</summary>
public sealed record StatisticsReply(string Json, bool Refused, int Count, string Summary);

/// <summary>
/// Answers the coordinator's exact-statistics requests from the local cohort table with
/// <see cref="StatisticsSite"/>, which applies the site's minimum count to every aggregate.
/// The table is read again when the file changes.
/// </summary>
public sealed class StatisticsTaskHandler(string siteId, string cohortPath, int minimumCount)
{
    private StatisticsSite? _site;
    private DateTime _loadedStamp;

    public StatisticsReply Answer(string requestJson)
    {
        SiteRequest request;
        try { request = ProtocolJson.DeserializeRequest(requestJson); }
        catch (Exception e) when (e is JsonException or NotSupportedException)
        {
            return Refuse(RefusalCause.InvalidData, $"the request is not a statistics request this agent understands: {e.Message}");
        }
        try
        {
            var aggregate = Site().Handle(request);
            return new StatisticsReply(ProtocolJson.SerializeAggregate(aggregate), false, aggregate.Count, $"{aggregate.GetType().Name} from {aggregate.Count} patients");
        }
        catch (SiteRefusedException e)
        {
            return new StatisticsReply(ProtocolJson.SerializeRefusal(e.Refusal), true, 0, $"refused: {e.Refusal.Reason}");
        }
        catch (StatisticsInputException e)
        {
            return Refuse(RefusalCause.InvalidData, e.Message);
        }
    }

    /// <summary>
    /// Under secure aggregation: this site's aggregate as the vector it adds to the secure sum (SecureSum.Encode),
    /// or null with the reason when the site does not contribute (a request that is not a sum, or a refusal).
    /// </summary>
    public (double[]? Vector, string Summary) SecureContribution(string requestJson)
    {
        SiteRequest request;
        try { request = ProtocolJson.DeserializeRequest(requestJson); }
        catch (Exception e) when (e is JsonException or NotSupportedException)
        {
            return (null, $"the request is not a statistics request this agent understands: {e.Message}");
        }
        if (SecureSum.Refusal(request) is { } why) return (null, why);
        try
        {
            var aggregate = Site().Handle(request);
            return (SecureSum.Encode(request, aggregate), $"{aggregate.GetType().Name} from {aggregate.Count} patients, masked");
        }
        catch (SiteRefusedException e) { return (null, $"refused: {e.Refusal.Reason}"); }
        catch (StatisticsInputException e) { return (null, e.Message); }
    }

    private StatisticsReply Refuse(RefusalCause cause, string reason) =>
        new(ProtocolJson.SerializeRefusal(new SiteRefusal(siteId, cause, reason)), true, 0, $"refused: {reason}");

    private StatisticsSite Site()
    {
        var stamp = File.GetLastWriteTimeUtc(cohortPath);
        if (_site is null || stamp != _loadedStamp)
        {
            _site = new StatisticsSite(siteId, CsvTable.Read(cohortPath), new SiteOptions { MinimumCount = minimumCount });
            _loadedStamp = stamp;
        }
        return _site;
    }
}
