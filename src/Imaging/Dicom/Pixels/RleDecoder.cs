namespace FedRad.Dicom.Pixels;

/// <summary>
/// DICOM RLE Lossless (PS3.5 annex G): a 64-byte header with up to 15 segment offsets, each segment PackBits-coded.
/// Segments hold one byte plane each, most significant byte first, for each sample in turn.
/// </summary>
public static class RleDecoder
{
    /// <summary>Decodes one frame into stored sample values (unsigned, BitsAllocated wide), pixel-interleaved.</summary>
    public static void Decode(ReadOnlySpan<byte> frame, PixelDescription d, Span<int> destination, Func<long, string, Exception> error)
    {
        if (d.BitsAllocated == 1) throw error(0, "RLE with Bits Allocated 1 is not decoded; convert with `gdcmconv --raw IN OUT`");
        if (frame.Length < 64) throw error(0, $"RLE frame is {frame.Length} bytes, shorter than its 64-byte header");
        var bytesPerSample = d.BitsAllocated / 8;
        var segments = (int)BitConverter.ToUInt32(frame[..4]);
        var expected = d.SamplesPerPixel * bytesPerSample;
        if (segments != expected)
            throw error(0, $"RLE header lists {segments} segments; {d.SamplesPerPixel} samples of {d.BitsAllocated} bits need {expected}");
        var pixels = d.Rows * d.Columns;
        var plane = new byte[pixels];
        destination[..(pixels * d.SamplesPerPixel)].Clear();
        for (var s = 0; s < segments; s++)
        {
            var start = (int)BitConverter.ToUInt32(frame[(4 + 4 * s)..]);
            var end = s + 1 < segments ? (int)BitConverter.ToUInt32(frame[(8 + 4 * s)..]) : frame.Length;
            if (start < 64 || start > frame.Length || end < start || end > frame.Length)
                throw error(4 + 4 * s, $"RLE segment {s + 1} spans bytes {start}..{end} of a {frame.Length}-byte frame");
            UnpackBits(frame[start..end], plane, s, error, start);
            var sample = s / bytesPerSample;
            var shift = 8 * (bytesPerSample - 1 - s % bytesPerSample);   // first segment = most significant byte
            for (var p = 0; p < pixels; p++)
                destination[p * d.SamplesPerPixel + sample] |= plane[p] << shift;
        }
    }

    private static void UnpackBits(ReadOnlySpan<byte> src, byte[] dst, int segment, Func<long, string, Exception> error, int segmentOffset)
    {
        int i = 0, o = 0;
        while (o < dst.Length)
        {
            if (i >= src.Length)
                throw error(segmentOffset + i, $"RLE segment {segment + 1} ends after {o} of {dst.Length} bytes");
            var n = (sbyte)src[i++];
            if (n >= 0)
            {
                var count = n + 1;
                if (i + count > src.Length) throw error(segmentOffset + i, $"RLE segment {segment + 1}: literal run of {count} bytes passes the end of the segment");
                count = Math.Min(count, dst.Length - o);
                src.Slice(i, count).CopyTo(dst.AsSpan(o));
                i += n + 1;
                o += count;
            }
            else if (n != -128)
            {
                if (i >= src.Length) throw error(segmentOffset + i, $"RLE segment {segment + 1}: replicate run without its byte");
                var count = Math.Min(1 - n, dst.Length - o);
                dst.AsSpan(o, count).Fill(src[i++]);
                o += count;
            }
        }
    }
}
