using System.Diagnostics;
using System.Text.Json;
using FedRad.Imaging.Nifti;
using FedRad.Shared.Tensors;

namespace FedRad.IntegrationTests;

/// <summary>
/// `fedrad demo --model cnn` as a user runs it, as its own process started through scripts/torchsharp-runtime.sh (on
/// hosts whose libstdc++ is too old for TorchSharp, e.g. Debian 12, that is the only way it runs): synthetic PET/CT
/// DICOM lesions, an initial CNN made by the CLI and uploaded, federated training at the sites, pooled AUC on held-out
/// patients, and the Grad-CAM maps kept at the sites.
/// </summary>
public sealed class DeepDemoTests
{
    [Fact]
    public async Task The_cnn_demo_learns_lesion_heterogeneity_across_sites_judged_on_held_out_patients_and_keeps_the_gradcam_maps_at_the_sites()
    {
        var dir = Directory.CreateTempSubdirectory("fedrad-cnn-demo-").FullName;
        var (code, output) = await RunThroughTorchRuntime(TimeSpan.FromMinutes(8), "demo", "--model", "cnn", "--sites", "2", "--rounds", "8", "--out", dir);
        Assert.True(code == 0, output);

        var report = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(dir, "report.json"))).RootElement;
        Assert.Equal("completed", report.GetProperty("state").GetString());
        var pooledAuc = report.GetProperty("pooled").GetProperty("auc").GetDouble();
        Assert.True(pooledAuc >= 0.8, $"pooled AUC {pooledAuc}\n{output}");
        // No standardisation round for a deep model: round 1 trains from the uploaded initial model.
        Assert.Contains("initial model: cnn-early", output);
        Assert.Equal(8, report.GetProperty("rounds").GetArrayLength());

        // Every site wrote one Grad-CAM map per evaluated patient, on a 16³ patch, scaled to [0, 1].
        var heatmapBytes = new List<byte[]>();
        foreach (var site in report.GetProperty("sites").EnumerateArray())
        {
            var id = site.GetProperty("id").GetString()!;
            // The evaluation measured the held-out patients only (outcomes.csv split = test), never a training lesion.
            var heldOut = File.ReadLines(Path.Combine(dir, "sites", id, "outcomes.csv")).Count(l => l.EndsWith(",test", StringComparison.Ordinal));
            Assert.True(heldOut >= 10, $"{id}: {heldOut} held-out patients");
            Assert.Equal(heldOut, site.GetProperty("n").GetInt32());
            var maps = Directory.GetFiles(Path.Combine(dir, "sites", id, ".fedrad", "gradcam", "demo"), "*.nii");
            Assert.Equal(site.GetProperty("n").GetInt32(), maps.Length);
            var read = maps.Select(NiftiReader.Read).ToList();
            Assert.All(read, m => Assert.Equal((16, 16, 16), (m.Grid.SizeX, m.Grid.SizeY, m.Grid.SizeZ)));
            Assert.All(read, m => Assert.All(m.Voxels, v => Assert.InRange(v, 0f, 1f)));
            // A map is all zero where no feature raised the logit; the others peak at 1.
            var nonZero = read.Where(m => m.Voxels.Max() > 0).ToList();
            Assert.True(nonZero.Count > maps.Length / 2, $"{id}: only {nonZero.Count} of {maps.Length} maps are non-zero");
            Assert.All(nonZero, m => Assert.Equal(1f, m.Voxels.Max()));
            heatmapBytes.AddRange(nonZero.Select(m => HeatmapVoxelBytes(m.Voxels)));
        }

        // Nothing the coordinator received holds a map: every blob is a tensor bundle of model weights or of the
        // 100-bin score histograms, and no blob contains any map's voxel bytes.
        var blobs = Directory.GetFiles(Path.Combine(dir, "blobs"), "*", SearchOption.AllDirectories);
        Assert.NotEmpty(blobs);
        foreach (var blob in blobs)
        {
            var bytes = await File.ReadAllBytesAsync(blob);
            var bundle = TensorCodec.Deserialize(bytes);
            Assert.All(bundle.Tensors, t => Assert.True(
                t.Name.Contains('.') || t.Shape is [100], $"{blob}: unexpected tensor '{t.Name}' {t.ShapeText}"));
            foreach (var map in heatmapBytes)
                Assert.True(bytes.AsSpan().IndexOf(map) < 0, $"{blob} contains a Grad-CAM map's voxels");
        }
        // About 90 MB of DICOM; kept when the test fails, for a look.
        Directory.Delete(dir, recursive: true);
    }

    /// <summary>The float32 bytes of a map's hottest 64 voxels' run: a stretch that would appear in any copy of it.</summary>
    private static byte[] HeatmapVoxelBytes(float[] voxels)
    {
        var start = Math.Clamp(Array.IndexOf(voxels, voxels.Max()) - 32, 0, voxels.Length - 64);
        return System.Runtime.InteropServices.MemoryMarshal.AsBytes(voxels.AsSpan(start, 64)).ToArray();
    }

    /// <summary>Runs the fedrad apphost through scripts/torchsharp-runtime.sh (natively where the host's libstdc++ suffices).</summary>
    private static async Task<(int ExitCode, string Output)> RunThroughTorchRuntime(TimeSpan timeout, params string[] args)
    {
        var script = RepoFile("scripts/torchsharp-runtime.sh");
        var psi = new ProcessStartInfo(script) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "run", Path.Combine(AppContext.BaseDirectory, "fedrad") }.Concat(args)) psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_gcServer"] = "0";
        using var process = new Process { StartInfo = psi };
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) output.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) output.Enqueue(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var cts = new CancellationTokenSource(timeout);
        try { await process.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"fedrad {string.Join(' ', args)} did not finish within {timeout}:\n{string.Join('\n', output)}");
        }
        process.WaitForExit();
        return (process.ExitCode, string.Join('\n', output));
    }

    private static string RepoFile(string relative)
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, relative))) return Path.Combine(d.FullName, relative);
        throw new FileNotFoundException($"{relative} not found above {AppContext.BaseDirectory}");
    }
}
