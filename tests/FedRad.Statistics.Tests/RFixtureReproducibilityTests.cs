using System.Diagnostics;

namespace FedRad.Statistics.Tests;

/// <summary>
/// The committed R fixtures are what scripts/r/make-fixtures.R produces with the R packages of
/// this machine: regenerate them into a temporary folder with Rscript and compare. Needs
/// Rscript with survival, glmnet, pROC and sva (installed by scripts/test.sh).
/// </summary>
public sealed class RFixtureReproducibilityTests
{
    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "FedRad.sln"))) return dir.FullName;
        throw new InvalidOperationException("repository root (FedRad.sln) not found above " + AppContext.BaseDirectory);
    }

    [Fact]
    public async Task Regenerating_the_fixtures_with_Rscript_reproduces_the_committed_ones()
    {
        var root = RepoRoot();
        var output = Directory.CreateTempSubdirectory("fedrad-r-fixtures-").FullName;
        try
        {
            var start = new ProcessStartInfo("Rscript", [Path.Combine(root, "scripts", "r", "make-fixtures.R"), output])
            {
                RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = root,
            };
            Process process;
            try
            {
                process = Process.Start(start)!;
            }
            catch (System.ComponentModel.Win32Exception e)
            {
                throw new InvalidOperationException("Rscript is not installed: install r-base-core, r-cran-survival, r-cran-glmnet, r-cran-proc, r-bioc-sva", e);
            }
            var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
            await process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
            await process.WaitForExitAsync(TestContext.Current.CancellationToken);
            Assert.True(process.ExitCode == 0, "make-fixtures.R failed: " + await stderr);

            var committed = Path.Combine(root, "tests", "data", "r-fixtures");
            foreach (var site in RFixture.SiteNames)
                Assert.Equal(File.ReadAllText(Path.Combine(committed, "sites", site + ".csv")), File.ReadAllText(Path.Combine(output, "sites", site + ".csv")));
            var expected = RFixture.LoadResults(Path.Combine(committed, "results.csv"));
            var actual = RFixture.LoadResults(Path.Combine(output, "results.csv"));
            Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
            foreach (var (key, value) in expected)
                Assert.True(Math.Abs(actual[key] - value) <= 1e-12 * Math.Max(1, Math.Abs(value)), $"{key}: committed {value:R}, regenerated {actual[key]:R}");
            foreach (var file in new[] { "combat_nocov.csv", "combat_cov.csv", "combat_scanner.csv", "roc_pooled.csv" })
                Assert.Equal(File.ReadAllText(Path.Combine(committed, file)), File.ReadAllText(Path.Combine(output, file)));
        }
        finally
        {
            Directory.Delete(output, true);
        }
    }
}
