using System.Text.RegularExpressions;
using FedRad.Dicom;

namespace FedRad.Imaging.Tests.Dicom;

/// <summary>
/// The elements dcmdump prints, keyed by their path through sequences ("(0054,0016)[0]/(0018,1072)"), so that our
/// reader's values can be compared one by one with dcmtk's.
/// </summary>
public static partial class DcmdumpOutput
{
    public sealed record Entry(string Path, string VR, string Value);

    [GeneratedRegex(@"^(?<indent> *)\((?<g>[0-9a-f]{4}),(?<e>[0-9a-f]{4})\) (?<vr>\S\S) (?<value>.*?)\s+#\s*(?<len>\S+), *(?<vm>\d+) ")]
    private static partial Regex LineRegex();

    public static List<Entry> Parse(string dump)
    {
        var entries = new List<Entry>();
        var sequenceAt = new Dictionary<int, string>();
        var itemAt = new Dictionary<int, int>();
        var inDataset = false;
        foreach (var raw in dump.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.StartsWith("# Dicom-Data-Set")) inDataset = true;
            if (!inDataset) continue;
            var m = LineRegex().Match(line);
            if (!m.Success) continue;
            var level = m.Groups["indent"].Length / 2;
            var tag = $"({m.Groups["g"].Value},{m.Groups["e"].Value})";
            var vr = m.Groups["vr"].Value;
            if (tag == "(fffe,e000)") { itemAt[level] = itemAt.GetValueOrDefault(level, -1) + 1; continue; }
            if (tag.StartsWith("(fffe,")) continue;
            var prefix = string.Concat(Enumerable.Range(0, level / 2).Select(k => $"{sequenceAt[2 * k]}[{itemAt[2 * k + 1]}]/"));
            if (vr == "SQ")
            {
                sequenceAt[level] = tag;
                itemAt[level + 1] = -1;
            }
            entries.Add(new Entry(prefix + tag, vr, m.Groups["value"].Value));
        }
        return entries;
    }

    /// <summary>Our data set flattened with the same paths.</summary>
    public static Dictionary<string, DicomElement> Flatten(DicomDataset ds, string prefix = "")
    {
        var result = new Dictionary<string, DicomElement>();
        foreach (var e in ds.Elements)
        {
            var path = prefix + e.Tag.ToString().ToLowerInvariant();
            result[path] = e;
            if (e.Items is { } items)
                for (var i = 0; i < items.Count; i++)
                    foreach (var kv in Flatten(items[i], $"{path}[{i}]/")) result[kv.Key] = kv.Value;
        }
        return result;
    }
}
