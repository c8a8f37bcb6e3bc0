namespace FedRad.Statistics.Protocol;

/// <summary>
/// Column sums (first round) or cross-products centred on coordinator-given centres (second
/// round), over all patients or per class of a 0/1 column. Two rounds instead of raw sums of
/// squares, so pooled variances and correlations are free of cancellation.
/// </summary>
public sealed record MomentsRequest : SiteRequest<MomentsAggregate>
{
    public required IReadOnlyList<string> Columns { get; init; }

    /// <summary>0/1 column to split by (groups 0 and 1); null: one group of all patients.</summary>
    public string? GroupBy { get; init; }

    /// <summary>Per group, the centre of each column; null: return sums only.</summary>
    public IReadOnlyList<IReadOnlyList<double>>? Centres { get; init; }
}

/// <summary>
/// Reveals, per group: the number of patients, the sum of each column and (second round) the
/// centred sums of squares and cross-products. With the pooled centre these give the site's own
/// mean, variance and covariances; never a single patient's value when the group has at least
/// the site's minimum number of patients (groups with fewer are refused, empty groups reveal nothing).
/// </summary>
public sealed record MomentsAggregate : SiteAggregate
{
    public required IReadOnlyList<MomentGroup> Groups { get; init; }
}

public sealed record MomentGroup
{
    public required int Count { get; init; }
    public required IReadOnlyList<double> Sums { get; init; }

    /// <summary>Sum over patients of (x_i - c_i)(x_j - c_j); null in the first round.</summary>
    public IReadOnlyList<IReadOnlyList<double>>? CentredCrossProducts { get; init; }
}
