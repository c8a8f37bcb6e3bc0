namespace FedRad.Statistics.Protocol;

/// <summary>
/// How many of the site's patients have a score (a model's linear predictor) in each
/// coordinator-chosen interval. The coordinator uses the counts to place cut points between
/// pooled order statistics (risk deciles, tertiles) without learning any score.
/// </summary>
public sealed record ScoreCountsRequest : SiteRequest<ScoreCountsAggregate>
{
    public required string Score { get; init; }

    /// <summary>Disjoint, ascending; patients outside them are not counted.</summary>
    public required IReadOnlyList<KeyRange> Bins { get; init; }
}

/// <summary>
/// Reveals: the number of the site's patients whose score lies in each requested interval; no
/// outcome, no identity, no other value. As the intervals narrow around a pooled order statistic,
/// the coordinator knows the scores of the few patients inside to within the interval (less than
/// the rank protocol reveals, which adds each patient's outcome class).
/// </summary>
public sealed record ScoreCountsAggregate : SiteAggregate
{
    public required IReadOnlyList<int> Counts { get; init; }
}

/// <summary>
/// Observed and predicted outcomes by risk group: the site puts each patient in the group given by
/// the coordinator's cut points on the score (a patient is in group g when g cut keys lie below
/// its score key; a score equal to a cut belongs to the lower group) and sums, per group, the
/// patients, the positive outcomes and the predicted probabilities <c>1/(1+exp(-score))</c>.
/// </summary>
public sealed record CalibrationBinsRequest : SiteRequest<CalibrationBinsAggregate>
{
    public required string Score { get; init; }
    public required string Outcome { get; init; }

    /// <summary>Ascending order-preserving keys of the cut points (see <see cref="Numerics.OrderedKey"/>).</summary>
    public required IReadOnlyList<ulong> Cuts { get; init; }
}

/// <summary>
/// Reveals, per risk group: the number of the site's patients in it, how many had the outcome and
/// the sum of their predicted probabilities (so their mean predicted risk). The site refuses when
/// a non-empty group holds fewer patients than its minimum.
/// </summary>
public sealed record CalibrationBinsAggregate : SiteAggregate
{
    public required IReadOnlyList<CalibrationBin> Bins { get; init; }
}

public sealed record CalibrationBin(int Count, int Positives, double PredictedSum);

/// <summary>
/// The site's Kaplan-Meier table by risk group: for each time of the coordinator's grid (the
/// pooled event times, plus the times of the number-at-risk table), per group, how many of the
/// site's patients are still at risk (time &gt;= t) and how many have the event at t. Groups are
/// given by cut points on the score as in <see cref="CalibrationBinsRequest"/>.
/// </summary>
public sealed record KaplanMeierRequest : SiteRequest<KaplanMeierAggregate>
{
    public required string Score { get; init; }
    public required string Time { get; init; }
    public required string Event { get; init; }
    public required IReadOnlyList<ulong> Cuts { get; init; }

    /// <summary>Ascending; must include every event time of the site.</summary>
    public required IReadOnlyList<double> Times { get; init; }
}

/// <summary>
/// Reveals, per risk group: the number of the site's patients, and at every grid time the number
/// at risk and the number of events. This is the site's own Kaplan-Meier table (what a published
/// curve with its number-at-risk table shows): consecutive at-risk counts give how many of the
/// group's patients leave follow-up between two grid times and whether by event, so each
/// patient's follow-up is known to within the grid, with the risk group, but not who it is nor
/// any other value. The site refuses when a non-empty group holds fewer patients than its minimum.
/// </summary>
public sealed record KaplanMeierAggregate : SiteAggregate
{
    public required IReadOnlyList<KaplanMeierGroupTable> Groups { get; init; }
}

/// <param name="AtRisk">At risk at each grid time (time &gt;= t).</param>
/// <param name="Events">Events at each grid time.</param>
public sealed record KaplanMeierGroupTable(int Count, IReadOnlyList<int> AtRisk, IReadOnlyList<int> Events);
