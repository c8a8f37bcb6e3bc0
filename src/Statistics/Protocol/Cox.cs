namespace FedRad.Statistics.Protocol;

/// <summary>
/// The site's own Breslow partial likelihood (the site is its own stratum): log-likelihood,
/// gradient and information at the given coefficients, features centred on <see cref="Centre"/>.
/// Summed over sites this is exactly the site-stratified Cox model.
/// </summary>
public sealed record CoxStratumRequest : SiteRequest<CoxStratumAggregate>
{
    public required IReadOnlyList<string> Features { get; init; }
    public required string Time { get; init; }
    public required string Event { get; init; }
    public required IReadOnlyList<double> Centre { get; init; }
    public required IReadOnlyList<double> Coefficients { get; init; }
    public bool Derivatives { get; init; } = true;
}

/// <summary>Reveals: number of patients and events, and the partial log-likelihood, its gradient
/// and information within the site (sums over all of the site's events and risk sets).</summary>
public sealed record CoxStratumAggregate : SiteAggregate
{
    public required int Events { get; init; }
    public required double LogLikelihood { get; init; }
    public IReadOnlyList<double>? Gradient { get; init; }
    public IReadOnlyList<IReadOnlyList<double>>? Information { get; init; }
}

/// <summary>The site's distinct event times (the pooled Cox model and the pooled C-index need the
/// union of all sites' event times as a common grid).</summary>
public sealed record EventTimesRequest : SiteRequest<EventTimesAggregate>
{
    public required string Time { get; init; }
    public required string Event { get; init; }
}

/// <summary>Reveals the site's number of patients and events and the set of distinct times at
/// which an event happened (not how many, nor to whom).</summary>
public sealed record EventTimesAggregate : SiteAggregate
{
    public required int Events { get; init; }
    public required IReadOnlyList<double> Times { get; init; }
}

/// <summary>
/// Risk-set sums at every time of the pooled event-time grid, which the coordinator combines into
/// the exact pooled (unstratified) Breslow partial likelihood: with w = exp((x - Centre)'b),
/// S0(t) = sum of w, S1(t) = sum of w (x - Centre), S2(t) = sum of w (x - Centre)(x - Centre)'
/// over the site's patients still at risk at t.
/// </summary>
public sealed record CoxRiskSetRequest : SiteRequest<CoxRiskSetAggregate>
{
    public required IReadOnlyList<string> Features { get; init; }
    public required string Time { get; init; }
    public required string Event { get; init; }
    public required IReadOnlyList<double> Centre { get; init; }
    public required IReadOnlyList<double> Coefficients { get; init; }

    /// <summary>The pooled distinct event times, ascending.</summary>
    public required IReadOnlyList<double> EventTimes { get; init; }

    public bool Derivatives { get; init; } = true;
}

/// <summary>
/// Reveals: per grid time, the site's number of events and its risk-set sums S0, S1, S2; and the
/// sum of centred features over all its events. This is the most revealing aggregate in FedRad:
/// the difference between consecutive risk-set sums isolates the patients whose follow-up ends
/// between two grid times, so when that is one patient the coordinator can recover that
/// patient's features and follow-up interval. Sites that cannot accept this set
/// <c>SiteOptions.AllowRiskSetSums = false</c> and the site-stratified Cox model (which reveals
/// only site totals) is used instead.
/// </summary>
public sealed record CoxRiskSetAggregate : SiteAggregate
{
    public required int Events { get; init; }
    public required IReadOnlyList<int> EventCounts { get; init; }
    public required IReadOnlyList<double> EventFeatureSum { get; init; }
    public required IReadOnlyList<double> S0 { get; init; }

    /// <summary>[time][feature]; null when derivatives were not requested.</summary>
    public IReadOnlyList<IReadOnlyList<double>>? S1 { get; init; }

    /// <summary>[time][packed upper triangle, row-major: (0,0),(0,1)..(0,p-1),(1,1)..]; null without derivatives.</summary>
    public IReadOnlyList<IReadOnlyList<double>>? S2 { get; init; }
}
