using System.Diagnostics;

namespace FedRad.Reports.Tests;

/// <summary>The committed report fixtures are what scripts/r/make-report-fixtures.R makes from the
/// committed sites with this machine's R (Rscript with survival, pROC and sva, installed by scripts/test.sh).</summary>
public sealed class RFixtureReproducibilityTests
{
    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "FedRad.sln"))) return dir.FullName;
        throw new InvalidOperationException("repository root (FedRad.sln) not found above " + AppContext.BaseDirectory);
    }

    [Fact]
    public async Task Regenerating_the_report_fixtures_with_Rscript_reproduces_the_committed_ones()
    {
        var ct = TestContext.Current.CancellationToken;
        var root = RepoRoot();
        var output = Directory.CreateTempSubdirectory("fedrad-report-fixtures-").FullName;
        try
        {
            var start = new ProcessStartInfo("Rscript", [Path.Combine(root, "scripts", "r", "make-report-fixtures.R"),
                Path.Combine(root, "tests", "data", "r-fixtures", "sites"), output])
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
                throw new InvalidOperationException("Rscript is not installed: install r-base-core, r-cran-survival, r-cran-proc, r-bioc-sva", e);
            }
            var stderr = process.StandardError.ReadToEndAsync(ct);
            await process.StandardOutput.ReadToEndAsync(ct);
            await process.WaitForExitAsync(ct);
            Assert.True(process.ExitCode == 0, "make-report-fixtures.R failed: " + await stderr);
            var committed = Path.Combine(root, "tests", "FedRad.Reports.Tests", "r-fixtures");
            var files = Directory.GetFiles(committed).Select(Path.GetFileName).Order().ToArray();
            Assert.Equal(files, Directory.GetFiles(output).Select(Path.GetFileName).Order().ToArray());
            foreach (var file in files)
                Assert.True(File.ReadAllText(Path.Combine(committed, file!)) == File.ReadAllText(Path.Combine(output, file!)), $"{file} differs when regenerated");
        }
        finally
        {
            Directory.Delete(output, true);
        }
    }
}
