using System.Globalization;
using System.Text.Json;
using FedRad.IntegrationTests.Infrastructure;

namespace FedRad.IntegrationTests;

/// <summary>
/// `fedrad demo --modality spect` as a user runs it: synthetic SPECT/CT DICOM per site (NM RECON TOMO), each site's
/// camera calibration given to its agent, SUV, the RTSTRUCT lesion, IBSI radiomics of the NM rows, a federated model,
/// report.json.
/// </summary>
public sealed class SpectDemoTests
{
    [Fact]
    public async Task The_SPECT_demo_runs_from_NM_images_in_SUV_to_a_federated_model()
    {
        var dir = Directory.CreateTempSubdirectory("fedrad-spect-demo-").FullName;
        var (code, output) = await FedradProcess.Run(TimeSpan.FromMinutes(5), "demo", "--modality", "spect", "--sites", "2", "--rounds", "3", "--out", dir);
        Assert.True(code == 0, output);

        var report = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(dir, "report.json"))).RootElement;
        Assert.Equal("completed", report.GetProperty("state").GetString());
        var sites = report.GetProperty("sites").EnumerateArray().ToList();
        Assert.Equal(["site-1", "site-2"], sites.Select(s => s.GetProperty("id").GetString()));
        foreach (var s in sites)
        {
            var siteDir = Path.Combine(dir, "sites", s.GetProperty("id").GetString()!);
            // Every patient's SPECT went through feature extraction: n equals the studies written.
            var written = Directory.GetDirectories(Path.Combine(siteDir, "dicom"));
            Assert.Equal(written.Length, s.GetProperty("n").GetInt32());
            Assert.All(written, w => Assert.True(File.Exists(Path.Combine(w, "SPECT", "NM_RECON.dcm")), w));
            Assert.All(File.ReadAllLines(Path.Combine(siteDir, "manifest.csv")).Skip(1), l => Assert.EndsWith(",NM", l));

            // The site's calibration reached its agent: lesion means are SUV (designed 6-9 SUV); counts would be hundreds.
            var wide = Directory.GetFiles(Path.Combine(siteDir, ".fedrad", "features"), "features.wide.csv", SearchOption.AllDirectories);
            var lines = File.ReadAllLines(Assert.Single(wide));
            var column = Array.IndexOf(lines[0].Split(','), "nm_lesion_stat_mean");
            Assert.True(column >= 0, lines[0][..Math.Min(200, lines[0].Length)]);
            var means = lines.Skip(1).Select(l => double.Parse(l.Split(',')[column], CultureInfo.InvariantCulture)).ToList();
            Assert.Equal(written.Length, means.Count);
            Assert.All(means, m => Assert.InRange(m, 4, 12));
        }
        Assert.Equal(3, report.GetProperty("rounds").GetArrayLength());
        Assert.True(report.GetProperty("pooled").GetProperty("auc").GetDouble() > 0.7, output);
        Assert.True(File.Exists(Path.Combine(dir, "audit.jsonl")));
    }
}
