namespace FedRad.Statistics.Protocol;

/// <summary>
/// Which patients are compared in a rank statistic. Binary outcome (AUC): positives are cases,
/// negatives controls. Survival (Harrell's C): each event at grid time t_k is a case of group k,
/// compared with every patient still at risk after it (time &gt; t_k, or censored at t_k).
/// Every patient thus has a case group (or none) and an exit: it is a control in groups
/// 0..exit-1.
/// </summary>
public sealed record RankRoles
{
    public string? Outcome { get; init; }
    public string? Time { get; init; }
    public string? Event { get; init; }

    /// <summary>Pooled distinct event times, ascending (survival only).</summary>
    public IReadOnlyList<double>? EventTimes { get; init; }
}

/// <summary>An interval of scores, as order-preserving 64-bit keys (inclusive).</summary>
public sealed record KeyRange(ulong Lo, ulong Hi);

/// <summary>
/// Counts of the site's patients in coordinator-chosen score intervals, by role. The coordinator
/// refines only intervals where a case of one site and a control of another site of the same
/// group fall together, until the cross-site ordering of every comparable pair is known.
/// </summary>
public sealed record RankBinsRequest : SiteRequest<RankBinsAggregate>
{
    public required string Score { get; init; }
    public required RankRoles Roles { get; init; }

    /// <summary>Disjoint, ascending; patients outside them are not counted.</summary>
    public required IReadOnlyList<KeyRange> Bins { get; init; }

    /// <summary>Also return the site's within-site pair counts (asked once).</summary>
    public bool IncludeLocalPairs { get; init; }
}

/// <summary>
/// Reveals: how many of the site's patients of each role (case group, exit) have a score in each
/// requested interval, and its within-site counts of concordant, discordant and tied pairs.
/// Where cases and controls of different sites interleave, the intervals end up narrow and
/// locate those patients' scores (a model's output, or one feature for univariate AUC), by
/// role (outcome class; for survival, event time index and exit index) to within the interval;
/// no patient's identity or other values. This is the price of a pooled AUC or C-index equal to
/// the one of the pooled data without cryptographic comparison.
/// </summary>
public sealed record RankBinsAggregate : SiteAggregate
{
    public required IReadOnlyList<RankCell> Cells { get; init; }
    public PairCounts? LocalPairs { get; init; }
    public int Cases { get; init; }
    public int Controls { get; init; }
}

/// <summary>Number of patients in bin <see cref="Bin"/> with case group <see cref="CaseGroup"/>
/// (-1: not a case) and exit <see cref="Exit"/>.</summary>
public sealed record RankCell(int Bin, int CaseGroup, int Exit, int Count);

/// <summary>Comparable pairs: concordant (the case scores higher), discordant, tied in score.</summary>
public sealed record PairCounts(long Concordant, long Discordant, long Tied)
{
    public long Total => Concordant + Discordant + Tied;

    public PairCounts Add(PairCounts o) => new(Concordant + o.Concordant, Discordant + o.Discordant, Tied + o.Tied);
}

/// <summary>
/// Final round: the coordinator tells the site, for each (bin, case group) and (bin, exit) it
/// holds, how many comparable patients of other sites score lower, equal and higher, and the
/// pooled totals; the site returns the sums of squares that give DeLong's and the infinitesimal
/// jackknife variances exactly.
/// </summary>
public sealed record RankComponentsRequest : SiteRequest<RankComponentsAggregate>
{
    public required string Score { get; init; }
    public required RankRoles Roles { get; init; }
    public required IReadOnlyList<KeyRange> Bins { get; init; }

    /// <summary>For cases: Group is the case group; counts are of other sites' controls of that group.</summary>
    public required IReadOnlyList<CrossCell> CaseCross { get; init; }

    /// <summary>For controls: Group is the exit; counts are of other sites' cases in groups below it.</summary>
    public required IReadOnlyList<CrossCell> ControlCross { get; init; }

    public required PooledRankTotals Pooled { get; init; }
}

/// <summary>Pair counts of one role cell against other sites: Concordant/Discordant/Tied from the
/// point of view of the pair (case higher = concordant).</summary>
public sealed record CrossCell(int Bin, int Group, long Concordant, long Discordant, long Tied);

public sealed record PooledRankTotals(int Cases, int Controls, PairCounts Pairs);

/// <summary>
/// Reveals three sums of squares each for the site alone and for the site's patients within the
/// pooled data: of DeLong's placement values of cases and of controls around the AUC, and of the
/// patients' infinitesimal-jackknife influence on Somers' d.
/// </summary>
public sealed record RankComponentsAggregate : SiteAggregate
{
    public required ComponentSums Local { get; init; }
    public required ComponentSums Pooled { get; init; }
}

public sealed record ComponentSums(double CaseDeviationSquares, double ControlDeviationSquares, double InfluenceSquares);
