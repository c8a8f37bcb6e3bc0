using System.Text.Json;
using System.Text.Json.Serialization;

namespace FedRad.Statistics.Protocol;

/// <summary>
/// A question the coordinator asks one site. Every request names the columns it needs and says
/// how the site should prepare its table first (<see cref="Data"/>). Requests are plain data and
/// travel as JSON (<see cref="ProtocolJson"/>), so the same algorithms run in one process
/// (simulation) and across hospitals.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "kind")]
[JsonDerivedType(typeof(EligibilityRequest), "eligibility")]
[JsonDerivedType(typeof(MomentsRequest), "moments")]
[JsonDerivedType(typeof(ComBatDesignRequest), "combat.design")]
[JsonDerivedType(typeof(ComBatResidualRequest), "combat.residuals")]
[JsonDerivedType(typeof(LogisticRequest), "logistic")]
[JsonDerivedType(typeof(BrierRequest), "brier")]
[JsonDerivedType(typeof(CoxStratumRequest), "cox.stratum")]
[JsonDerivedType(typeof(EventTimesRequest), "cox.event-times")]
[JsonDerivedType(typeof(CoxRiskSetRequest), "cox.risk-sets")]
[JsonDerivedType(typeof(RankBinsRequest), "rank.bins")]
[JsonDerivedType(typeof(RankComponentsRequest), "rank.components")]
[JsonDerivedType(typeof(ScoreCountsRequest), "score.counts")]
[JsonDerivedType(typeof(CalibrationBinsRequest), "calibration.bins")]
[JsonDerivedType(typeof(KaplanMeierRequest), "survival.km")]
[JsonDerivedType(typeof(HistogramRequest), "histogram")]
public abstract record SiteRequest
{
    /// <summary>How the site prepares its table before computing (harmonisation, model scores).</summary>
    public DataSpec Data { get; init; } = new();
}

/// <summary>A request whose answer is an aggregate of type <typeparamref name="TAggregate"/>.</summary>
public abstract record SiteRequest<TAggregate> : SiteRequest where TAggregate : SiteAggregate;

/// <summary>What a site answers: aggregates only, never a patient row. Every aggregate says how
/// many patients it was built from; the site refuses to build one from fewer than its minimum.</summary>
public abstract record SiteAggregate
{
    /// <summary>The site that computed it.</summary>
    public required string Site { get; init; }

    /// <summary>Number of patients the aggregate was built from.</summary>
    public required int Count { get; init; }
}

/// <summary>
/// The transport between a coordinator-side algorithm and one site. The simulation implements it
/// in process (<see cref="FedRad.Statistics.Simulation.InProcessSiteChannel"/>); across hospitals
/// the coordinator implements it by sending the request (serialised with
/// <see cref="ProtocolJson.SerializeRequest"/>) to the site agent, which answers with
/// <see cref="FedRad.Statistics.Site.StatisticsSite.Handle"/>.
/// </summary>
public interface ISiteChannel
{
    /// <summary>The site's name as it appears in results and messages.</summary>
    string Site { get; }

    /// <summary>Sends a request and returns the site's aggregate. Throws
    /// <see cref="SiteRefusedException"/> when the site refuses it.</summary>
    Task<TAggregate> SendAsync<TAggregate>(SiteRequest<TAggregate> request, CancellationToken cancellationToken = default)
        where TAggregate : SiteAggregate;
}

/// <summary>Why a site refused a request.</summary>
public enum RefusalCause
{
    /// <summary>The aggregate would be built from fewer patients (or cases, events, batch
    /// members) than the site's configured minimum.</summary>
    BelowMinimum,

    /// <summary>The site's data cannot answer it: a column is missing, not numeric, has missing
    /// values, or an outcome is not 0/1.</summary>
    InvalidData,

    /// <summary>The site's policy does not allow this kind of aggregate.</summary>
    NotPermitted,
}

/// <summary>A site's refusal as it travels back to the coordinator.</summary>
public sealed record SiteRefusal(string Site, RefusalCause Cause, string Reason);

/// <summary>Thrown by a site (and re-thrown by a channel) when it refuses a request.</summary>
public sealed class SiteRefusedException(SiteRefusal refusal) : Exception($"site {refusal.Site}: {refusal.Reason}")
{
    public SiteRefusal Refusal { get; } = refusal;
}

/// <summary>The JSON form of requests, aggregates and refusals: what crosses the network.</summary>
public static class ProtocolJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter() },
        // NaN or infinity in an aggregate is a bug: fail loudly instead of sending it
        NumberHandling = JsonNumberHandling.Strict,
    };

    public static string SerializeRequest(SiteRequest request) => JsonSerializer.Serialize(request, Options);

    public static SiteRequest DeserializeRequest(string json) =>
        JsonSerializer.Deserialize<SiteRequest>(json, Options) ?? throw new JsonException("empty request");

    public static string SerializeAggregate(SiteAggregate aggregate) => JsonSerializer.Serialize(aggregate, aggregate.GetType(), Options);

    public static TAggregate DeserializeAggregate<TAggregate>(string json) where TAggregate : SiteAggregate =>
        JsonSerializer.Deserialize<TAggregate>(json, Options) ?? throw new JsonException("empty aggregate");

    public static string SerializeRefusal(SiteRefusal refusal) => JsonSerializer.Serialize(refusal, Options);

    public static SiteRefusal DeserializeRefusal(string json) =>
        JsonSerializer.Deserialize<SiteRefusal>(json, Options) ?? throw new JsonException("empty refusal");
}
