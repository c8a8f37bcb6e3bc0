namespace FedRad.Statistics.Protocol;

/// <summary>
/// Histograms of the site's values of each column on a common grid chosen by the coordinator
/// (from pooled moments): for column j with edges e_0 &lt; ... &lt; e_B, cell 0 counts values
/// below e_0, cell b (1..B) values in [e_{b-1}, e_b), cell B+1 values at or above e_B. The
/// request's <see cref="SiteRequest.Data"/> decides whether the values are raw or harmonised.
/// </summary>
public sealed record HistogramRequest : SiteRequest<HistogramAggregate>
{
    public required IReadOnlyList<string> Columns { get; init; }

    /// <summary>Per column, ascending edges (at least one).</summary>
    public required IReadOnlyList<IReadOnlyList<double>> Edges { get; init; }
}

/// <summary>
/// Reveals, per column, how many of the site's patients have a value in each cell of the grid.
/// Cells with fewer patients than the site's minimum (but more than none) are suppressed (null);
/// when that leaves exactly one suppressed cell, the smallest other non-empty cell is suppressed
/// too, so the site's total cannot give the hidden count back.
/// </summary>
public sealed record HistogramAggregate : SiteAggregate
{
    /// <summary>[column][cell]; null: suppressed.</summary>
    public required IReadOnlyList<IReadOnlyList<int?>> Counts { get; init; }
}
