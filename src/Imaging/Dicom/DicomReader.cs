using System.Buffers.Binary;
using System.IO.Compression;

namespace FedRad.Dicom;

/// <summary>
/// Reads DICOM Part 10 files (with or without the 128-byte preamble and file meta information) and bare data sets,
/// in implicit VR little endian, explicit VR little and big endian, and deflated explicit VR little endian.
/// Sequences and items of defined and undefined length, nested to <see cref="DicomReadOptions.MaxSequenceDepth"/>;
/// encapsulated pixel data is split into fragments. Every length is checked against the bytes that are really
/// there before anything is allocated, so a corrupt file ends in a <see cref="DicomFormatException"/> naming the
/// file and byte offset, never in a hang, a crash or an unbounded allocation.
/// </summary>
public static class DicomReader
{
    private const uint Undefined = 0xFFFFFFFF;

    public static DicomFile Read(string path, DicomReadOptions? options = null)
    {
        options ??= DicomReadOptions.Default;
        byte[] data;
        try
        {
            var length = new FileInfo(path).Length;
            if (length > options.MaxFileBytes)
                throw new DicomFormatException(path, -1, $"file is {length} bytes, larger than the {options.MaxFileBytes}-byte limit");
            data = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DicomFormatException(path, -1, $"cannot read the file ({e.Message})", e);
        }
        return Parse(data, path, options);
    }

    /// <summary>Parses a whole file already in memory; <paramref name="path"/> is used in messages only.</summary>
    public static DicomFile Parse(byte[] data, string path, DicomReadOptions? options = null)
    {
        options ??= DicomReadOptions.Default;
        var warnings = new List<string>();
        var pos = 0;
        var preamble = false;
        if (data.Length >= 132 && data.AsSpan(128, 4).SequenceEqual("DICM"u8))
        {
            preamble = true;
            pos = 132;
        }
        else if (data.Length >= 4 && data.AsSpan(0, 4).SequenceEqual("DICM"u8))
        {
            pos = 4;
            warnings.Add("file starts with 'DICM' but has no 128-byte preamble");
        }

        // File meta information: always explicit VR little endian, group 0002 only.
        var meta = new DicomDataset();
        if (data.Length - pos >= 8 && BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(pos)) == 0x0002)
        {
            var metaParser = new Parser(data, path, options, warnings, explicitVR: true, bigEndian: false, "");
            pos = metaParser.ParseDataset(meta, pos, data.Length, 0, CharacterSet.Default, stopAtItemDelimiter: false, onlyGroup: 0x0002, sequenceStart: -1);
        }
        else if (preamble)
            warnings.Add("file has a preamble but no file meta information group");

        TransferSyntax ts;
        var tsUid = meta.GetString(DicomTags.TransferSyntaxUID);
        if (tsUid is not null)
        {
            ts = TransferSyntax.FromUid(tsUid);
            ts = CheckDeclaredSyntax(data, pos, ts, warnings);
        }
        else
        {
            ts = GuessSyntax(data, pos);
            warnings.Add($"no Transfer Syntax UID in file meta information; data set read as {ts.Name}");
        }

        var datasetOffset = pos;
        var buffer = data;
        var where = "";
        if (ts.Deflated)
        {
            buffer = Inflate(data, pos, path, options);
            where = $" of the data set inflated from byte {pos}";
            pos = 0;
        }
        var parser = new Parser(buffer, path, options, warnings, ts.ExplicitVR, ts.BigEndian, where);
        var dataset = new DicomDataset { Offset = pos };
        parser.ParseDataset(dataset, pos, buffer.Length, 0, CharacterSet.Default, stopAtItemDelimiter: false, onlyGroup: null, sequenceStart: -1);
        if (dataset.CharacterSet.Warning is { } csWarning) warnings.Add(csWarning);
        return new DicomFile
        {
            Path = path, FileMeta = meta, Dataset = dataset, TransferSyntax = ts, HasPreamble = preamble,
            Warnings = warnings,
        };
    }

    /// <summary>No file meta: tell implicit VR little endian from explicit VR little/big endian by the first element.</summary>
    private static TransferSyntax GuessSyntax(byte[] data, int pos)
    {
        if (data.Length - pos < 8) return TransferSyntax.ImplicitVRLittleEndian;
        var groupLE = BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(pos));
        var groupBE = BinaryPrimitives.ReadUInt16BigEndian(data.AsSpan(pos));
        var vrLetters = DicomVRInfo.TryParse(data[pos + 4], data[pos + 5], out _);
        if (vrLetters && groupBE < groupLE && groupBE is > 0 and < 0x0100) return TransferSyntax.ExplicitVRBigEndian;
        return vrLetters ? TransferSyntax.ExplicitVRLittleEndian : TransferSyntax.ImplicitVRLittleEndian;
    }

    /// <summary>Some writers declare explicit VR little endian but write implicit VR (and the reverse); follow the bytes, with a warning.</summary>
    private static TransferSyntax CheckDeclaredSyntax(byte[] data, int pos, TransferSyntax declared, List<string> warnings)
    {
        if (declared.Deflated || declared.BigEndian || data.Length - pos < 8) return declared;
        // Two capital letters could also be the low bytes of an implicit length: also require the dictionary's VR.
        var vrLetters = DicomVRInfo.TryParse(data[pos + 4], data[pos + 5], out var vr);
        var tag = new DicomTag(BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(pos)), BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(pos + 2)));
        if (declared == TransferSyntax.ImplicitVRLittleEndian && vrLetters && DicomDictionary.Find(tag)?.VR == vr)
        {
            warnings.Add($"file meta declares {declared.Name} but the data set is written with explicit VRs; read as explicit VR little endian");
            return TransferSyntax.ExplicitVRLittleEndian;
        }
        if (declared.ExplicitVR && !vrLetters)
        {
            warnings.Add($"file meta declares {declared.Name} but the first element has no VR; data set read as implicit VR little endian");
            return declared.Pixels == PixelEncoding.Native ? TransferSyntax.ImplicitVRLittleEndian : declared with { ExplicitVR = false };
        }
        return declared;
    }

    private static byte[] Inflate(byte[] data, int pos, string path, DicomReadOptions options)
    {
        // PS3.5 A.5: raw deflate (RFC 1951). Some writers wrap it in zlib (RFC 1950); accept that too.
        var zlib = data.Length - pos >= 2 && data[pos] == 0x78 && ((data[pos] << 8) | data[pos + 1]) % 31 == 0;
        using var input = new MemoryStream(data, pos, data.Length - pos, writable: false);
        using Stream inflater = zlib ? new ZLibStream(input, CompressionMode.Decompress) : new DeflateStream(input, CompressionMode.Decompress);
        using var output = new MemoryStream();
        var chunk = new byte[1 << 16];
        try
        {
            int n;
            while ((n = inflater.Read(chunk, 0, chunk.Length)) > 0)
            {
                if (output.Length + n > options.MaxInflatedBytes)
                    throw new DicomFormatException(path, pos, $"deflated data set inflates to more than {options.MaxInflatedBytes} bytes");
                output.Write(chunk, 0, n);
            }
        }
        catch (InvalidDataException e)
        {
            throw new DicomFormatException(path, pos, $"deflated data set is corrupt after {output.Length} inflated bytes ({e.Message})", e);
        }
        return output.ToArray();
    }

    /// <summary>One pass over one buffer in one encoding.</summary>
    private sealed class Parser(byte[] buf, string path, DicomReadOptions options, List<string> warnings, bool explicitVR, bool bigEndian, string where)
    {
        private bool _oddLengthReported;

        private DicomFormatException Error(long offset, string message) => new(path, offset, message + where);

        private ushort U16(int p) => bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(buf.AsSpan(p)) : BinaryPrimitives.ReadUInt16LittleEndian(buf.AsSpan(p));
        private uint U32(int p) => bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(buf.AsSpan(p)) : BinaryPrimitives.ReadUInt32LittleEndian(buf.AsSpan(p));

        /// <summary>
        /// Reads elements into <paramref name="dataset"/> from <paramref name="pos"/> up to <paramref name="limit"/>.
        /// Returns the position after the last element (after the item delimiter when <paramref name="stopAtItemDelimiter"/>).
        /// </summary>
        public int ParseDataset(DicomDataset dataset, int pos, int limit, int depth, CharacterSet inherited, bool stopAtItemDelimiter, ushort? onlyGroup, long sequenceStart)
        {
            dataset.CharacterSet = inherited;
            while (pos < limit)
            {
                if (limit - pos < 8)
                    throw Error(pos, $"{limit - pos} bytes left where an element header (8 bytes at least) should start{(stopAtItemDelimiter ? "" : " — the file is truncated or has trailing garbage")}");
                var tag = new DicomTag(U16(pos), U16(pos + 2));
                if (onlyGroup is { } g && tag.Group != g) return pos;
                if (tag.Group == 0xFFFE)
                {
                    if (tag == DicomTag.ItemDelimitation && stopAtItemDelimiter) return pos + 8;
                    throw Error(pos, $"unexpected {tag} {(tag == DicomTag.Item ? "item" : "delimiter")} outside a sequence");
                }
                pos = ParseElement(dataset, tag, pos, limit, depth);
            }
            if (stopAtItemDelimiter)
                throw Error(pos, $"item starting at byte {sequenceStart} has no item delimitation (FFFE,E00D) before the end of its container");
            return pos;
        }

        private int ParseElement(DicomDataset dataset, DicomTag tag, int start, int limit, int depth)
        {
            int pos;
            DicomVR vr;
            uint length;
            var vrKnown = true;
            if (explicitVR)
            {
                if (!DicomVRInfo.TryParse(buf[start + 4], buf[start + 5], out vr))
                    throw Error(start + 4, $"{tag} has an invalid VR 0x{buf[start + 4]:X2}{buf[start + 5]:X2} in an explicit VR data set");
                if (vr.HasLongLength())
                {
                    if (limit - start < 12) throw Error(start, $"{tag} {vr}: header needs 12 bytes, {limit - start} left");
                    length = U32(start + 8);
                    pos = start + 12;
                }
                else
                {
                    length = U16(start + 6);
                    pos = start + 8;
                }
            }
            else
            {
                (vr, vrKnown) = ImplicitVR(dataset, tag);
                length = U32(start + 4);
                pos = start + 8;
            }

            DicomElement element;
            if (length == Undefined)
            {
                if (tag == DicomTags.PixelData && vr is DicomVR.OB or DicomVR.OW or DicomVR.UN)
                {
                    var (frags, end) = ParseFragments(pos, limit, start, tag);
                    element = new DicomElement(tag, DicomVR.OB, frags, start);
                    pos = end;
                }
                else if (vr == DicomVR.SQ || vr == DicomVR.UN)
                {
                    // CP-246: an explicit UN of undefined length is a sequence encoded in implicit VR little endian.
                    var inner = vr == DicomVR.UN && explicitVR ? new Parser(buf, path, options, warnings, false, false, where) : this;
                    var (items, end) = inner.ParseItems(pos, limit, undefinedLength: true, depth + 1, dataset.CharacterSet, start, tag);
                    element = new DicomElement(tag, items, start, undefinedLength: true);
                    pos = end;
                }
                else throw Error(start, $"{tag} {vr} has undefined length, which only SQ, UN and encapsulated Pixel Data may have");
            }
            else
            {
                if (length > limit - pos)
                    throw Error(start, $"{tag} {vr} declares a value length of {length} bytes but only {limit - pos} bytes are left{(limit < buf.Length ? " in its item" : "")}");
                var len = (int)length;
                if ((len & 1) == 1 && !_oddLengthReported)
                {
                    warnings.Add($"{tag} at byte {start} has odd length {len} (PS3.5 7.1.1 requires even lengths)");
                    _oddLengthReported = true;
                }
                if (vr == DicomVR.SQ)
                {
                    var (items, _) = ParseItems(pos, pos + len, undefinedLength: false, depth + 1, dataset.CharacterSet, start, tag);
                    element = new DicomElement(tag, items, start);
                }
                else if (!vrKnown && LooksLikeSequence(pos, len) && TryParseUnknownSequence(pos, len, depth, dataset.CharacterSet, start, tag) is { } items)
                    element = new DicomElement(tag, items, start);
                else
                    element = new DicomElement(tag, vr, buf.AsMemory(pos, len), bigEndian, start, dataset.CharacterSet);
                pos += len;
            }
            if (!dataset.TryAddRead(element))
                warnings.Add($"{tag} appears twice in one data set (second copy at byte {start} ignored)");
            return pos;
        }

        private (DicomVR, bool) ImplicitVR(DicomDataset dataset, DicomTag tag)
        {
            if (tag.IsPrivateCreator) return (DicomVR.LO, true);
            if (tag.IsPrivate)
            {
                if (tag.Element == 0) return (DicomVR.UL, true);
                var creator = dataset.PrivateCreatorOf(tag);
                if (creator is not null && DicomDictionary.FindPrivate(creator, tag.Group, (byte)tag.Element) is { } p) return (p.VR, true);
                return (DicomVR.UN, false);
            }
            return DicomDictionary.Find(tag) is { } e ? (e.VR, true) : (DicomVR.UN, false);
        }

        private bool LooksLikeSequence(int pos, int len) =>
            len >= 8 && BinaryPrimitives.ReadUInt16LittleEndian(buf.AsSpan(pos)) == 0xFFFE && BinaryPrimitives.ReadUInt16LittleEndian(buf.AsSpan(pos + 2)) == 0xE000;

        /// <summary>An unknown tag in implicit VR whose value starts with an item tag: read it as a sequence if it parses as one.</summary>
        private IReadOnlyList<DicomDataset>? TryParseUnknownSequence(int pos, int len, int depth, CharacterSet cs, int start, DicomTag tag)
        {
            var probe = new Parser(buf, path, options, [], explicitVR, bigEndian, where);
            try { return probe.ParseItems(pos, pos + len, false, depth + 1, cs, start, tag).Items; }
            catch (DicomFormatException) { return null; }
        }

        private (IReadOnlyList<DicomDataset> Items, int End) ParseItems(int pos, int limit, bool undefinedLength, int depth, CharacterSet cs, int sequenceStart, DicomTag sequenceTag)
        {
            if (depth > options.MaxSequenceDepth)
                throw Error(sequenceStart, $"{sequenceTag}: sequences nested deeper than {options.MaxSequenceDepth} levels");
            var items = new List<DicomDataset>();
            while (true)
            {
                if (!undefinedLength && pos >= limit) return (items, pos);
                if (limit - pos < 8)
                    throw Error(pos, undefinedLength
                        ? $"sequence {sequenceTag} starting at byte {sequenceStart} has no sequence delimitation (FFFE,E0DD) before the end of the data"
                        : $"sequence {sequenceTag} starting at byte {sequenceStart}: {limit - pos} stray bytes where an item should start");
                var tag = new DicomTag(U16(pos), U16(pos + 2));
                var length = U32(pos + 4);
                if (tag == DicomTag.SequenceDelimitation)
                {
                    if (undefinedLength) return (items, pos + 8);
                    throw Error(pos, $"sequence delimitation inside the defined-length sequence {sequenceTag} starting at byte {sequenceStart}");
                }
                if (tag != DicomTag.Item)
                    throw Error(pos, $"expected an item (FFFE,E000) in sequence {sequenceTag} starting at byte {sequenceStart}, found {tag}");
                var item = new DicomDataset { Offset = pos };
                if (length == Undefined)
                    pos = ParseDataset(item, pos + 8, limit, depth, cs, stopAtItemDelimiter: true, onlyGroup: null, sequenceStart: pos);
                else
                {
                    if (length > limit - pos - 8)
                        throw Error(pos, $"item of {sequenceTag} declares {length} bytes but only {limit - pos - 8} are left");
                    var end = pos + 8 + (int)length;
                    ParseDataset(item, pos + 8, end, depth, cs, stopAtItemDelimiter: false, onlyGroup: null, sequenceStart: pos);
                    pos = end;
                }
                items.Add(item);
            }
        }

        private (EncapsulatedPixelData, int End) ParseFragments(int pos, int limit, int start, DicomTag tag)
        {
            ReadOnlyMemory<byte>? table = null;
            var fragments = new List<ReadOnlyMemory<byte>>();
            var offsets = new List<long>();
            while (true)
            {
                if (limit - pos < 8)
                    throw Error(pos, $"encapsulated {tag} starting at byte {start} has no sequence delimitation before the end of the data");
                var itemTag = new DicomTag(U16(pos), U16(pos + 2));
                var length = U32(pos + 4);
                if (itemTag == DicomTag.SequenceDelimitation) break;
                if (itemTag != DicomTag.Item)
                    throw Error(pos, $"expected a fragment item (FFFE,E000) in encapsulated {tag}, found {itemTag}");
                if (length == Undefined || length > limit - pos - 8)
                    throw Error(pos, $"fragment of encapsulated {tag} declares {(length == Undefined ? "an undefined length" : $"{length} bytes")} but {limit - pos - 8} bytes are left");
                var value = buf.AsMemory(pos + 8, (int)length);
                if (table is null) table = value;
                else
                {
                    fragments.Add(value);
                    offsets.Add(pos);
                }
                pos += 8 + (int)length;
            }
            if (table is null) throw Error(start, $"encapsulated {tag} has no Basic Offset Table item");
            return (new EncapsulatedPixelData(table.Value, fragments, offsets), pos + 8);
        }
    }
}
