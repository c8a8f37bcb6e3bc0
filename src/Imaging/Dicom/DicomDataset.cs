using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace FedRad.Dicom;

/// <summary>
/// A data set (or sequence item): elements in tag order with typed accessors. Getters return null when the element
/// is absent or empty, so that "missing" is never confused with a value.
/// </summary>
public sealed class DicomDataset
{
    private readonly SortedList<uint, DicomElement> _elements = new();

    /// <summary>Character set in force: this data set's (0008,0005), else the enclosing data set's.</summary>
    public CharacterSet CharacterSet { get; internal set; } = CharacterSet.Default;

    /// <summary>Byte offset of the item (or data set) start in the file; -1 when built in memory.</summary>
    public long Offset { get; init; } = -1;

    public IEnumerable<DicomElement> Elements => _elements.Values;
    public int Count => _elements.Count;

    public bool Contains(DicomTag tag) => _elements.ContainsKey(tag.Value);

    public DicomElement? Get(DicomTag tag) => _elements.GetValueOrDefault(tag.Value);

    /// <summary>Adds or replaces an element.</summary>
    public DicomDataset Set(DicomElement element)
    {
        _elements[element.Tag.Value] = element;
        if (element.Tag == DicomTags.SpecificCharacterSet) CharacterSet = CharacterSet.FromTerms(element.GetStrings());
        return this;
    }

    /// <summary>Adds an element read from a file; returns false (keeping the first) when the tag is already present.</summary>
    internal bool TryAddRead(DicomElement element)
    {
        if (!_elements.TryAdd(element.Tag.Value, element)) return false;
        if (element.Tag == DicomTags.SpecificCharacterSet) CharacterSet = CharacterSet.FromTerms(element.GetStrings());
        return true;
    }

    public bool Remove(DicomTag tag) => _elements.Remove(tag.Value);

    public string? GetString(DicomTag tag)
    {
        var e = Get(tag);
        if (e is null || e.IsSequence || e.Fragments is not null) return null;
        var s = e.GetString();
        return s.Length == 0 ? null : s;
    }

    public string[] GetStrings(DicomTag tag) => Get(tag) is { IsSequence: false, Fragments: null } e ? e.GetStrings() : [];

    public double? GetDouble(DicomTag tag, int index = 0)
    {
        var v = GetDoubles(tag);
        return index < v.Length ? v[index] : null;
    }

    /// <summary>Numeric values; throws <see cref="FormatException"/> naming the tag when a DS/IS value is not a number.</summary>
    public double[] GetDoubles(DicomTag tag) => Get(tag) is { IsSequence: false, Fragments: null } e ? e.GetNumbers() : [];

    /// <summary>An integer value; throws <see cref="FormatException"/> naming the tag when it is not a whole number in int range.</summary>
    public int? GetInt(DicomTag tag, int index = 0)
    {
        if (GetDouble(tag, index) is not { } d) return null;
        if (!(d >= int.MinValue && d <= int.MaxValue) || Math.Abs(d - Math.Round(d)) > 1e-6)
            throw new FormatException($"{tag}: value {d} is not an integer in range");
        return (int)Math.Round(d);
    }

    public IReadOnlyList<DicomDataset> GetSequence(DicomTag tag) => Get(tag)?.Items ?? [];

    /// <summary>First item of a sequence, or null.</summary>
    public DicomDataset? GetItem(DicomTag tag) => GetSequence(tag) is { Count: > 0 } items ? items[0] : null;

    /// <summary>
    /// A private element by creator: finds the block (gggg,00xx) whose value is <paramref name="creator"/> and returns
    /// element (gggg,xx<paramref name="offset"/>) (PS3.5 7.8.1).
    /// </summary>
    public DicomElement? GetPrivate(ushort group, string creator, byte offset)
    {
        for (ushort block = 0x10; block <= 0xFF; block++)
        {
            var c = Get(new DicomTag(group, block));
            if (c is not null && string.Equals(c.GetString(), creator, StringComparison.Ordinal))
                return Get(new DicomTag(group, (ushort)((block << 8) | offset)));
        }
        return null;
    }

    /// <summary>The creator string of the private block that holds <paramref name="tag"/>, if declared.</summary>
    public string? PrivateCreatorOf(DicomTag tag) =>
        tag.IsPrivate && tag.Element >= 0x1000 ? GetString(new DicomTag(tag.Group, (ushort)(tag.Element >> 8))) : null;

    // ---- Building data sets to write (explicit VR little endian) ----

    public DicomDataset Add(DicomTag tag, DicomVR vr, params string[] values)
    {
        var text = string.Join('\\', values);
        var bytes = vr.UsesCharacterSet() ? CharacterSet.Encoding.GetBytes(text) : Encoding.ASCII.GetBytes(text);
        return Set(new DicomElement(tag, vr, Pad(bytes, vr), characterSet: CharacterSet));
    }

    public DicomDataset Add(DicomTag tag, params string[] values) => Add(tag, VROf(tag), values);

    /// <summary>Numbers: DS/IS as text (DS with up to 16 characters), binary VRs little endian.</summary>
    public DicomDataset AddNumbers(DicomTag tag, DicomVR vr, params double[] values)
    {
        if (vr is DicomVR.DS) return Add(tag, vr, values.Select(FormatDS).ToArray());
        if (vr is DicomVR.IS) return Add(tag, vr, values.Select(v => ((long)Math.Round(v)).ToString(CultureInfo.InvariantCulture)).ToArray());
        var size = vr.BinarySize();
        if (size == 0) throw new ArgumentException($"{vr} is not a numeric VR", nameof(vr));
        var bytes = new byte[size * values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            var s = bytes.AsSpan(i * size, size);
            switch (vr)
            {
                case DicomVR.US: BinaryPrimitives.WriteUInt16LittleEndian(s, checked((ushort)values[i])); break;
                case DicomVR.SS: BinaryPrimitives.WriteInt16LittleEndian(s, checked((short)values[i])); break;
                case DicomVR.UL: BinaryPrimitives.WriteUInt32LittleEndian(s, checked((uint)values[i])); break;
                case DicomVR.SL: BinaryPrimitives.WriteInt32LittleEndian(s, checked((int)values[i])); break;
                case DicomVR.FL: BinaryPrimitives.WriteSingleLittleEndian(s, (float)values[i]); break;
                case DicomVR.FD: BinaryPrimitives.WriteDoubleLittleEndian(s, values[i]); break;
                case DicomVR.AT:
                    var t = DicomTag.FromValue(checked((uint)values[i]));
                    BinaryPrimitives.WriteUInt16LittleEndian(s, t.Group);
                    BinaryPrimitives.WriteUInt16LittleEndian(s[2..], t.Element);
                    break;
                default: throw new ArgumentException($"{vr} numbers are not written by FedRad", nameof(vr));
            }
        }
        return Set(new DicomElement(tag, vr, bytes));
    }

    public DicomDataset AddNumbers(DicomTag tag, params double[] values) => AddNumbers(tag, VROf(tag), values);

    public DicomDataset AddBytes(DicomTag tag, DicomVR vr, byte[] bytes) => Set(new DicomElement(tag, vr, Pad(bytes, vr)));

    public DicomDataset AddSequence(DicomTag tag, params DicomDataset[] items)
    {
        foreach (var item in items)
            if (!item.Contains(DicomTags.SpecificCharacterSet)) item.CharacterSet = CharacterSet;
        return Set(new DicomElement(tag, items));
    }

    private static DicomVR VROf(DicomTag tag) =>
        DicomDictionary.Find(tag)?.VR ?? throw new ArgumentException($"{tag} is not in the dictionary; give its VR");

    /// <summary>DS holds at most 16 characters (PS3.5 6.2): use the shortest round-trip form that fits.</summary>
    public static string FormatDS(double v)
    {
        if (!double.IsFinite(v)) throw new ArgumentException($"DS cannot hold {v}");
        var s = v.ToString("R", CultureInfo.InvariantCulture);
        for (var digits = 15; s.Length > 16 && digits > 0; digits--)
            s = v.ToString("G" + digits, CultureInfo.InvariantCulture);
        return s;
    }

    private static byte[] Pad(byte[] bytes, DicomVR vr)
    {
        if (bytes.Length % 2 == 0) return bytes;
        var padded = new byte[bytes.Length + 1];
        bytes.CopyTo(padded, 0);
        padded[^1] = vr.PaddingByte();
        return padded;
    }
}
