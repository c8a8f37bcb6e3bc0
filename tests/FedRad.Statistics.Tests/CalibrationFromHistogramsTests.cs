using FedRad.Statistics.Coordinator.Validation;

namespace FedRad.Statistics.Tests;

/// <summary>
/// The calibration plot of a FedAvg study, made from the 100-bin histograms of predicted probability by outcome the
/// sites send: counts and positives per group against the patients themselves, exact CIs against R's binom.test.
/// </summary>
public sealed class CalibrationFromHistogramsTests
{
    // (group index 0..9, patients, positives) and R 4: binom.test(x, n)$conf.int
    private static readonly (int Group, int N, int X, double Low, double High)[] Expected =
    [
        (0, 17, 3, 0.037985068070626, 0.434317872844284),
        (2, 12, 0, 0, 0.264648469397051),
        (4, 97, 41, 0.322998331125743, 0.527213226830095),
        (9, 25, 25, 0.862814828469287, 1),
    ];

    [Fact]
    public void Groups_of_width_0_1_count_every_patient_and_give_binom_test_intervals()
    {
        var rng = new Random(7);
        var patients = new List<(string Site, double P, int Label)>();
        foreach (var (group, n, x, _, _) in Expected)
            for (var i = 0; i < n; i++)
                patients.Add((i % 2 == 0 ? "a" : "b", (group + rng.NextDouble()) / 10, i < x ? 1 : 0));

        (double[] Pos, double[] Neg) Histogram(IEnumerable<(string Site, double P, int Label)> rows)
        {
            double[] pos = new double[100], neg = new double[100];
            foreach (var r in rows) (r.Label == 1 ? pos : neg)[Math.Min(99, (int)(r.P * 100))]++;
            return (pos, neg);
        }
        var pooled = Histogram(patients);
        var sites = patients.GroupBy(p => p.Site).ToDictionary(g => g.Key, g => Histogram(g));

        var curve = CalibrationCurve.FromScoreHistograms(pooled.Pos, pooled.Neg, sites);

        Assert.Equal(Expected.Select(e => e.Group + 1), curve.Pooled.Select(g => g.Group));
        foreach (var (e, g) in Expected.Zip(curve.Pooled))
        {
            var members = patients.Where(p => (int)(p.P * 10) == e.Group).ToList();
            Assert.Equal(e.N, g.Count);
            Assert.Equal(e.X, g.Positives);
            Assert.Equal((double)e.X / e.N, g.Observed, 15);
            Assert.Equal(e.Low, g.ObservedCiLow, 9);
            Assert.Equal(e.High, g.ObservedCiHigh, 9);
            // Bin centres stand for the patients: within half a bin width of their true mean.
            Assert.InRange(Math.Abs(g.MeanPredicted - members.Average(m => m.P)), 0, 0.005);
            Assert.Equal(e.Group == 0 ? null : e.Group / 10.0, g.ScoreLow);
        }
        // Each site's groups hold its own patients, and together the pooled ones.
        foreach (var g in curve.Pooled)
            Assert.Equal(g.Count, curve.PerSite.Values.Sum(s => s.Where(x => x.Group == g.Group).Sum(x => x.Count)));
        Assert.Equal(patients.Count(p => p.Site == "a"), curve.PerSite["a"].Sum(x => x.Count));
    }

    [Fact]
    public void Bins_that_do_not_divide_into_the_groups_are_refused_with_the_numbers()
    {
        var e = Assert.Throws<ArgumentException>(() => CalibrationCurve.FromScoreHistograms(new double[64], new double[64], new Dictionary<string, (double[], double[])>()));
        Assert.Contains("64 bins cannot be merged into 10 groups", e.Message);
    }
}
