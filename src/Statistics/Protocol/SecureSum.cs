namespace FedRad.Statistics.Protocol;

/// <summary>
/// The requests whose pooled use is a plain sum over sites, and their aggregates as one vector of
/// doubles, so that they can travel through secure aggregation (docs/privacy.md §7): each site
/// encodes its aggregate, the coordinator learns only the element-wise sum, and decodes it into one
/// aggregate that stands for all sites together (named <c>site</c> in <see cref="Decode{TAggregate}"/>).
/// The vector's length follows from the request alone, so a session can be opened before any site answers.
/// Requests that need each site's own answer (ComBat's per-batch sums, Cox strata and event times,
/// the rank protocol, per-site validation tables, histograms) are refused by <see cref="Refusal"/>.
/// </summary>
public static class SecureSum
{
    /// <summary>Null when the request is summable; otherwise why it cannot run under secure aggregation, naming its kind.</summary>
    public static string? Refusal(SiteRequest request) => request switch
    {
        MomentsRequest or LogisticRequest or BrierRequest => null,
        EligibilityRequest { Harmonise: true } => "request kind 'eligibility' with harmonisation needs each site's batch sizes; ComBat cannot run under secure aggregation",
        EligibilityRequest => null,
        _ => $"request kind '{Kind(request)}' needs each site's own answer, which secure aggregation hides; it cannot run under secure aggregation",
    };

    /// <summary>The request kind as it travels (the JSON discriminator, e.g. "combat.design").</summary>
    public static string Kind(SiteRequest request)
    {
        var json = ProtocolJson.SerializeRequest(request);
        using var doc = System.Text.Json.JsonDocument.Parse(json);
        return doc.RootElement.TryGetProperty("kind", out var kind) ? kind.GetString() ?? request.GetType().Name : request.GetType().Name;
    }

    /// <summary>Elements of the encoded aggregate of <paramref name="request"/>.</summary>
    public static int Length(SiteRequest request) => request switch
    {
        EligibilityRequest => 3,
        MomentsRequest m => Groups(m) * (1 + m.Columns.Count + (m.Centres is null ? 0 : m.Columns.Count * m.Columns.Count)),
        LogisticRequest l => 5 + (l.Derivatives ? l.Coefficients.Count + l.Coefficients.Count * l.Coefficients.Count : 0),
        BrierRequest => 2,
        _ => throw new ArgumentException(Refusal(request)),
    };

    /// <summary>A site's aggregate as the vector it adds to the secure sum (layout: <see cref="Length"/>).</summary>
    public static double[] Encode(SiteRequest request, SiteAggregate aggregate)
    {
        var v = new List<double>(Length(request));
        switch (request, aggregate)
        {
            case (EligibilityRequest, EligibilityAggregate e):
                v.AddRange([e.Count, e.Positives ?? 0, e.Events ?? 0]);
                break;
            case (MomentsRequest m, MomentsAggregate a):
                if (a.Groups.Count != Groups(m)) throw new ArgumentException($"moments aggregate of site {a.Site} has {a.Groups.Count} groups, the request {Groups(m)}");
                foreach (var g in a.Groups)
                {
                    v.Add(g.Count);
                    v.AddRange(g.Sums.Count == 0 ? new double[m.Columns.Count] : g.Sums);
                    if (m.Centres is null) continue;
                    // An empty group reveals nothing: no cross-products, i.e. zeros in the sum.
                    if (g.CentredCrossProducts is null) v.AddRange(new double[m.Columns.Count * m.Columns.Count]);
                    else foreach (var row in g.CentredCrossProducts) v.AddRange(row);
                }
                break;
            case (LogisticRequest l, LogisticAggregate a):
                v.AddRange([a.Count, a.Positives, a.LogLikelihood, a.NumericallySeparated, a.NearlySeparated]);
                if (l.Derivatives)
                {
                    v.AddRange(a.Gradient ?? throw new ArgumentException($"logistic aggregate of site {a.Site} has no gradient"));
                    foreach (var row in a.Information ?? throw new ArgumentException($"logistic aggregate of site {a.Site} has no information")) v.AddRange(row);
                }
                break;
            case (BrierRequest, BrierAggregate a):
                v.AddRange([a.Count, a.SquaredErrorSum]);
                break;
            default:
                throw new ArgumentException(Refusal(request) ?? $"aggregate {aggregate.GetType().Name} does not answer request kind '{Kind(request)}'");
        }
        if (v.Count != Length(request)) throw new ArgumentException($"aggregate of site {aggregate.Site} encodes to {v.Count} values, request kind '{Kind(request)}' expects {Length(request)}");
        return [.. v];
    }

    /// <summary>The summed vector as one aggregate of all the sites that contributed (counts rounded to integers).</summary>
    public static TAggregate Decode<TAggregate>(SiteRequest<TAggregate> request, IReadOnlyList<double> sum, string site) where TAggregate : SiteAggregate
    {
        if (sum.Count != Length(request)) throw new ArgumentException($"secure sum has {sum.Count} values, request kind '{Kind(request)}' expects {Length(request)}");
        var i = 0;
        double Next() => sum[i++];
        int Count() => (int)Math.Round(sum[i++]);
        double[] Take(int n) { var a = sum.Skip(i).Take(n).ToArray(); i += n; return a; }
        double[][] Square(int n) => Enumerable.Range(0, n).Select(_ => Take(n)).ToArray();
        SiteAggregate result = request switch
        {
            EligibilityRequest e => new EligibilityAggregate
            {
                Site = site, Count = Count(),
                Positives = e.Outcome is null ? Skip(ref i) : Count(),
                Events = e.Event is null ? Skip(ref i) : Count(),
            },
            MomentsRequest m => new MomentsAggregate
            {
                Site = site, Count = 0,
                Groups = Enumerable.Range(0, Groups(m)).Select(_ => new MomentGroup
                {
                    Count = Count(), Sums = Take(m.Columns.Count),
                    CentredCrossProducts = m.Centres is null ? null : Square(m.Columns.Count),
                }).ToArray(),
            },
            LogisticRequest l => new LogisticAggregate
            {
                Site = site, Count = Count(), Positives = Count(), LogLikelihood = Next(), NumericallySeparated = Count(), NearlySeparated = Count(),
                Gradient = l.Derivatives ? Take(l.Coefficients.Count) : null,
                Information = l.Derivatives ? Square(l.Coefficients.Count) : null,
            },
            BrierRequest => new BrierAggregate { Site = site, Count = Count(), SquaredErrorSum = Next() },
            _ => throw new ArgumentException(Refusal(request)),
        };
        if (result is MomentsAggregate moments) result = moments with { Count = moments.Groups.Sum(g => g.Count) };
        return (TAggregate)result;
    }

    private static int Groups(MomentsRequest m) => m.GroupBy is null ? 1 : 2;

    private static int? Skip(ref int i)
    {
        i++;
        return null;
    }
}
