using FedRad.Dicom;

namespace FedRad.Imaging.Series;

/// <summary>The DICOM files of one series (SeriesInstanceUID) found in a folder.</summary>
public sealed record DicomSeriesFiles(string SeriesInstanceUid, string Modality, string SopClassUid, string? Description, IReadOnlyList<DicomFile> Files)
{
    public override string ToString() => $"{Modality} series {SeriesInstanceUid} ({Files.Count} files{(Description is null ? "" : $", '{Description}'")})";
}

/// <summary>A folder read into series, with every file that could not be used and why.</summary>
public sealed record DicomDirectoryScan(string Root, IReadOnlyList<DicomSeriesFiles> Series, IReadOnlyList<string> Skipped)
{
    /// <summary>The one series of a modality (e.g. "PT", "CT", "RTSTRUCT", "SEG"); an error listing the candidates when there are none or several.</summary>
    public DicomSeriesFiles Single(string modality, string? seriesInstanceUid = null)
    {
        var matches = Series.Where(s => s.Modality == modality && (seriesInstanceUid is null || s.SeriesInstanceUid == seriesInstanceUid)).ToList();
        if (matches.Count == 1) return matches[0];
        var listing = Series.Count == 0 ? "no DICOM series" : string.Join("; ", Series);
        var skipped = Skipped.Count == 0 ? "" : $" ({Skipped.Count} files skipped, first: {Skipped[0]})";
        throw new ImageFormatException(Root, -1, matches.Count == 0
            ? $"no {modality} series{(seriesInstanceUid is null ? "" : $" {seriesInstanceUid}")} here; found {listing}{skipped}"
            : $"{matches.Count} {modality} series here, choose one by SeriesInstanceUID: {string.Join("; ", matches)}");
    }
}

/// <summary>Reads every file under a folder (or one file) and groups the DICOM ones by SeriesInstanceUID.</summary>
public static class DicomDirectory
{
    public static DicomDirectoryScan Scan(string path, IProgress<(int Done, int Total)>? progress = null)
    {
        string[] files;
        if (File.Exists(path)) files = [path];
        else if (Directory.Exists(path)) files = Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray();
        else throw new ImageFormatException(path, -1, "no such file or folder");

        var read = new DicomFile?[files.Length];
        var errors = new string?[files.Length];
        var done = 0;
        Parallel.For(0, files.Length, i =>
        {
            try { read[i] = DicomReader.Read(files[i]); }
            catch (DicomFormatException e) { errors[i] = e.Message; }
            progress?.Report((Interlocked.Increment(ref done), files.Length));
        });

        var skipped = new List<string>();
        var groups = new Dictionary<string, List<DicomFile>>(StringComparer.Ordinal);
        for (var i = 0; i < files.Length; i++)
        {
            if (read[i] is not { } f) { skipped.Add(errors[i]!); continue; }
            var uid = f.Dataset.GetString(DicomTags.SeriesInstanceUID);
            if (uid is null) { skipped.Add($"{files[i]}: no SeriesInstanceUID (0020,000E)"); continue; }
            if (!groups.TryGetValue(uid, out var list)) groups[uid] = list = [];
            list.Add(f);
        }
        var series = groups.Select(g =>
        {
            var first = g.Value[0].Dataset;
            return new DicomSeriesFiles(g.Key, first.GetString(DicomTags.Modality) ?? "", first.GetString(DicomTags.SOPClassUID) ?? "",
                first.GetString(DicomTags.SeriesDescription), g.Value);
        }).OrderBy(s => s.Modality, StringComparer.Ordinal).ThenBy(s => s.SeriesInstanceUid, StringComparer.Ordinal).ToList();
        return new DicomDirectoryScan(path, series, skipped);
    }
}
