using System.Buffers.Binary;

namespace FedRad.Dicom.Pixels;

/// <summary>
/// Access to the frames of a file's Pixel Data as stored values (before any rescale): native data of 1, 8, 16 or
/// 32 bits with Bits Stored / High Bit masking and sign extension, RLE Lossless and lossless JPEG (process 14).
/// Other encapsulated syntaxes are refused when this object is created, naming the syntax and the conversion to run.
/// </summary>
public sealed class DicomPixelData
{
    public PixelDescription Description { get; }
    public TransferSyntax TransferSyntax { get; }
    private readonly DicomElement _pixels;
    private readonly string _path;
    private readonly List<ReadOnlyMemory<byte>>[]? _frameFragments;

    private DicomPixelData(DicomFile file, DicomDataset dataset, DicomElement pixels)
    {
        _path = file.Path;
        _pixels = pixels;
        TransferSyntax = file.TransferSyntax;
        Description = PixelDescription.From(dataset, file.Path);
        var d = Description;
        if (pixels.Fragments is { } frags)
        {
            if (TransferSyntax.Pixels == PixelEncoding.Unsupported)
                throw Unsupported(file);
            if (TransferSyntax.Pixels == PixelEncoding.Native)
                throw new DicomFormatException(_path, pixels.Offset, $"Pixel Data is encapsulated but the transfer syntax {TransferSyntax} is native");
            _frameFragments = SplitFrames(frags, d.Frames, dataset);
        }
        else
        {
            if (TransferSyntax.IsEncapsulated && TransferSyntax.Pixels != PixelEncoding.Native)
                throw new DicomFormatException(_path, pixels.Offset, $"transfer syntax {TransferSyntax} requires encapsulated Pixel Data but it has a defined length");
            var needed = d.BitsAllocated == 1
                ? ((long)d.SamplesPerFrame * d.Frames + 7) / 8
                : (long)d.SamplesPerFrame * d.Frames * (d.BitsAllocated / 8);
            if (pixels.Value.Length < needed)
                throw new DicomFormatException(_path, pixels.Offset, $"Pixel Data holds {pixels.Value.Length} bytes but {d.Frames} frame(s) of {d.Rows}x{d.Columns}x{d.SamplesPerPixel} at {d.BitsAllocated} bits need {needed}");
        }
    }

    /// <summary>The pixel data of a file's top-level data set.</summary>
    public static DicomPixelData From(DicomFile file) => From(file, file.Dataset);

    /// <summary>The pixel data of <paramref name="dataset"/> (the top level, or an item such as an icon image).</summary>
    public static DicomPixelData From(DicomFile file, DicomDataset dataset)
    {
        var pixels = dataset.Get(DicomTags.PixelData)
            ?? throw new DicomFormatException(file.Path, -1, "the data set has no Pixel Data (7FE0,0010)");
        if (file.TransferSyntax.Pixels == PixelEncoding.Unsupported) throw Unsupported(file);
        return new DicomPixelData(file, dataset, pixels);
    }

    private static DicomFormatException Unsupported(DicomFile file) =>
        new(file.Path, -1, $"transfer syntax {file.TransferSyntax.Uid} ({file.TransferSyntax.Name}) is not decoded by FedRad; {file.TransferSyntax.ConversionAdvice}");

    /// <summary>Stored values of one frame (rows x columns x samples, pixel-interleaved), sign-extended when Pixel Representation is 1.</summary>
    public int[] DecodeFrame(int frame)
    {
        var result = new int[Description.SamplesPerFrame];
        DecodeFrame(frame, result);
        return result;
    }

    public void DecodeFrame(int frame, Span<int> destination)
    {
        var d = Description;
        if (frame < 0 || frame >= d.Frames) throw new ArgumentOutOfRangeException(nameof(frame), $"frame {frame} of {d.Frames}");
        if (destination.Length < d.SamplesPerFrame) throw new ArgumentException($"destination holds {destination.Length} values, a frame has {d.SamplesPerFrame}");
        var dest = destination[..d.SamplesPerFrame];
        if (_frameFragments is null) ReadNative(frame, dest);
        else
        {
            var bytes = Concatenate(_frameFragments[frame]);
            // A compressed frame cannot expand without bound (RLE runs: 64x per byte plane; lossless JPEG: at least 1 bit per
            // sample), so a header claiming a huge image over a few bytes is refused before anything is allocated for it.
            var limit = TransferSyntax.Pixels == PixelEncoding.Rle ? 64L * (bytes.Length + 64) : 8L * (bytes.Length + 64);
            if ((long)d.SamplesPerFrame * (TransferSyntax.Pixels == PixelEncoding.Rle ? Math.Max(1, d.BitsAllocated / 8) : 1) > limit)
                throw new DicomFormatException(_path, _pixels.Offset, $"frame {frame + 1} claims {d.Rows}x{d.Columns}x{d.SamplesPerPixel} samples but holds only {bytes.Length} compressed bytes");
            var fragmentOffset = _pixels.Offset;
            Exception Error(long offset, string message) =>
                new DicomFormatException(_path, fragmentOffset, $"frame {frame + 1}, byte {offset} of its compressed data: {message}");
            if (TransferSyntax.Pixels == PixelEncoding.Rle) RleDecoder.Decode(bytes, d, dest, Error);
            else JpegLosslessDecoder.Decode(bytes, d, dest, Error);   // both decoders write pixel-interleaved samples
        }
        FinishStoredValues(dest);
    }

    private void ReadNative(int frame, Span<int> dest)
    {
        var d = Description;
        var src = _pixels.Value.Span;
        var n = d.SamplesPerFrame;
        var big = _pixels.BigEndian;
        switch (d.BitsAllocated)
        {
            case 1:
                long bit0 = (long)frame * n;
                for (var i = 0; i < n; i++)
                {
                    var b = bit0 + i;
                    dest[i] = (src[(int)(b >> 3)] >> (int)(b & 7)) & 1;   // first pixel in the least significant bit
                }
                return;
            case 8:
                var s8 = src.Slice(frame * n, n);
                for (var i = 0; i < n; i++) dest[i] = s8[i];
                break;
            case 16:
                var s16 = src.Slice(frame * n * 2, n * 2);
                if (big) for (var i = 0; i < n; i++) dest[i] = BinaryPrimitives.ReadUInt16BigEndian(s16[(2 * i)..]);
                else for (var i = 0; i < n; i++) dest[i] = BinaryPrimitives.ReadUInt16LittleEndian(s16[(2 * i)..]);
                break;
            default:
                var s32 = src.Slice(frame * n * 4, n * 4);
                for (var i = 0; i < n; i++)
                {
                    var v = big ? BinaryPrimitives.ReadUInt32BigEndian(s32[(4 * i)..]) : BinaryPrimitives.ReadUInt32LittleEndian(s32[(4 * i)..]);
                    if (v > int.MaxValue && !(d.Signed && d.BitsStored == 32))
                        throw new DicomFormatException(_path, _pixels.Offset, $"32-bit unsigned pixel value {v} in frame {frame + 1} does not fit FedRad's 31-bit range");
                    dest[i] = unchecked((int)v);
                }
                break;
        }
        if (d.PlanarConfiguration == 1 && d.SamplesPerPixel > 1)
        {
            // Colour-by-plane -> pixel-interleaved.
            var planar = dest.ToArray();
            var pixels = d.Rows * d.Columns;
            for (var p = 0; p < pixels; p++)
                for (var s = 0; s < d.SamplesPerPixel; s++)
                    dest[p * d.SamplesPerPixel + s] = planar[s * pixels + p];
        }
    }

    /// <summary>Keeps bits HighBit-BitsStored+1 .. HighBit and sign-extends them (PS3.5 8.1.1, 8.2).</summary>
    private void FinishStoredValues(Span<int> dest)
    {
        var d = Description;
        if (d.BitsAllocated == 1) return;
        var shift = d.HighBit + 1 - d.BitsStored;
        if (d.BitsStored == 32) return;
        var mask = (int)((1L << d.BitsStored) - 1);
        var sign = 1 << (d.BitsStored - 1);
        if (shift == 0 && !d.Signed && d.BitsStored == d.BitsAllocated) return;
        for (var i = 0; i < dest.Length; i++)
        {
            var v = (dest[i] >> shift) & mask;
            dest[i] = d.Signed && (v & sign) != 0 ? v - (mask + 1) : v;
        }
    }

    private List<ReadOnlyMemory<byte>>[] SplitFrames(EncapsulatedPixelData e, int frames, DicomDataset dataset)
    {
        var result = new List<ReadOnlyMemory<byte>>[frames];
        var fragments = e.Fragments;
        if (fragments.Count == 0) throw new DicomFormatException(_path, _pixels.Offset, "encapsulated Pixel Data has no fragments");
        if (frames == 1)
        {
            result[0] = [.. fragments];
            return result;
        }
        if (fragments.Count == frames)
        {
            for (var f = 0; f < frames; f++) result[f] = [fragments[f]];
            return result;
        }
        // Frame starts from the Extended Offset Table, else the Basic Offset Table (offsets from the first fragment's item tag).
        long[]? starts = null;
        if (dataset.Get(DicomTags.ExtendedOffsetTable) is { } ext)
            starts = ext.GetNumbers().Select(v => (long)v).ToArray();
        else if (e.BasicOffsetTable.Length >= 4 * frames)
        {
            var bot = e.BasicOffsetTable.Span;
            starts = new long[frames];
            for (var f = 0; f < frames; f++) starts[f] = BinaryPrimitives.ReadUInt32LittleEndian(bot[(4 * f)..]);
        }
        if (starts is not null && starts.Length >= frames)
        {
            var first = e.FragmentOffsets[0];
            for (var f = 0; f < frames; f++) result[f] = [];
            for (var i = 0; i < fragments.Count; i++)
            {
                var rel = e.FragmentOffsets[i] - first;
                var f = frames - 1;
                while (f > 0 && rel < starts[f]) f--;
                result[f].Add(fragments[i]);
            }
            if (result.Any(r => r.Count == 0))
                throw new DicomFormatException(_path, _pixels.Offset, "the offset table leaves a frame without fragments");
            return result;
        }
        if (TransferSyntax.Pixels == PixelEncoding.JpegLossless)
        {
            // No usable table: a frame starts at each fragment that begins with SOI.
            var f = -1;
            foreach (var frag in fragments)
            {
                var s = frag.Span;
                if (s.Length >= 2 && s[0] == 0xFF && s[1] == 0xD8) f++;
                if (f < 0 || f >= frames) throw new DicomFormatException(_path, _pixels.Offset, $"cannot map {fragments.Count} JPEG fragments onto {frames} frames");
                (result[f] ??= []).Add(frag);
            }
            if (f != frames - 1) throw new DicomFormatException(_path, _pixels.Offset, $"found {f + 1} JPEG images for {frames} frames");
            return result;
        }
        throw new DicomFormatException(_path, _pixels.Offset, $"{fragments.Count} fragments for {frames} frames and no offset table to map them");
    }

    private static ReadOnlySpan<byte> Concatenate(List<ReadOnlyMemory<byte>> parts)
    {
        if (parts.Count == 1) return parts[0].Span;
        var total = parts.Sum(p => p.Length);
        var buffer = new byte[total];
        var o = 0;
        foreach (var p in parts) { p.Span.CopyTo(buffer.AsSpan(o)); o += p.Length; }
        return buffer;
    }
}
