using System.Diagnostics;
using System.Globalization;
using FedRad.Cli.Reports;
using FedRad.Learning.Metrics;

namespace FedRad.IntegrationTests.Admin;

/// <summary>
/// The study report's AUC and DeLong variance from per-class score histograms, against R's pROC on the
/// same scores (each patient's score is its bin: ties within a bin, as the histograms keep them).
/// </summary>
public sealed class BinnedAucTests
{
    [Fact]
    public async Task Binned_auc_and_its_delong_variance_equal_pROC_on_the_binned_scores()
    {
        var rng = new Random(7);
        const int bins = 100;
        var positives = new double[bins];
        var negatives = new double[bins];
        // Overlapping classes with ties in many bins and empty bins between.
        for (var i = 0; i < 180; i++) positives[Math.Clamp((int)(60 + 15 * Gaussian(rng)), 0, bins - 1)]++;
        for (var i = 0; i < 260; i++) negatives[Math.Clamp((int)(42 + 15 * Gaussian(rng)), 0, bins - 1)]++;

        var ours = new ScoreHistogram(positives, negatives);

        var csv = Path.Combine(Directory.CreateTempSubdirectory("fedrad-binned-").FullName, "scores.csv");
        var lines = new List<string> { "y,s" };
        for (var b = 0; b < bins; b++)
        {
            for (var k = 0; k < positives[b]; k++) lines.Add($"1,{b}");
            for (var k = 0; k < negatives[b]; k++) lines.Add($"0,{b}");
        }
        await File.WriteAllLinesAsync(csv, lines);
        var script = $"suppressMessages(library(pROC)); d <- read.csv('{csv}'); r <- roc(d$y, d$s, levels = c(0, 1), direction = '<', quiet = TRUE); " +
                     "cat(sprintf('%.17g %.17g', as.numeric(auc(r)), var(r, method = 'delong')))";
        var psi = new ProcessStartInfo("Rscript", ["-e", script]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var r = Process.Start(psi)!;
        var output = await r.StandardOutput.ReadToEndAsync();
        var error = await r.StandardError.ReadToEndAsync();
        await r.WaitForExitAsync();
        Assert.True(r.ExitCode == 0, $"Rscript failed: {error}");
        var values = output.Trim().Split(' ').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();

        Assert.Equal(values[0], ours.Auc(), 1e-12);
        Assert.Equal(values[1], ours.DeLongVariance(), 1e-12);
        Assert.InRange(ours.Auc(), 0.7, 0.9);
    }

    [Fact]
    public void Roc_points_run_from_everyone_positive_to_no_one_and_one_class_has_no_auc()
    {
        var roc = StudyValidation.Roc([0, 2, 1], [1, 1, 0]);
        Assert.Equal([(1.0, 0.0), (1.0, 0.5), (1 / 3.0, 1.0), (0.0, 1.0)], roc.Select(p => (p.Sensitivity, p.Specificity)));
        Assert.True(double.IsNaN(new ScoreHistogram([0, 0, 0], [1, 2, 3]).DeLongVariance()));
    }

    private static double Gaussian(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
}
