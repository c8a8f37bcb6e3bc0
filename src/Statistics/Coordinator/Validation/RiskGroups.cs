using FedRad.Statistics.Numerics;
using FedRad.Statistics.Protocol;

namespace FedRad.Statistics.Coordinator.Validation;

/// <summary>
/// Cut points that split the pooled patients into groups of equal size by score (risk deciles,
/// tertiles). Cut k separates the pooled order statistics j_k = floor(k n / G) and j_k + 1: every
/// patient whose score is at most the cut is in a lower group. When those two scores are tied the
/// cut is the tied value and the tie stays in the lower group (R:
/// <c>findInterval(score, sort(score)[j], left.open = TRUE)</c>).
/// </summary>
/// <param name="Keys">Cut points as order-preserving keys, ascending (what the sites receive).</param>
/// <param name="Values">The same as scores.</param>
/// <param name="Count">Pooled number of patients.</param>
/// <param name="Sizes">Pooled number of patients per group.</param>
public sealed record RiskGroupCuts(IReadOnlyList<ulong> Keys, IReadOnlyList<double> Values, int Count, IReadOnlyList<int> Sizes, int Rounds)
{
    public int Groups => Keys.Count + 1;

    /// <summary>The cuts of a coarser grouping whose targets are a subset (e.g. quintiles from deciles).</summary>
    public RiskGroupCuts Coarsen(int groups)
    {
        if (groups < 1 || Groups % groups != 0) throw new ArgumentException($"{groups} groups are not a coarsening of {Groups}", nameof(groups));
        var step = Groups / groups;
        var keep = Enumerable.Range(1, groups - 1).Select(k => k * step - 1).ToArray();
        var sizes = Enumerable.Range(0, groups).Select(g => Sizes.Skip(g * step).Take(step).Sum()).ToArray();
        return new RiskGroupCuts(keep.Select(i => Keys[i]).ToArray(), keep.Select(i => Values[i]).ToArray(), Count, sizes, Rounds);
    }
}

public static class RiskGroups
{
    private const int Split = 256;

    /// <summary>
    /// Locates the cuts with rounds of interval counts (<see cref="ScoreCountsRequest"/>): every
    /// round splits the interval known to hold order statistics j_k and j_k + 1 into 256 parts,
    /// until a part ends with exactly j_k patients at or below it (its upper end is the cut) or
    /// holds a single score value (a tie). At most nine rounds for 64-bit keys.
    /// </summary>
    public static async Task<RiskGroupCuts> FindCutsAsync(Federation federation, string score, int groups, DataSpec data, CancellationToken ct = default)
    {
        if (groups < 1) throw new ArgumentOutOfRangeException(nameof(groups));
        var whole = new KeyRange(0, ulong.MaxValue);
        long[]? targets = null;
        var found = new Dictionary<int, (ulong Key, long AtOrBelow)>();
        // per unresolved target: the interval that holds it and the pooled count below that interval
        var open = new Dictionary<int, (KeyRange Interval, long Below)>();
        var rounds = 0;
        var n = 0;
        while (true)
        {
            rounds++;
            if (rounds > 12) throw new AnalysisFailedException("risk groups: the cut points did not resolve (internal error)");
            var intervals = targets is null ? [whole] : open.Values.Select(p => p.Interval).Distinct().OrderBy(i => i.Lo).ToArray();
            var parts = intervals.ToDictionary(i => i, i => Subdivide(i).ToArray());
            var bins = intervals.SelectMany(i => parts[i]).ToArray();
            var answers = await federation.AskAllAsync(new ScoreCountsRequest { Score = score, Bins = bins, Data = data }, ct);
            var counts = new long[bins.Length];
            foreach (var a in answers)
            {
                if (a.Counts.Count != bins.Length) throw new AnalysisFailedException($"site {a.Site} answered {a.Counts.Count} counts for {bins.Length} intervals");
                for (var b = 0; b < bins.Length; b++) counts[b] += a.Counts[b];
            }
            var countOf = new Dictionary<KeyRange, long>();
            for (var b = 0; b < bins.Length; b++) countOf[bins[b]] = counts[b];
            if (targets is null)
            {
                n = answers.Sum(a => a.Count);
                if (n < groups) throw new AnalysisFailedException($"risk groups: {n} patient(s) cannot make {groups} groups");
                targets = Enumerable.Range(1, groups - 1).Select(k => (long)k * n / groups).ToArray();
                for (var k = 0; k < targets.Length; k++) open[k] = (whole, 0);
            }
            foreach (var k in open.Keys.ToArray())
            {
                var (interval, below) = open[k];
                var cumulative = below;
                foreach (var part in parts[interval])
                {
                    var inPart = countOf[part];
                    if (cumulative + inPart >= targets[k])
                    {
                        if (cumulative + inPart == targets[k] || part.Lo == part.Hi) { found[k] = (part.Hi, cumulative + inPart); open.Remove(k); }
                        else open[k] = (part, cumulative);
                        break;
                    }
                    cumulative += inPart;
                }
            }
            if (open.Count == 0) break;
        }
        var keys = Enumerable.Range(0, targets.Length).Select(k => found[k].Key).ToArray();
        var atOrBelow = Enumerable.Range(0, targets.Length).Select(k => found[k].AtOrBelow).Append(n).ToArray();
        var sizes = atOrBelow.Select((c, g) => (int)(c - (g == 0 ? 0 : atOrBelow[g - 1]))).ToArray();
        return new RiskGroupCuts(keys, keys.Select(OrderedKey.ToDouble).ToArray(), n, sizes, rounds);
    }

    private static IEnumerable<KeyRange> Subdivide(KeyRange bin)
    {
        var width = (UInt128)bin.Hi - bin.Lo + 1;
        var step = (width + Split - 1) / Split;
        for (var lo = (UInt128)bin.Lo; lo <= bin.Hi; lo += step)
        {
            var hi = lo + step - 1;
            yield return new KeyRange((ulong)lo, hi > bin.Hi ? bin.Hi : (ulong)hi);
        }
    }
}
