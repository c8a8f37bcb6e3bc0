using System.Text.Json;
using FedRad.IntegrationTests.Infrastructure;

namespace FedRad.IntegrationTests;

/// <summary>
/// `fedrad demo` as a user runs it: synthetic PET/CT DICOM per site, SUV, the RTSTRUCT lesion,
/// IBSI radiomics at each site, a federated model, report.json.
/// </summary>
public sealed class DemoTests
{
    [Fact]
    public async Task The_demo_runs_from_DICOM_to_a_federated_model_and_writes_its_report()
    {
        var dir = Directory.CreateTempSubdirectory("fedrad-demo-").FullName;
        var (code, output) = await FedradProcess.Run(TimeSpan.FromMinutes(5), "demo", "--sites", "2", "--rounds", "4", "--out", dir);
        Assert.True(code == 0, output);

        var report = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(dir, "report.json"))).RootElement;
        Assert.Equal("completed", report.GetProperty("state").GetString());
        var sites = report.GetProperty("sites").EnumerateArray().ToList();
        Assert.Equal(["site-1", "site-2"], sites.Select(s => s.GetProperty("id").GetString()));
        // Every patient's DICOM went through feature extraction: n equals the studies written.
        foreach (var s in sites)
        {
            var written = Directory.GetDirectories(Path.Combine(dir, "sites", s.GetProperty("id").GetString()!, "dicom")).Length;
            Assert.Equal(written, s.GetProperty("n").GetInt32());
        }
        Assert.Equal(4, report.GetProperty("rounds").GetArrayLength());
        Assert.True(report.GetProperty("pooled").GetProperty("auc").GetDouble() > 0.75, output);
        Assert.True(File.Exists(Path.Combine(dir, "audit.jsonl")));

        // The validation report a statistician reads: one self-contained HTML page with its plots and CSV tables.
        var html = await File.ReadAllTextAsync(Path.Combine(dir, "validation", "report.html"));
        Assert.Contains("site-1", html);
        Assert.Contains("<svg", html);
        Assert.DoesNotContain("src=\"http", html);
        Assert.True(File.Exists(Path.Combine(dir, "validation", "cohort.csv")));
    }
}
