namespace FedRad.Statistics.Protocol;

/// <summary>
/// Asks whether the site can take part in an analysis plan: every listed column present, numeric,
/// without missing values; the outcome 0/1; the minimum counts met. Sent first, so a site that
/// cannot take part is left out before any result depends on it.
/// </summary>
public sealed record EligibilityRequest : SiteRequest<EligibilityAggregate>
{
    public required IReadOnlyList<string> Columns { get; init; }
    public string? Outcome { get; init; }
    public string? Time { get; init; }
    public string? Event { get; init; }

    /// <summary>Batch column for harmonisation (null: the site is the batch, or no harmonisation).</summary>
    public string? BatchColumn { get; init; }

    public bool Harmonise { get; init; }
}

/// <summary>
/// Reveals: the site's number of patients, of positive outcomes or events, and the size of each
/// of its batches. No value of any patient.
/// </summary>
public sealed record EligibilityAggregate : SiteAggregate
{
    public int? Positives { get; init; }
    public int? Events { get; init; }
    public IReadOnlyDictionary<string, int> BatchCounts { get; init; } = new Dictionary<string, int>();

    /// <summary>Study preparation only: how many of the site's patients the study's inclusion filters left out
    /// before this table (a count, set by the site agent; null in analyses).</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public int? Excluded { get; init; }
}
