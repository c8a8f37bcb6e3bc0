using System.Formats.Tar;
using System.IO.Compression;

namespace FedRad.Imaging.Tests.Pet;

/// <summary>The IBSI SUV DROs, unpacked once per test run from tests/data/suv-dro/suv-dro.tar.gz.</summary>
public static class SuvDro
{
    private static readonly Lazy<string> Root = new(() =>
    {
        var dir = Directory.CreateTempSubdirectory("fedrad-suv-dro-").FullName;
        using var file = File.OpenRead(TestData.Path("suv-dro", "suv-dro.tar.gz"));
        using var gz = new GZipStream(file, CompressionMode.Decompress);
        TarFile.ExtractToDirectory(gz, dir, overwriteFiles: true);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => { try { Directory.Delete(dir, true); } catch (IOException) { } };
        return dir;
    });

    public static string Path(string dro, params string[] parts) => System.IO.Path.Combine([Root.Value, dro, .. parts]);

    /// <summary>(ID, description, expected min, median, max) from DRO_list.csv.</summary>
    public static IEnumerable<(string Id, string Description, double Min, double Median, double Max)> List() =>
        File.ReadAllLines(TestData.Path("suv-dro", "DRO_list.csv")).Skip(1).Select(l =>
        {
            var p = l.Split("\",\"").Select(s => s.Trim('"')).ToArray();
            double D(string s) => double.Parse(s.Split('"')[0], System.Globalization.CultureInfo.InvariantCulture);
            return (p[1], p[2], D(p[3]), D(p[4]), D(p[5]));
        });
}
