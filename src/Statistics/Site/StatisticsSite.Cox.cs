using FedRad.Statistics.Protocol;

namespace FedRad.Statistics.Site;

public sealed partial class StatisticsSite
{
    /// <summary>Centred features (patients x features), times, events, after the usual checks.</summary>
    private (double[][] X, double[] Time, int[] Event, int Events) Survival(PreparedTable data, IReadOnlyList<string> features,
        string time, string @event, IReadOnlyList<double> centre)
    {
        var columns = Columns(data, features);
        if (centre.Count != columns.Length) throw data.Refuse(RefusalCause.InvalidData, $"cox: {centre.Count} centres for {columns.Length} features");
        var t = data.Times(time);
        var e = data.Binary(@event);
        var events = RequireEvents(data, e);
        var x = new double[data.RowCount][];
        for (var i = 0; i < x.Length; i++)
        {
            x[i] = new double[columns.Length];
            for (var j = 0; j < columns.Length; j++) x[i][j] = columns[j][i] - centre[j];
        }
        return (x, t, e, events);
    }

    private static double[] LinearPredictor(double[][] x, IReadOnlyList<double> beta)
    {
        var b = beta.ToArray();
        return x.Select(row => Numerics.Dense.Dot(row, b)).ToArray();
    }

    /// <summary>Breslow partial likelihood of the site's own patients, the site as one stratum.</summary>
    private CoxStratumAggregate CoxStratum(PreparedTable data, CoxStratumRequest r)
    {
        var (x, time, ev, events) = Survival(data, r.Features, r.Time, r.Event, r.Centre);
        var p = r.Features.Count;
        if (r.Coefficients.Count != p) throw data.Refuse(RefusalCause.InvalidData, $"cox: {r.Coefficients.Count} coefficients for {p} features");
        var eta = LinearPredictor(x, r.Coefficients);
        var order = Enumerable.Range(0, x.Length).OrderByDescending(i => time[i]).ToArray();
        double s0 = 0, logLik = 0;
        var s1 = new double[p];
        var s2 = Numerics.Dense.Zeros(p, p);
        var gradient = new double[p];
        var information = Numerics.Dense.Zeros(p, p);
        var at = 0;
        while (at < order.Length)
        {
            var t = time[order[at]];
            var end = at;
            while (end < order.Length && time[order[end]] == t) end++;
            // everyone with this time joins the risk set before its events are scored (Breslow)
            var d = 0;
            var eventEta = 0.0;
            var eventX = new double[p];
            for (var k = at; k < end; k++)
            {
                var i = order[k];
                var w = Math.Exp(eta[i]);
                s0 += w;
                for (var a = 0; a < p; a++)
                {
                    s1[a] += w * x[i][a];
                    if (r.Derivatives) for (var b = a; b < p; b++) s2[a][b] += w * x[i][a] * x[i][b];
                }
                if (ev[i] != 1) continue;
                d++;
                eventEta += eta[i];
                for (var a = 0; a < p; a++) eventX[a] += x[i][a];
            }
            if (d > 0)
            {
                logLik += eventEta - d * Math.Log(s0);
                for (var a = 0; a < p; a++)
                {
                    gradient[a] += eventX[a] - d * s1[a] / s0;
                    if (!r.Derivatives) continue;
                    for (var b = a; b < p; b++) information[a][b] += d * (s2[a][b] / s0 - s1[a] / s0 * (s1[b] / s0));
                }
            }
            at = end;
        }
        for (var a = 0; a < p; a++)
            for (var b = 0; b < a; b++) information[a][b] = information[b][a];
        return new CoxStratumAggregate
        {
            Site = Name, Count = x.Length, Events = events, LogLikelihood = logLik,
            Gradient = r.Derivatives ? gradient : null, Information = r.Derivatives ? information : null,
        };
    }

    private EventTimesAggregate EventTimes(PreparedTable data, EventTimesRequest r)
    {
        var time = data.Times(r.Time);
        var ev = data.Binary(r.Event);
        var events = RequireEvents(data, ev);
        var times = Enumerable.Range(0, time.Length).Where(i => ev[i] == 1).Select(i => time[i]).Distinct().Order().ToArray();
        return new EventTimesAggregate { Site = Name, Count = time.Length, Events = events, Times = times };
    }

    /// <summary>Risk-set sums at each pooled event time (see <see cref="CoxRiskSetAggregate"/>).</summary>
    private CoxRiskSetAggregate CoxRiskSets(PreparedTable data, CoxRiskSetRequest r)
    {
        if (!Options.AllowRiskSetSums)
            throw data.Refuse(RefusalCause.NotPermitted, "the site's policy does not allow per-event-time risk-set sums (pooled Cox); use the site-stratified Cox model");
        var (x, time, ev, events) = Survival(data, r.Features, r.Time, r.Event, r.Centre);
        var p = r.Features.Count;
        if (r.Coefficients.Count != p) throw data.Refuse(RefusalCause.InvalidData, $"cox: {r.Coefficients.Count} coefficients for {p} features");
        var grid = r.EventTimes.ToArray();
        var k = grid.Length;
        var eventCounts = new int[k];
        var eventSum = new double[p];
        for (var i = 0; i < x.Length; i++)
        {
            if (ev[i] != 1) continue;
            var g = Array.BinarySearch(grid, time[i]);
            if (g < 0) throw data.Refuse(RefusalCause.InvalidData, $"an event time ({time[i]}) is missing from the coordinator's event-time grid");
            eventCounts[g]++;
            for (var a = 0; a < p; a++) eventSum[a] += x[i][a];
        }
        var eta = LinearPredictor(x, r.Coefficients);
        var order = Enumerable.Range(0, x.Length).OrderByDescending(i => time[i]).ToArray();
        var s0 = new double[k];
        var s1 = r.Derivatives ? new double[k][] : null;
        var s2 = r.Derivatives ? new double[k][] : null;
        double r0 = 0;
        var r1 = new double[p];
        var r2 = new double[p * (p + 1) / 2];
        var next = 0;
        for (var g = k - 1; g >= 0; g--)
        {
            for (; next < order.Length && time[order[next]] >= grid[g]; next++)
            {
                var i = order[next];
                var w = Math.Exp(eta[i]);
                r0 += w;
                if (!r.Derivatives) continue;
                var m = 0;
                for (var a = 0; a < p; a++)
                {
                    r1[a] += w * x[i][a];
                    for (var b = a; b < p; b++) r2[m++] += w * x[i][a] * x[i][b];
                }
            }
            s0[g] = r0;
            if (s1 is null) continue;
            s1[g] = (double[])r1.Clone();
            s2![g] = (double[])r2.Clone();
        }
        return new CoxRiskSetAggregate
        {
            Site = Name, Count = x.Length, Events = events, EventCounts = eventCounts, EventFeatureSum = eventSum,
            S0 = s0, S1 = s1, S2 = s2,
        };
    }
}
