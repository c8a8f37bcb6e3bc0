using FedRad.Statistics.Numerics;
using FedRad.Statistics.Protocol;

namespace FedRad.Statistics.Coordinator.Validation;

/// <summary>What the rank protocol established: per-site and pooled pair counts and variance sums,
/// and the final score partition with each site's counts in it (for ROC points).</summary>
internal sealed record RankOutcome(
    IReadOnlyDictionary<string, SiteRank> Sites,
    SiteRank Pooled,
    IReadOnlyList<KeyRange> Bins,
    IReadOnlyDictionary<string, IReadOnlyList<RankCell>> Cells,
    int Rounds);

internal sealed record SiteRank(int Cases, int Controls, PairCounts Pairs, ComponentSums Sums);

/// <summary>
/// Exact pooled rank statistics (AUC, Harrell's C) without moving scores. Rounds of interval
/// counts: the coordinator starts with one interval covering every score and splits (into 256
/// parts, in the order-preserving key space) only intervals where a case of one site and a
/// comparable control of another site fall together, until every cross-site comparable pair is
/// either in different intervals (its order is known) or in an interval holding a single score
/// value (a tie). At most nine rounds for 64-bit keys. Within-site pairs are counted by each site
/// on its own data. A final round sends each site the cross-site counts for its cells and
/// collects the sums of squares that make DeLong's and the jackknife variance exact.
/// </summary>
internal static class RankProtocol
{
    private const int Split = 256;

    public static async Task<RankOutcome> RunAsync(Federation federation, string score, RankRoles roles, DataSpec data, CancellationToken ct)
    {
        var sites = federation.Names.ToArray();
        var final = new List<(KeyRange Bin, Dictionary<string, List<RankCell>> Cells)>();
        var pending = new List<KeyRange> { new(0, ulong.MaxValue) };
        var localPairs = new Dictionary<string, (int Cases, int Controls, PairCounts Pairs)>();
        var rounds = 0;
        while (pending.Count > 0)
        {
            rounds++;
            if (rounds > 12) throw new AnalysisFailedException("rank protocol: the score intervals did not resolve (internal error)");
            var request = new RankBinsRequest { Score = score, Roles = roles, Bins = pending, IncludeLocalPairs = rounds == 1, Data = data };
            var answers = await federation.AskAllAsync(request, ct);
            if (rounds == 1)
                foreach (var a in answers) localPairs[a.Site] = (a.Cases, a.Controls, a.LocalPairs!);
            var byBin = new Dictionary<string, List<RankCell>>[pending.Count];
            for (var b = 0; b < pending.Count; b++) byBin[b] = new Dictionary<string, List<RankCell>>();
            foreach (var a in answers)
                foreach (var cell in a.Cells)
                {
                    if (!byBin[cell.Bin].TryGetValue(a.Site, out var list)) byBin[cell.Bin][a.Site] = list = [];
                    list.Add(cell);
                }
            var next = new List<KeyRange>();
            for (var b = 0; b < pending.Count; b++)
            {
                if (byBin[b].Count == 0) continue;
                if (pending[b].Lo == pending[b].Hi || !Ambiguous(byBin[b])) final.Add((pending[b], byBin[b]));
                else next.AddRange(Subdivide(pending[b]));
            }
            pending = next;
        }
        final.Sort((a, b) => a.Bin.Lo.CompareTo(b.Bin.Lo));
        var bins = final.Select(f => f.Bin).ToArray();
        var cells = sites.ToDictionary(s => s, s => (IReadOnlyList<RankCell>)final
            .SelectMany((f, index) => f.Cells.GetValueOrDefault(s, []).Select(c => c with { Bin = index })).ToArray());

        var cross = CrossCounts(sites, cells, bins.Length);
        var pooledPairs = localPairs.Values.Aggregate(new PairCounts(0, 0, 0), (acc, l) => acc.Add(l.Pairs));
        foreach (var s in sites)
        {
            // every cross-site pair has exactly one case: count it from the case's side
            var caseCounts = cells[s].Where(x => x.CaseGroup >= 0).GroupBy(x => (x.Bin, x.CaseGroup)).ToDictionary(g => g.Key, g => (long)g.Sum(x => x.Count));
            foreach (var c in cross[s].Cases)
            {
                var count = caseCounts[(c.Bin, c.Group)];
                pooledPairs = pooledPairs.Add(new PairCounts(c.Concordant * count, c.Discordant * count, c.Tied * count));
            }
        }
        var totals = new PooledRankTotals(localPairs.Values.Sum(l => l.Cases), localPairs.Values.Sum(l => l.Controls), pooledPairs);
        var components = await federation.AskEachAsync(channel => new RankComponentsRequest
        {
            Score = score, Roles = roles, Bins = bins, CaseCross = cross[channel.Site].Cases, ControlCross = cross[channel.Site].Controls,
            Pooled = totals, Data = data,
        }, ct);
        var perSite = components.ToDictionary(c => c.Site,
            c => new SiteRank(localPairs[c.Site].Cases, localPairs[c.Site].Controls, localPairs[c.Site].Pairs, c.Local));
        var pooledSums = new ComponentSums(components.Sum(c => c.Pooled.CaseDeviationSquares), components.Sum(c => c.Pooled.ControlDeviationSquares),
            components.Sum(c => c.Pooled.InfluenceSquares));
        return new RankOutcome(perSite, new SiteRank(totals.Cases, totals.Controls, pooledPairs, pooledSums), bins, cells, rounds + 1);
    }

    /// <summary>Does some site's case meet another site's comparable control in this interval?</summary>
    private static bool Ambiguous(Dictionary<string, List<RankCell>> bySite)
    {
        foreach (var (site, cells) in bySite)
        {
            var cases = cells.Where(c => c.CaseGroup >= 0).ToArray();
            if (cases.Length == 0) continue;
            var lowestGroup = cases.Min(c => c.CaseGroup);
            foreach (var (other, otherCells) in bySite)
                if (other != site && otherCells.Any(c => c.Exit > lowestGroup)) return true;
        }
        return false;
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

    /// <summary>
    /// For every case cell (bin, group) of a site: other sites' controls of that group below,
    /// in, above the bin; for every control cell (bin, exit): other sites' cases of groups below
    /// the exit above, in, below the bin. Counted as all sites minus the site itself.
    /// </summary>
    private static Dictionary<string, (CrossCell[] Cases, CrossCell[] Controls)> CrossCounts(
        string[] sites, IReadOnlyDictionary<string, IReadOnlyList<RankCell>> cells, int binCount)
    {
        // controls in group k are cells with exit > k; sweep k downwards adding cells as they qualify
        var allControls = sites.SelectMany(s => cells[s].Where(c => c.Exit > 0).Select(c => (Site: s, Cell: c))).OrderByDescending(x => x.Cell.Exit).ToArray();
        var allCases = sites.SelectMany(s => cells[s].Where(c => c.CaseGroup >= 0).Select(c => (Site: s, Cell: c))).OrderBy(x => x.Cell.CaseGroup).ToArray();
        var result = sites.ToDictionary(s => s, _ => (Cases: new List<CrossCell>(), Controls: new List<CrossCell>()));

        var caseQueries = sites.SelectMany(s => cells[s].Where(c => c.CaseGroup >= 0).Select(c => (Site: s, c.Bin, Group: c.CaseGroup)))
            .Distinct().OrderByDescending(q => q.Group).ToArray();
        var total = new Fenwick(binCount);
        var own = sites.ToDictionary(s => s, _ => new Fenwick(binCount));
        var added = 0;
        foreach (var q in caseQueries)
        {
            for (; added < allControls.Length && allControls[added].Cell.Exit > q.Group; added++)
            {
                total.Add(allControls[added].Cell.Bin, allControls[added].Cell.Count);
                own[allControls[added].Site].Add(allControls[added].Cell.Bin, allControls[added].Cell.Count);
            }
            var (below, tied, above) = Split3(total, own[q.Site], q.Bin);
            result[q.Site].Cases.Add(new CrossCell(q.Bin, q.Group, below, above, tied));
        }

        var controlQueries = sites.SelectMany(s => cells[s].Where(c => c.Exit > 0).Select(c => (Site: s, c.Bin, Exit: c.Exit)))
            .Distinct().OrderBy(q => q.Exit).ToArray();
        total = new Fenwick(binCount);
        own = sites.ToDictionary(s => s, _ => new Fenwick(binCount));
        added = 0;
        foreach (var q in controlQueries)
        {
            for (; added < allCases.Length && allCases[added].Cell.CaseGroup < q.Exit; added++)
            {
                total.Add(allCases[added].Cell.Bin, allCases[added].Cell.Count);
                own[allCases[added].Site].Add(allCases[added].Cell.Bin, allCases[added].Cell.Count);
            }
            var (below, tied, above) = Split3(total, own[q.Site], q.Bin);
            result[q.Site].Controls.Add(new CrossCell(q.Bin, q.Exit, above, below, tied));
        }
        return result.ToDictionary(r => r.Key, r => (r.Value.Cases.ToArray(), r.Value.Controls.ToArray()));
    }

    private static (long Below, long Tied, long Above) Split3(Fenwick total, Fenwick own, int bin)
    {
        var below = total.Prefix(bin - 1) - own.Prefix(bin - 1);
        var upTo = total.Prefix(bin) - own.Prefix(bin);
        var all = total.Prefix(int.MaxValue) - own.Prefix(int.MaxValue);
        return (below, upTo - below, all - upTo);
    }

    /// <summary>Binary indexed tree of counts per bin.</summary>
    private sealed class Fenwick(int size)
    {
        private readonly long[] _tree = new long[size + 1];

        public void Add(int index, long value)
        {
            for (var i = index + 1; i <= size; i += i & -i) _tree[i] += value;
        }

        /// <summary>Sum of bins 0..index (clamped).</summary>
        public long Prefix(int index)
        {
            var s = 0L;
            for (var i = Math.Min(index, size - 1) + 1; i > 0; i -= i & -i) s += _tree[i];
            return s;
        }
    }
}
