using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using FedRad.Dicom;
using FedRad.Imaging.Pet;
using FedRad.Imaging.Series;

namespace FedRad.Benchmarks.Imaging;

/// <summary>
/// Loading the 267-slice GE whole-body PET series (tests/data/dicom/pet_sts001_wholebody/PET, 128x128, implicit VR,
/// 8.9 MB) into a volume and into SUVbw, beside a plain read of the same files' bytes measured in the same run (same
/// parallelism as the loader, and one thread). Files are in the OS page cache after the first iteration: this is the
/// warm-cache case, where the reader's own cost shows. MB/s = file bytes / mean time.
/// Run: dotnet run -c Release --project bench/FedRad.Benchmarks -- --filter '*PetSeriesLoadBenchmarks*'
/// </summary>
[MemoryDiagnoser]
[Config(typeof(ThroughputConfig))]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 15)]
public class PetSeriesLoadBenchmarks
{
    internal static readonly string Folder = Path.Combine(FindRepo(), "tests", "data", "dicom", "pet_sts001_wholebody", "PET");
    internal static readonly string[] Files = Directory.GetFiles(Folder).Order(StringComparer.Ordinal).ToArray();
    internal static readonly long TotalBytes = Files.Sum(f => new FileInfo(f).Length);

    [Benchmark(Baseline = true, Description = "plain read of the bytes (parallel)")]
    public long PlainReadParallel()
    {
        long total = 0;
        Parallel.For(0, Files.Length, i => Interlocked.Add(ref total, File.ReadAllBytes(Files[i]).Length));
        return total;
    }

    [Benchmark(Description = "plain read of the bytes (1 thread)")]
    public long PlainReadSequential() => Files.Sum(f => (long)File.ReadAllBytes(f).Length);

    [Benchmark(Description = "parse every file (1 thread)")]
    public int ParseSequential() => Files.Sum(f => DicomReader.Read(f).Dataset.Count);

    [Benchmark(Description = "series -> volume (Bq/ml)")]
    public float LoadVolume() => DicomSeriesReader.Load(Folder, "PT").Image.Voxels[1000];

    [Benchmark(Description = "series -> SUVbw volume")]
    public float LoadSuv() => PetSeries.Load(Folder).Suv.Voxels[1000];

    private static string FindRepo()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "FedRad.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("FedRad.sln not found above the benchmark binary");
    }

    private sealed class ThroughputConfig : ManualConfig
    {
        public ThroughputConfig() => AddColumn(new ThroughputColumn());
    }

    /// <summary>File bytes per second of mean time.</summary>
    private sealed class ThroughputColumn : IColumn
    {
        public string Id => "MBps";
        public string ColumnName => "MB/s";
        public bool AlwaysShow => true;
        public ColumnCategory Category => ColumnCategory.Custom;
        public int PriorityInCategory => 0;
        public bool IsNumeric => true;
        public UnitType UnitType => UnitType.Dimensionless;
        public string Legend => $"file bytes ({TotalBytes / 1e6:0.0} MB, {Files.Length} files) per second of mean time";
        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
        public bool IsAvailable(Summary summary) => true;
        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);
        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            var report = summary[benchmarkCase];
            if (report?.ResultStatistics is not { } stats) return "-";
            return (TotalBytes / 1e6 / (stats.Mean / 1e9)).ToString("0", System.Globalization.CultureInfo.InvariantCulture);
        }
    }
}
