using FedRad.Statistics.Numerics;
using FedRad.Statistics.Protocol;

namespace FedRad.Statistics.Site;

public sealed partial class StatisticsSite
{
    /// <summary>Every patient's role in the rank statistic (see <see cref="RankRoles"/>) and score key.</summary>
    private sealed record RankData(int[] CaseGroup, int[] Exit, double[] Score, ulong[] Key)
    {
        public bool HasRole(int i) => CaseGroup[i] >= 0 || Exit[i] > 0;
    }

    private RankData Roles(PreparedTable data, string score, RankRoles roles)
    {
        var s = data.Column(score);
        var n = s.Length;
        var caseGroup = new int[n];
        var exit = new int[n];
        if (roles.Outcome is not null)
        {
            var y = data.Binary(roles.Outcome);
            RequireClasses(data, y, roles.Outcome);
            for (var i = 0; i < n; i++) (caseGroup[i], exit[i]) = y[i] == 1 ? (0, 0) : (-1, 1);
        }
        else if (roles is { Time: not null, Event: not null, EventTimes: not null })
        {
            var t = data.Times(roles.Time);
            var e = data.Binary(roles.Event);
            RequireEvents(data, e);
            var grid = roles.EventTimes.ToArray();
            for (var i = 0; i < n; i++)
            {
                if (e[i] == 1)
                {
                    var k = Array.BinarySearch(grid, t[i]);
                    if (k < 0) throw data.Refuse(RefusalCause.InvalidData, $"an event time ({t[i]}) is missing from the coordinator's event-time grid");
                    (caseGroup[i], exit[i]) = (k, k);
                }
                else
                {
                    // censored at t: still at risk for events at t, so a control of every group up to t
                    var upper = Array.BinarySearch(grid, t[i]);
                    exit[i] = upper >= 0 ? upper + 1 : ~upper;
                    caseGroup[i] = -1;
                }
            }
        }
        else throw data.Refuse(RefusalCause.InvalidData, "rank statistic without an outcome or survival columns");
        return new RankData(caseGroup, exit, s, s.Select(OrderedKey.FromDouble).ToArray());
    }

    private static int BinOf(IReadOnlyList<KeyRange> bins, ulong key)
    {
        int lo = 0, hi = bins.Count - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            if (key < bins[mid].Lo) hi = mid - 1;
            else if (key > bins[mid].Hi) lo = mid + 1;
            else return mid;
        }
        return -1;
    }

    private RankBinsAggregate RankBins(PreparedTable data, RankBinsRequest r)
    {
        var rd = Roles(data, r.Score, r.Roles);
        var cells = new Dictionary<(int Bin, int CaseGroup, int Exit), int>();
        for (var i = 0; i < rd.Score.Length; i++)
        {
            if (!rd.HasRole(i)) continue;
            var bin = BinOf(r.Bins, rd.Key[i]);
            if (bin < 0) continue;
            var cell = (bin, rd.CaseGroup[i], rd.Exit[i]);
            cells[cell] = cells.GetValueOrDefault(cell) + 1;
        }
        var local = r.IncludeLocalPairs ? LocalPairs(rd) : null;
        return new RankBinsAggregate
        {
            Site = Name, Count = rd.Score.Length,
            Cells = cells.OrderBy(c => c.Key).Select(c => new RankCell(c.Key.Bin, c.Key.CaseGroup, c.Key.Exit, c.Value)).ToArray(),
            LocalPairs = local?.Totals, Cases = local?.Cases ?? 0, Controls = local?.Controls ?? 0,
        };
    }

    /// <summary>Per-patient pair counts within the site, by role (as case, as control).</summary>
    private sealed class PatientPairs(int n)
    {
        public readonly long[] CaseC = new long[n], CaseD = new long[n], CaseT = new long[n];
        public readonly long[] CtrlC = new long[n], CtrlD = new long[n], CtrlT = new long[n];
        public int Cases, Controls;
        public PairCounts Totals => new(CaseC.Sum(), CaseD.Sum(), CaseT.Sum());
    }

    private static PatientPairs LocalPairs(RankData rd)
    {
        var n = rd.Score.Length;
        var pp = new PatientPairs(n);
        for (var i = 0; i < n; i++)
        {
            if (rd.CaseGroup[i] >= 0) pp.Cases++;
            if (rd.Exit[i] > 0) pp.Controls++;
        }
        for (var i = 0; i < n; i++)
        {
            var k = rd.CaseGroup[i];
            if (k < 0) continue;
            for (var j = 0; j < n; j++)
            {
                if (rd.Exit[j] <= k) continue;
                if (rd.Score[i] > rd.Score[j]) { pp.CaseC[i]++; pp.CtrlC[j]++; }
                else if (rd.Score[i] < rd.Score[j]) { pp.CaseD[i]++; pp.CtrlD[j]++; }
                else { pp.CaseT[i]++; pp.CtrlT[j]++; }
            }
        }
        return pp;
    }

    private RankComponentsAggregate RankComponents(PreparedTable data, RankComponentsRequest r)
    {
        var rd = Roles(data, r.Score, r.Roles);
        var local = LocalPairs(rd);
        var n = rd.Score.Length;
        var caseCross = r.CaseCross.ToDictionary(c => (c.Bin, c.Group));
        var ctrlCross = r.ControlCross.ToDictionary(c => (c.Bin, c.Group));
        var pooled = new PatientPairs(n);
        for (var i = 0; i < n; i++)
        {
            pooled.CaseC[i] = local.CaseC[i]; pooled.CaseD[i] = local.CaseD[i]; pooled.CaseT[i] = local.CaseT[i];
            pooled.CtrlC[i] = local.CtrlC[i]; pooled.CtrlD[i] = local.CtrlD[i]; pooled.CtrlT[i] = local.CtrlT[i];
            if (!rd.HasRole(i)) continue;
            var bin = BinOf(r.Bins, rd.Key[i]);
            if (bin < 0) throw data.Refuse(RefusalCause.InvalidData, "a score lies outside the coordinator's final score intervals");
            if (rd.CaseGroup[i] >= 0 && caseCross.TryGetValue((bin, rd.CaseGroup[i]), out var cc))
            {
                pooled.CaseC[i] += cc.Concordant; pooled.CaseD[i] += cc.Discordant; pooled.CaseT[i] += cc.Tied;
            }
            if (rd.Exit[i] > 0 && ctrlCross.TryGetValue((bin, rd.Exit[i]), out var kc))
            {
                pooled.CtrlC[i] += kc.Concordant; pooled.CtrlD[i] += kc.Discordant; pooled.CtrlT[i] += kc.Tied;
            }
        }
        return new RankComponentsAggregate
        {
            Site = Name, Count = n,
            Local = Components(rd, local, local.Cases, local.Controls, local.Totals),
            Pooled = Components(rd, pooled, r.Pooled.Cases, r.Pooled.Controls, r.Pooled.Pairs),
        };
    }

    /// <summary>
    /// DeLong: placement of a case = (controls below + half the ties) / controls, of a control =
    /// (cases above + half the ties) / cases; sums of squared deviations from the AUC.
    /// Infinitesimal jackknife (survival::concordance): influence of a patient on Somers' d =
    /// ((c - d) - d_somers (c + d + t)) / pairs, with c, d, t its pairs in either role.
    /// </summary>
    private static ComponentSums Components(RankData rd, PatientPairs pp, int cases, int controls, PairCounts totals)
    {
        var pairs = (double)totals.Total;
        var auc = pairs > 0 ? (totals.Concordant + 0.5 * totals.Tied) / pairs : 0;
        var somers = pairs > 0 ? (totals.Concordant - totals.Discordant) / pairs : 0;
        double caseDev = 0, ctrlDev = 0, influence = 0;
        for (var i = 0; i < rd.Score.Length; i++)
        {
            if (!rd.HasRole(i)) continue;
            if (rd.CaseGroup[i] >= 0 && controls > 0)
            {
                var v = (pp.CaseC[i] + 0.5 * pp.CaseT[i]) / controls - auc;
                caseDev += v * v;
            }
            if (rd.Exit[i] > 0 && cases > 0)
            {
                var v = (pp.CtrlC[i] + 0.5 * pp.CtrlT[i]) / cases - auc;
                ctrlDev += v * v;
            }
            if (pairs > 0)
            {
                double c = pp.CaseC[i] + pp.CtrlC[i], d = pp.CaseD[i] + pp.CtrlD[i], t = pp.CaseT[i] + pp.CtrlT[i];
                var dfbeta = ((c - d) - somers * (c + d + t)) / pairs;
                influence += dfbeta * dfbeta;
            }
        }
        return new ComponentSums(caseDev, ctrlDev, influence);
    }
}
