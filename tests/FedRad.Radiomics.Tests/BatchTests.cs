using FedRad.Radiomics.Batch;
using FedRad.Radiomics.Output;
using FedRad.Radiomics.Settings;

namespace FedRad.Radiomics.Tests;

/// <summary>Cohort extraction from a manifest: parallel, cached, resumable, failures reported per line.</summary>
public sealed class BatchTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fedrad-batch-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // Each row gets its own copy of the phantom (the cache is keyed by content, so identical inputs would share an entry).
    private string Manifest(params string[] lines)
    {
        var path = Path.Combine(_dir, "cohort.csv");
        var copies = lines.Select((l, i) =>
        {
            var image = Path.Combine(_dir, $"image{i}.nii.gz");
            var mask = Path.Combine(_dir, $"mask{i}.nii.gz");
            File.Copy(TestData.Path("ibsi-digital-phantom", "nifti", "image", "phantom.nii.gz"), image);
            File.Copy(TestData.Path("ibsi-digital-phantom", "nifti", "mask", "mask.nii.gz"), mask);
            return l.Replace("IMG", Path.GetFileName(image)).Replace("MSK", Path.GetFileName(mask)); // relative to the manifest
        });
        File.WriteAllLines(path, ["patient_id,image,mask,modality,timepoint", .. copies]);
        return path;
    }

    [Fact]
    public async Task BatchWritesLongAndWideOutputsReportsFailuresAndResumesFromCache()
    {
        var manifest = Manifest("P1,IMG,MSK,CT,baseline", "P1,IMG,MSK,PT,baseline", "P2,IMG,MSK,CT,baseline", "P3,missing.nii.gz,MSK,CT,baseline", "P1,IMG,MSK,CT,followup");
        var rows = BatchExtractor.ReadManifest(manifest);
        var settings = SettingsLoader.Load(TestData.Config("ibsi-digital-phantom.yaml"));
        var outPath = Path.Combine(_dir, "features.csv");

        // Interrupt after the first finished ROI (one worker), then run again: only the rest is computed.
        using var cts = new CancellationTokenSource();
        var progress = new SyncProgress(p => { if (p.Done == 1) cts.Cancel(); });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => BatchExtractor.RunAsync(rows, settings, outPath, new BatchOptions(1), progress, cts.Token));
        Assert.Single(Directory.GetFiles(outPath + ".cache", "*.csv"));

        var result = await BatchExtractor.RunAsync(rows, settings, outPath, new BatchOptions(2), null, CancellationToken.None);
        Assert.Equal(1, result.FromCache);
        Assert.Equal(3, result.Computed);
        var failure = Assert.Single(result.Failures);
        Assert.Equal(5, failure.Row.Line);
        Assert.Contains("missing.nii.gz", failure.Error);
        Assert.Contains("missing.nii.gz", File.ReadAllText(outPath + ".errors.csv"));

        var longLines = File.ReadAllLines(outPath);
        Assert.Equal("patient_id,timepoint,modality,roi,feature,ibsi_code,aggregation_code,value", longLines[0]);
        Assert.Equal(0, (longLines.Length - 1) % 4); // four ROIs, each with the same number of values
        Assert.Contains(longLines, l => l.StartsWith("P2,baseline,CT,,glcm_joint_max,GYBY,IAZD,"));

        var wide = File.ReadAllLines(result.WidePath);
        Assert.Equal(4, wide.Length); // header + (P1, baseline) + (P2, baseline) + (P1, followup)
        var header = wide[0].Split(',');
        Assert.Contains("ct_glcm_joint_max_3d_mrg", header);
        Assert.Contains("pt_glcm_joint_max_3d_mrg", header);

        // A third run computes nothing: everything that succeeded is cached, and the outputs are the same.
        var again = await BatchExtractor.RunAsync(rows, settings, outPath, new BatchOptions(2), null, CancellationToken.None);
        Assert.Equal((0, 4), (again.Computed, again.FromCache));
        Assert.Equal(longLines, File.ReadAllLines(outPath));
    }

    [Fact]
    public async Task AlignedModalitiesShareTheReferenceGridAndDeltaComparesTimepoints()
    {
        var manifest = Manifest("P1,IMG,MSK,CT,t0", "P1,IMG,MSK,PT,t0", "P1,IMG,MSK,CT,t1", "P1,IMG,MSK,PT,t1", "P2,IMG,MSK,CT,t0");
        var rows = BatchExtractor.ReadManifest(manifest);
        var settings = SettingsLoader.Load(TestData.Config("ibsi-digital-phantom.yaml"));
        var outPath = Path.Combine(_dir, "aligned.csv");
        var result = await BatchExtractor.RunAsync(rows, settings, outPath, new BatchOptions(2, "PT", ("t0", "t1")), null, CancellationToken.None);
        // P1/t0 and P1/t1 are PT+CT units; P2 has no PT row to align to and fails with that reason.
        Assert.Equal(2, result.Computed);
        var failure = Assert.Single(result.Failures);
        Assert.Contains("no PT row", failure.Error);

        var wide = File.ReadAllLines(result.WidePath);
        Assert.Equal(3, wide.Length);
        var header = wide[0].Split(',').ToList();
        var row = wide[1].Split(',');
        double Cell(string column) => double.Parse(row[header.IndexOf(column)], System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(556.333, Cell("pt_morph_volume"), 3);
        Assert.Equal(Cell("pt_morph_volume"), Cell("ct_morph_volume"));

        var delta = File.ReadAllLines(result.DeltaPath!);
        Assert.Equal(2, delta.Length); // header + P1
        var dh = delta[0].Split(',').ToList();
        var dr = delta[1].Split(',');
        Assert.Equal("0", dr[dh.IndexOf("delta_diff_pt_morph_volume")]);
        Assert.Equal("0", dr[dh.IndexOf("delta_rel_ct_glcm_joint_max_3d_avg")]);
    }

    [Fact]
    public void ManifestErrorsNameTheLine()
    {
        var path = Path.Combine(_dir, "bad.csv");
        File.WriteAllLines(path, ["patient_id,image,mask,modality", "P1,a.nii,b.nii,MR"]);
        var e = Assert.Throws<InvalidDataException>(() => BatchExtractor.ReadManifest(path));
        Assert.Contains("line 2", e.Message);
        Assert.Contains("MR", e.Message);
        File.WriteAllLines(path, ["patient_id,image"]);
        Assert.Contains("'mask'", Assert.Throws<InvalidDataException>(() => BatchExtractor.ReadManifest(path)).Message);
    }

    /// <summary>Reports synchronously (Progress&lt;T&gt; would post to the thread pool and race the cancellation).</summary>
    private sealed class SyncProgress(Action<BatchProgress> report) : IProgress<BatchProgress>
    {
        public void Report(BatchProgress value) => report(value);
    }
}
