namespace FedRad.Statistics.Site;

/// <summary>A site's disclosure policy.</summary>
public sealed record SiteOptions
{
    /// <summary>Smallest number of patients (and of positives, negatives, events, batch members,
    /// when such a subgroup is non-empty) that any aggregate may be built from.</summary>
    public int MinimumCount { get; init; } = 5;

    /// <summary>Whether the site answers per-event-time risk-set sums (pooled, unstratified Cox).
    /// See <see cref="Protocol.CoxRiskSetAggregate"/> for what they reveal.</summary>
    public bool AllowRiskSetSums { get; init; } = true;
}
