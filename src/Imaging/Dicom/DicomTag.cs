namespace FedRad.Dicom;

/// <summary>A data element tag (group, element), ordered as DICOM orders elements in a data set.</summary>
public readonly record struct DicomTag(ushort Group, ushort Element) : IComparable<DicomTag>
{
    public uint Value => ((uint)Group << 16) | Element;

    public static DicomTag FromValue(uint value) => new((ushort)(value >> 16), (ushort)value);

    /// <summary>Odd groups are private (PS3.5 7.8).</summary>
    public bool IsPrivate => (Group & 1) == 1;

    /// <summary>(gggg,0010-00FF) in a private group names the creator of block xx.</summary>
    public bool IsPrivateCreator => IsPrivate && Element is >= 0x0010 and <= 0x00FF;

    public int CompareTo(DicomTag other) => Value.CompareTo(other.Value);

    public override string ToString() => $"({Group:x4},{Element:x4})";

    /// <summary>Parses "gggg,eeee", "(gggg,eeee)" or "ggggeeee" (hex).</summary>
    public static DicomTag Parse(string text)
    {
        var t = text.Trim().TrimStart('(').TrimEnd(')').Replace(",", "");
        if (t.Length != 8 || !uint.TryParse(t, System.Globalization.NumberStyles.HexNumber, null, out var v))
            throw new FormatException($"'{text}' is not a DICOM tag (expected gggg,eeee in hex)");
        return FromValue(v);
    }

    // Item and delimiter tags of sequences and encapsulated pixel data (PS3.5 7.5).
    public static readonly DicomTag Item = new(0xFFFE, 0xE000);
    public static readonly DicomTag ItemDelimitation = new(0xFFFE, 0xE00D);
    public static readonly DicomTag SequenceDelimitation = new(0xFFFE, 0xE0DD);
}
