using FedRad.Statistics.Numerics;
using FedRad.Statistics.Protocol;

namespace FedRad.Statistics.Site;

public sealed partial class StatisticsSite
{
    private ScoreCountsAggregate ScoreCounts(PreparedTable data, ScoreCountsRequest r)
    {
        var score = data.Column(r.Score);
        RequirePatients(data, score.Length);
        var counts = new int[r.Bins.Count];
        foreach (var s in score)
        {
            var bin = BinOf(r.Bins, OrderedKey.FromDouble(s));
            if (bin >= 0) counts[bin]++;
        }
        return new ScoreCountsAggregate { Site = Name, Count = score.Length, Counts = counts };
    }

    /// <summary>Risk group of every patient: the number of cut keys below its score key.</summary>
    private int[] RiskGroups(PreparedTable data, string score, IReadOnlyList<ulong> cuts)
    {
        for (var k = 1; k < cuts.Count; k++)
            if (cuts[k] < cuts[k - 1]) throw data.Refuse(RefusalCause.InvalidData, "risk-group cut points are not in ascending order");
        var s = data.Column(score);
        var groups = new int[s.Length];
        for (var i = 0; i < s.Length; i++)
        {
            var key = OrderedKey.FromDouble(s[i]);
            int lo = 0, hi = cuts.Count;
            while (lo < hi)
            {
                var mid = (lo + hi) >>> 1;
                if (cuts[mid] < key) lo = mid + 1;
                else hi = mid;
            }
            groups[i] = lo;
        }
        return groups;
    }

    /// <summary>Every non-empty risk group needs the minimum: a group of a handful of patients
    /// would come close to their values.</summary>
    private void RequireGroups(PreparedTable data, int[] sizes)
    {
        for (var g = 0; g < sizes.Length; g++)
            if (sizes[g] > 0 && sizes[g] < Options.MinimumCount)
                throw data.Refuse(RefusalCause.BelowMinimum,
                    $"risk group {g + 1} of {sizes.Length} has {sizes[g]} patient(s), fewer than the site's minimum of {Options.MinimumCount}");
    }

    private CalibrationBinsAggregate CalibrationBins(PreparedTable data, CalibrationBinsRequest r)
    {
        var score = data.Column(r.Score);
        var y = data.Binary(r.Outcome);
        RequireClasses(data, y, r.Outcome);
        var groups = RiskGroups(data, r.Score, r.Cuts);
        var count = new int[r.Cuts.Count + 1];
        var positives = new int[count.Length];
        var predicted = new double[count.Length];
        for (var i = 0; i < y.Length; i++)
        {
            count[groups[i]]++;
            positives[groups[i]] += y[i];
            predicted[groups[i]] += 1 / (1 + Math.Exp(-score[i]));
        }
        RequireGroups(data, count);
        return new CalibrationBinsAggregate
        {
            Site = Name, Count = y.Length,
            Bins = count.Select((n, g) => new CalibrationBin(n, positives[g], predicted[g])).ToArray(),
        };
    }

    private KaplanMeierAggregate KaplanMeier(PreparedTable data, KaplanMeierRequest r)
    {
        var t = data.Times(r.Time);
        var e = data.Binary(r.Event);
        RequireEvents(data, e);
        var grid = r.Times.ToArray();
        for (var k = 1; k < grid.Length; k++)
            if (!(grid[k] > grid[k - 1])) throw data.Refuse(RefusalCause.InvalidData, "the Kaplan-Meier time grid is not strictly ascending");
        var groups = RiskGroups(data, r.Score, r.Cuts);
        var g = r.Cuts.Count + 1;
        var sizes = new int[g];
        // first counted at the last grid time each patient is still at risk for, then summed from the end
        var atRisk = new int[g][];
        var events = new int[g][];
        for (var q = 0; q < g; q++) (atRisk[q], events[q]) = (new int[grid.Length], new int[grid.Length]);
        for (var i = 0; i < t.Length; i++)
        {
            sizes[groups[i]]++;
            // grid times at or before t[i]: the patient is at risk at each of them
            var upper = Array.BinarySearch(grid, t[i]);
            var last = upper >= 0 ? upper : ~upper - 1;
            if (e[i] == 1)
            {
                if (upper < 0) throw data.Refuse(RefusalCause.InvalidData, $"an event time ({t[i]}) is missing from the coordinator's time grid");
                events[groups[i]][upper]++;
            }
            if (last >= 0) atRisk[groups[i]][last]++;
        }
        RequireGroups(data, sizes);
        // at risk at grid[k] = patients whose last grid time at risk is k or later
        foreach (var a in atRisk)
            for (var k = a.Length - 2; k >= 0; k--) a[k] += a[k + 1];
        return new KaplanMeierAggregate
        {
            Site = Name, Count = t.Length,
            Groups = Enumerable.Range(0, g).Select(q => new KaplanMeierGroupTable(sizes[q], atRisk[q], events[q])).ToArray(),
        };
    }
}
