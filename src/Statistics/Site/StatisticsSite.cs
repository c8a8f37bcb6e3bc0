using FedRad.Statistics.Data;
using FedRad.Statistics.Protocol;

namespace FedRad.Statistics.Site;

/// <summary>
/// The site side of every federated analysis: answers a <see cref="SiteRequest"/> about the
/// site's private table with an aggregate, or refuses (<see cref="SiteRefusedException"/>) when
/// the aggregate would be built from fewer patients than <see cref="SiteOptions.MinimumCount"/>,
/// when the data cannot answer, or when policy forbids. Depends on nothing of the coordinator.
/// The site agent wires it to the network by deserialising the request
/// (<see cref="ProtocolJson.DeserializeRequest"/>), calling <see cref="Handle"/> and serialising
/// the aggregate (or the refusal) back.
/// </summary>
public sealed partial class StatisticsSite
{
    private readonly SiteTable _table;

    public StatisticsSite(string name, SiteTable table, SiteOptions? options = null)
    {
        Name = name;
        _table = table;
        Options = options ?? new SiteOptions();
        if (Options.MinimumCount < 1) throw new ArgumentException("the minimum count must be at least 1", nameof(options));
    }

    public string Name { get; }
    public SiteOptions Options { get; }

    public SiteAggregate Handle(SiteRequest request)
    {
        var data = new PreparedTable(Name, _table, request.Data);
        return request switch
        {
            EligibilityRequest r => Eligibility(data, r),
            MomentsRequest r => Moments(data, r),
            ComBatDesignRequest r => ComBatDesign(data, r),
            ComBatResidualRequest r => ComBatResiduals(data, r),
            LogisticRequest r => Logistic(data, r),
            BrierRequest r => Brier(data, r),
            CoxStratumRequest r => CoxStratum(data, r),
            EventTimesRequest r => EventTimes(data, r),
            CoxRiskSetRequest r => CoxRiskSets(data, r),
            RankBinsRequest r => RankBins(data, r),
            RankComponentsRequest r => RankComponents(data, r),
            ScoreCountsRequest r => ScoreCounts(data, r),
            CalibrationBinsRequest r => CalibrationBins(data, r),
            KaplanMeierRequest r => KaplanMeier(data, r),
            HistogramRequest r => Histograms(data, r),
            _ => throw new SiteRefusedException(new SiteRefusal(Name, RefusalCause.NotPermitted, $"unknown request {request.GetType().Name}")),
        };
    }

    /// <summary>The site's own table with the harmonisation applied to the features it lists
    /// (every other column unchanged): what the site keeps or writes locally after ComBat.</summary>
    public SiteTable Harmonised(ComBatAdjustment adjustment)
    {
        var data = new PreparedTable(Name, _table, new DataSpec { Harmonisation = adjustment });
        return _table.WithValues(adjustment.Features.ToDictionary(f => f, data.Column));
    }

    private EligibilityAggregate Eligibility(PreparedTable data, EligibilityRequest r)
    {
        foreach (var c in r.Columns) data.Raw(c);
        RequirePatients(data, data.RowCount);
        int? positives = null, events = null;
        if (r.Outcome is not null) positives = RequireClasses(data, data.Binary(r.Outcome), r.Outcome);
        if (r.Time is not null && r.Event is not null)
        {
            data.Times(r.Time);
            events = RequireEvents(data, data.Binary(r.Event));
        }
        var batchCounts = new Dictionary<string, int>();
        if (r.Harmonise) batchCounts = RequireBatches(data, data.Batches(r.BatchColumn));
        return new EligibilityAggregate { Site = Name, Count = data.RowCount, Positives = positives, Events = events, BatchCounts = batchCounts };
    }

    // ---- the minimum-count rules ---------------------------------------------------------------

    private void RequirePatients(PreparedTable data, int n)
    {
        if (n < Options.MinimumCount)
            throw data.Refuse(RefusalCause.BelowMinimum, $"{n} patient(s), fewer than the site's minimum of {Options.MinimumCount}");
    }

    /// <summary>Each outcome class must be empty or hold at least the minimum: class sums of a
    /// handful of patients would come close to their values. Returns the number of positives.</summary>
    private int RequireClasses(PreparedTable data, int[] y, string outcome)
    {
        RequirePatients(data, y.Length);
        var positives = y.Sum();
        var negatives = y.Length - positives;
        foreach (var (count, label) in new[] { (positives, "positive"), (negatives, "negative") })
            if (count > 0 && count < Options.MinimumCount)
                throw data.Refuse(RefusalCause.BelowMinimum, $"{count} {label} outcome(s) in '{outcome}', fewer than the site's minimum of {Options.MinimumCount}");
        return positives;
    }

    private int RequireEvents(PreparedTable data, int[] events)
    {
        RequirePatients(data, events.Length);
        var d = events.Sum();
        if (d > 0 && d < Options.MinimumCount)
            throw data.Refuse(RefusalCause.BelowMinimum, $"{d} event(s), fewer than the site's minimum of {Options.MinimumCount}");
        return d;
    }

    /// <summary>Every batch at the site needs the minimum (and at least two, for a variance).</summary>
    private Dictionary<string, int> RequireBatches(PreparedTable data, string[] batches)
    {
        RequirePatients(data, batches.Length);
        var counts = batches.GroupBy(b => b, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var minimum = Math.Max(2, Options.MinimumCount);
        foreach (var (batch, n) in counts)
            if (n < minimum)
                throw data.Refuse(RefusalCause.BelowMinimum, $"batch '{batch}' has {n} patient(s), fewer than the minimum of {minimum} for harmonisation");
        return counts;
    }

    private double[][] Columns(PreparedTable data, IReadOnlyList<string> names) => names.Select(data.Column).ToArray();
}
