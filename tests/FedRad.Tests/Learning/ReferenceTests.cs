using System.Globalization;
using FedRad.Learning.Data;
using FedRad.Learning.Metrics;
using FedRad.Learning.Models;

namespace FedRad.Tests.Learning;

/// <summary>Local models and metrics against R (fixtures made by Fixtures/make-fixtures.R).</summary>
public sealed class ReferenceTests
{
    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name);

    [Fact]
    public void Logistic_regression_trained_to_convergence_matches_R_glm()
    {
        var cohort = CohortTable.Load(Fixture("logreg_cohort.csv"), ["x1", "x2", "x3"], "label");
        var model = LogisticRegression.Zero(3);
        model.Train(cohort.X, cohort.Labels, epochs: 3000, learningRate: 0.5, l2: 0, batchSize: 0, seed: 1);

        var glm = File.ReadAllLines(Fixture("logreg_glm.csv")).Skip(1)
            .Select(l => l.Split(',')).ToDictionary(p => p[0], p => double.Parse(p[1], CultureInfo.InvariantCulture));
        Assert.Equal(glm["(Intercept)"], model.Intercept, 1e-6);
        Assert.Equal(glm["x1"], model.Coef[0], 1e-6);
        Assert.Equal(glm["x2"], model.Coef[1], 1e-6);
        Assert.Equal(glm["x3"], model.Coef[2], 1e-6);
    }

    [Fact]
    public void Auc_with_ties_matches_pROC()
    {
        var rows = File.ReadAllLines(Fixture("auc_scores.csv")).Skip(1).Select(l => l.Split(',')).ToList();
        var scores = rows.Select(r => double.Parse(r[0], CultureInfo.InvariantCulture)).ToArray();
        var labels = rows.Select(r => int.Parse(r[1], CultureInfo.InvariantCulture)).ToArray();
        var expected = double.Parse(File.ReadAllText(Fixture("auc_proc.txt")), CultureInfo.InvariantCulture);

        Assert.Equal(expected, Auc.Compute(scores, labels), 1e-12);

        // Scores at one decimal fall into distinct bins of a 100-bin histogram, so the binned AUC is exact here.
        var h = new ScoreHistogram();
        for (var i = 0; i < scores.Length; i++) h.Add(scores[i], labels[i]);
        Assert.Equal(expected, h.Auc(), 1e-12);
    }

    [Fact]
    public void Auc_is_undefined_with_one_class()
    {
        Assert.True(double.IsNaN(Auc.Compute([0.1, 0.9], [1, 1])));
        Assert.True(double.IsNaN(new ScoreHistogram().Auc()));
    }

    [Fact]
    public void Merged_site_histograms_give_the_pooled_auc_up_to_within_bin_ties()
    {
        var rng = new Random(5);
        var scores = new List<double>();
        var labels = new List<int>();
        var pooled = new ScoreHistogram();
        for (var site = 0; site < 3; site++)
        {
            var h = new ScoreHistogram();
            for (var i = 0; i < 150; i++)
            {
                var y = rng.NextDouble() < 0.4 ? 1 : 0;
                var s = Math.Clamp(0.5 + 0.2 * (y - 0.5) + 0.15 * (rng.NextDouble() - 0.5) + 0.05 * site, 0, 1);
                h.Add(s, y);
                scores.Add(s);
                labels.Add(y);
            }
            pooled.Merge(h);
        }
        // Bins of width 0.01: only pairs sharing a bin are scored 1/2 instead of 0 or 1.
        Assert.Equal(Auc.Compute(scores, labels), pooled.Auc(), 0.01);
    }
}
