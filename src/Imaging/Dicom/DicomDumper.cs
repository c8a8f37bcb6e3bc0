using System.Globalization;
using System.Text;

namespace FedRad.Dicom;

/// <summary>
/// Prints a file the way dcmdump does: one line per element, "(gggg,eeee) VR value  # length, VM Name", sequences
/// and items indented, binary values in hex, long values shortened unless <c>full</c> is set.
/// </summary>
public static class DicomDumper
{
    private const int MaxShortValue = 64;

    public static string Dump(DicomFile file, bool full = false)
    {
        var sb = new StringBuilder();
        Dump(file, new StringWriter(sb), full);
        return sb.ToString();
    }

    public static void Dump(DicomFile file, TextWriter w, bool full = false)
    {
        w.WriteLine("# Dicom-File-Format");
        if (file.FileMeta.Count > 0)
        {
            w.WriteLine();
            w.WriteLine("# Dicom-Meta-Information-Header");
            w.WriteLine("# Used TransferSyntax: Little Endian Explicit");
            DumpDataset(file.FileMeta, w, 0, full);
        }
        w.WriteLine();
        w.WriteLine("# Dicom-Data-Set");
        w.WriteLine($"# Used TransferSyntax: {file.TransferSyntax.Name}");
        DumpDataset(file.Dataset, w, 0, full);
        foreach (var warning in file.Warnings) w.WriteLine($"# Warning: {warning}");
    }

    private static void DumpDataset(DicomDataset ds, TextWriter w, int depth, bool full)
    {
        foreach (var e in ds.Elements) DumpElement(ds, e, w, depth, full);
    }

    private static void DumpElement(DicomDataset ds, DicomElement e, TextWriter w, int depth, bool full)
    {
        var indent = new string(' ', 2 * depth);
        var name = Name(ds, e.Tag);
        if (e.Items is { } items)
        {
            Line(w, indent, e.Tag, "SQ", $"(Sequence with {(e.UndefinedLength ? "undefined" : "explicit")} length #={items.Count})",
                e.UndefinedLength ? "u/l" : "-", 1, name);
            foreach (var item in items)
            {
                Line(w, indent + "  ", DicomTag.Item, "na", $"(Item with #={item.Count})", "-", 1, "Item");
                DumpDataset(item, w, depth + 2, full);
                Line(w, indent + "  ", DicomTag.ItemDelimitation, "na", "(ItemDelimitationItem)", "0", 0, "ItemDelimitationItem");
            }
            Line(w, indent, DicomTag.SequenceDelimitation, "na", "(SequenceDelimitationItem)", "0", 0, "SequenceDelimitationItem");
            return;
        }
        if (e.Fragments is { } frags)
        {
            Line(w, indent, e.Tag, e.VR.ToString(), $"(PixelSequence #={frags.Fragments.Count + 1})", "u/l", 1, name);
            Line(w, indent + "  ", DicomTag.Item, "pi", Hex(frags.BasicOffsetTable.Span, 4, full), frags.BasicOffsetTable.Length.ToString(CultureInfo.InvariantCulture), 1, "Item");
            foreach (var f in frags.Fragments)
                Line(w, indent + "  ", DicomTag.Item, "pi", Hex(f.Span, 1, full), f.Length.ToString(CultureInfo.InvariantCulture), 1, "Item");
            Line(w, indent, DicomTag.SequenceDelimitation, "na", "(SequenceDelimitationItem)", "0", 0, "SequenceDelimitationItem");
            return;
        }
        string value;
        if (e.Value.Length == 0) value = "(no value available)";
        else if (e.VR.IsString())
        {
            var s = e.GetString();
            value = $"[{(full || s.Length <= MaxShortValue ? s : s[..MaxShortValue] + "...")}]";
        }
        else if (e.VR is DicomVR.OB or DicomVR.UN) value = Hex(e.Value.Span, 1, full, e.BigEndian);
        else if (e.VR is DicomVR.OW) value = Hex(e.Value.Span, 2, full, e.BigEndian);
        else if (e.VR is DicomVR.AT)
            value = string.Join('\\', e.GetNumbers().Select(v => DicomTag.FromValue((uint)v).ToString()));
        else
        {
            var numbers = e.GetNumbers();
            var shown = full ? numbers : numbers.Take(16).ToArray();
            value = string.Join('\\', shown.Select(v => v.ToString("G9", CultureInfo.InvariantCulture))) + (shown.Length < numbers.Length ? "..." : "");
        }
        Line(w, indent, e.Tag, e.VR.ToString(), value, e.Value.Length.ToString(CultureInfo.InvariantCulture), e.Multiplicity, name);
    }

    private static string Name(DicomDataset ds, DicomTag tag)
    {
        if (tag.IsPrivateCreator) return "PrivateCreator";
        if (tag.IsPrivate)
        {
            var creator = ds.PrivateCreatorOf(tag);
            return creator is not null && DicomDictionary.FindPrivate(creator, tag.Group, (byte)tag.Element) is { } p ? p.Keyword : "Unknown Tag & Data";
        }
        return DicomDictionary.Find(tag)?.Keyword ?? "Unknown Tag & Data";
    }

    private static void Line(TextWriter w, string indent, DicomTag tag, string vr, string value, string length, int vm, string name)
    {
        var left = $"{indent}{tag} {vr} {value}";
        w.WriteLine($"{left.PadRight(indent.Length + 52)} # {length,3}, {vm} {name}");
    }

    private static string Hex(ReadOnlySpan<byte> bytes, int width, bool full, bool bigEndian = false)
    {
        var count = bytes.Length / width;
        var shown = full ? count : Math.Min(count, MaxShortValue / (2 * width + 1));
        var sb = new StringBuilder();
        for (var i = 0; i < shown; i++)
        {
            if (i > 0) sb.Append('\\');
            if (width == 1) sb.Append(bytes[i].ToString("x2", CultureInfo.InvariantCulture));
            else
            {
                var s = bytes.Slice(width * i, width);
                var v = width == 2
                    ? (bigEndian ? System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(s) : System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(s))
                    : System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(s);
                sb.Append(v.ToString(width == 2 ? "x4" : "x8", CultureInfo.InvariantCulture));
            }
        }
        if (shown < count) sb.Append("...");
        return sb.ToString();
    }
}
