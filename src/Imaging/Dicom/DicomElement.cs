using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace FedRad.Dicom;

/// <summary>
/// One data element as read (or built for writing). Values stay as the file's bytes, in the file's byte order;
/// the accessors decode them. A sequence holds <see cref="Items"/>, encapsulated pixel data holds <see cref="Fragments"/>.
/// </summary>
public sealed class DicomElement
{
    public DicomTag Tag { get; }
    public DicomVR VR { get; }
    public ReadOnlyMemory<byte> Value { get; }
    public bool BigEndian { get; }
    /// <summary>Byte offset of the element's tag in the file (or in the inflated stream of a deflated file); -1 when built in memory.</summary>
    public long Offset { get; }
    /// <summary>True when the length field was undefined (0xFFFFFFFF).</summary>
    public bool UndefinedLength { get; }
    public IReadOnlyList<DicomDataset>? Items { get; }
    /// <summary>Encapsulated pixel data: the Basic Offset Table (first item) and the fragments after it.</summary>
    public EncapsulatedPixelData? Fragments { get; }
    /// <summary>The character set in force where the element was read (for SH/LO/ST/LT/UC/UT/PN).</summary>
    public CharacterSet CharacterSet { get; }

    public DicomElement(DicomTag tag, DicomVR vr, ReadOnlyMemory<byte> value, bool bigEndian = false, long offset = -1,
        CharacterSet? characterSet = null, bool undefinedLength = false)
    {
        Tag = tag; VR = vr; Value = value; BigEndian = bigEndian; Offset = offset; UndefinedLength = undefinedLength;
        CharacterSet = characterSet ?? CharacterSet.Default;
    }

    public DicomElement(DicomTag tag, IReadOnlyList<DicomDataset> items, long offset = -1, bool undefinedLength = false)
    {
        Tag = tag; VR = DicomVR.SQ; Items = items; Offset = offset; UndefinedLength = undefinedLength; CharacterSet = CharacterSet.Default;
    }

    public DicomElement(DicomTag tag, DicomVR vr, EncapsulatedPixelData fragments, long offset = -1)
    {
        Tag = tag; VR = vr; Fragments = fragments; Offset = offset; UndefinedLength = true; CharacterSet = CharacterSet.Default;
    }

    public bool IsSequence => Items is not null;

    /// <summary>The whole value as text, without trailing padding (spaces and NULs). Binary values are formatted.</summary>
    public string GetString()
    {
        if (VR.IsString() || VR == DicomVR.UN)
        {
            var span = Value.Span;
            var text = VR.UsesCharacterSet() ? CharacterSet.Decode(span) : Encoding.Latin1.GetString(span);
            // Leading spaces are significant only for LT/ST/UT (PS3.5 6.2); trailing padding never is.
            text = text.TrimEnd(' ', '\0');
            return VR.IsSingleValuedText() ? text : text.TrimStart(' ');
        }
        return string.Join('\\', GetNumbers().Select(v => v.ToString(CultureInfo.InvariantCulture)));
    }

    /// <summary>The values of a multi-valued string element, each trimmed (backslash-separated, PS3.5 6.4).</summary>
    public string[] GetStrings()
    {
        if (VR.IsSingleValuedText()) return [GetString()];
        if (!VR.IsString() && VR != DicomVR.UN) return GetNumbers().Select(v => v.ToString(CultureInfo.InvariantCulture)).ToArray();
        var text = VR.UsesCharacterSet() ? CharacterSet.Decode(Value.Span) : Encoding.Latin1.GetString(Value.Span);
        if (text.TrimEnd(' ', '\0').Length == 0) return [];
        return text.Split('\\').Select(s => s.Trim(' ', '\0')).ToArray();
    }

    /// <summary>Numeric values: DS/IS text parsed, binary VRs decoded in the file's byte order. UN is tried as text.</summary>
    public double[] GetNumbers()
    {
        // A public tag stored as UN (e.g. after a conversion by a tool that did not know it) is decoded with its dictionary VR.
        var vr = VR == DicomVR.UN && !Tag.IsPrivate && DicomDictionary.Find(Tag) is { } known ? known.VR : VR;
        var size = vr.BinarySize();
        if (size == 0)
        {
            if (!(vr.IsString() || vr == DicomVR.UN)) return [];
            var parts = GetStrings();
            var values = new double[parts.Length];
            for (var i = 0; i < parts.Length; i++)
                if (!double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]))
                    throw new FormatException($"{Tag} {VR}: value '{parts[i]}' is not a number");
            return values;
        }
        var span = Value.Span;
        var n = span.Length / size;
        var result = new double[n];
        for (var i = 0; i < n; i++)
        {
            var s = span.Slice(i * size, size);
            result[i] = vr switch
            {
                DicomVR.US or DicomVR.OW => BigEndian ? BinaryPrimitives.ReadUInt16BigEndian(s) : BinaryPrimitives.ReadUInt16LittleEndian(s),
                DicomVR.SS => BigEndian ? BinaryPrimitives.ReadInt16BigEndian(s) : BinaryPrimitives.ReadInt16LittleEndian(s),
                DicomVR.UL or DicomVR.OL => BigEndian ? BinaryPrimitives.ReadUInt32BigEndian(s) : BinaryPrimitives.ReadUInt32LittleEndian(s),
                DicomVR.SL => BigEndian ? BinaryPrimitives.ReadInt32BigEndian(s) : BinaryPrimitives.ReadInt32LittleEndian(s),
                DicomVR.FL or DicomVR.OF => BigEndian ? BinaryPrimitives.ReadSingleBigEndian(s) : BinaryPrimitives.ReadSingleLittleEndian(s),
                DicomVR.FD or DicomVR.OD => BigEndian ? BinaryPrimitives.ReadDoubleBigEndian(s) : BinaryPrimitives.ReadDoubleLittleEndian(s),
                DicomVR.SV => BigEndian ? BinaryPrimitives.ReadInt64BigEndian(s) : BinaryPrimitives.ReadInt64LittleEndian(s),
                DicomVR.UV or DicomVR.OV => BigEndian ? BinaryPrimitives.ReadUInt64BigEndian(s) : BinaryPrimitives.ReadUInt64LittleEndian(s),
                // AT: a tag, group then element, each 16-bit.
                DicomVR.AT => BigEndian
                    ? ((uint)BinaryPrimitives.ReadUInt16BigEndian(s) << 16) | BinaryPrimitives.ReadUInt16BigEndian(s[2..])
                    : ((uint)BinaryPrimitives.ReadUInt16LittleEndian(s) << 16) | BinaryPrimitives.ReadUInt16LittleEndian(s[2..]),
                _ => double.NaN,
            };
        }
        return result;
    }

    /// <summary>Value multiplicity as the dump reports it.</summary>
    public int Multiplicity =>
        IsSequence ? Items!.Count
        : Fragments is not null ? 1
        : VR.BinarySize() > 0 ? (VR is DicomVR.OW or DicomVR.OF or DicomVR.OD or DicomVR.OL or DicomVR.OV ? 1 : Value.Length / VR.BinarySize())
        : VR is DicomVR.OB or DicomVR.UN ? 1
        : GetStrings().Length;

    public override string ToString() => $"{Tag} {VR} {(IsSequence ? $"SQ #{Items!.Count}" : Value.Length > 64 ? $"{Value.Length} bytes" : GetString())}";
}

/// <summary>Encapsulated pixel data (PS3.5 A.4): the Basic Offset Table item and the fragments that follow it.</summary>
public sealed record EncapsulatedPixelData(ReadOnlyMemory<byte> BasicOffsetTable, IReadOnlyList<ReadOnlyMemory<byte>> Fragments, IReadOnlyList<long> FragmentOffsets);
