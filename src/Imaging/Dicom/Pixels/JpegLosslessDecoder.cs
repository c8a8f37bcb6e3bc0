namespace FedRad.Dicom.Pixels;

/// <summary>
/// Lossless JPEG (ITU-T T.81 annex H, process 14): Huffman-coded differences from one of the seven predictors,
/// any precision 2..16, point transform, restart intervals, one or several components with 1x1 sampling.
/// DICOM 1.2.840.10008.1.2.4.70 is the selection-value-1 case; 1.2.840.10008.1.2.4.57 allows any predictor.
/// </summary>
public static class JpegLosslessDecoder
{
    private sealed class HuffmanTable
    {
        public readonly int[] MaxCode = new int[18];
        public readonly int[] ValPtr = new int[17];
        public readonly int[] MinCode = new int[17];
        public byte[] Values = [];
    }

    private sealed record Component(int Id, int TableIndex);

    /// <summary>Decodes one frame into unsigned sample values, pixel-interleaved, checked against <paramref name="d"/>.</summary>
    public static void Decode(ReadOnlySpan<byte> data, PixelDescription d, Span<int> destination, Func<long, string, Exception> error)
    {
        if (data.Length < 4 || data[0] != 0xFF || data[1] != 0xD8)
            throw error(0, "JPEG frame does not start with an SOI marker (FFD8)");
        var tables = new HuffmanTable?[4];
        int precision = 0, width = 0, height = 0, restartInterval = 0;
        int[]? componentIds = null;
        var decodedScan = false;
        var pos = 2;
        while (true)
        {
            // Markers may be preceded by fill bytes 0xFF.
            if (pos >= data.Length) throw error(pos, "JPEG data ends before the EOI marker");
            if (data[pos] != 0xFF) throw error(pos, $"expected a JPEG marker, found byte 0x{data[pos]:X2}");
            while (pos < data.Length && data[pos] == 0xFF) pos++;
            if (pos >= data.Length) throw error(pos, "JPEG data ends inside a marker");
            var marker = data[pos++];
            if (marker == 0xD9) break;                                  // EOI
            if (marker is >= 0xD0 and <= 0xD7 || marker == 0x01) continue;   // stray RSTn / TEM carry no length
            if (pos + 2 > data.Length) throw error(pos, $"JPEG marker FF{marker:X2} has no length");
            var length = (data[pos] << 8) | data[pos + 1];
            if (length < 2 || pos + length > data.Length) throw error(pos, $"JPEG marker FF{marker:X2} segment length {length} passes the end of the data");
            var segment = data.Slice(pos + 2, length - 2);
            var segmentOffset = pos + 2;
            pos += length;
            switch (marker)
            {
                case 0xC3:
                    if (segment.Length < 6) throw error(segmentOffset, "SOF3 segment is too short");
                    precision = segment[0];
                    height = (segment[1] << 8) | segment[2];
                    width = (segment[3] << 8) | segment[4];
                    var nf = segment[5];
                    if (segment.Length < 6 + 3 * nf) throw error(segmentOffset, "SOF3 segment is too short for its components");
                    if (precision is < 2 or > 16) throw error(segmentOffset, $"JPEG lossless precision {precision} is outside 2..16");
                    if (height == 0) throw error(segmentOffset, "JPEG frame height 0 (DNL marker) is not supported");
                    componentIds = new int[nf];
                    for (var c = 0; c < nf; c++)
                    {
                        componentIds[c] = segment[6 + 3 * c];
                        if (segment[7 + 3 * c] != 0x11)
                            throw error(segmentOffset, $"component {c} sampling factors 0x{segment[7 + 3 * c]:X2}: only 1x1 is supported");
                    }
                    if (width != d.Columns || height != d.Rows || nf != d.SamplesPerPixel)
                        throw error(segmentOffset, $"JPEG frame is {width}x{height} with {nf} components but the data set says {d.Columns}x{d.Rows} with {d.SamplesPerPixel}");
                    break;
                case 0xC0 or 0xC1 or 0xC2 or 0xC5 or 0xC6 or 0xC7 or 0xC9 or 0xCA or 0xCB or 0xCD or 0xCE or 0xCF:
                    throw error(segmentOffset - 2, $"JPEG frame marker FF{marker:X2} is not lossless Huffman process 14 (SOF3); decompress with `dcmdjpeg IN OUT` or `gdcmconv --raw IN OUT`");
                case 0xC4:
                    ReadHuffmanTables(segment, tables, segmentOffset, error);
                    break;
                case 0xDD:
                    if (segment.Length < 2) throw error(segmentOffset, "DRI segment is too short");
                    restartInterval = (segment[0] << 8) | segment[1];
                    break;
                case 0xDA:
                    if (componentIds is null) throw error(segmentOffset, "SOS before SOF3");
                    pos = DecodeScan(data, pos, segment, segmentOffset, tables, componentIds, precision, width, height, restartInterval, destination, error);
                    decodedScan = true;
                    break;
                default:
                    break;   // APPn, COM, DQT and others carry nothing lossless decoding needs
            }
        }
        if (!decodedScan) throw error(data.Length, "JPEG data has no scan (SOS)");
    }

    private static void ReadHuffmanTables(ReadOnlySpan<byte> s, HuffmanTable?[] tables, int offset, Func<long, string, Exception> error)
    {
        var p = 0;
        while (p < s.Length)
        {
            if (p + 17 > s.Length) throw error(offset + p, "DHT segment is too short");
            var tc = s[p] >> 4;
            var th = s[p] & 0x0F;
            if (tc != 0 || th > 3) throw error(offset + p, $"DHT class {tc} / table {th}: lossless JPEG uses DC tables 0..3");
            var counts = s.Slice(p + 1, 16);
            var total = 0;
            foreach (var c in counts) total += c;
            if (p + 17 + total > s.Length || total > 256) throw error(offset + p, "DHT table values pass the end of the segment");
            var t = new HuffmanTable { Values = s.Slice(p + 17, total).ToArray() };
            int code = 0, k = 0;
            for (var l = 1; l <= 16; l++)
            {
                t.ValPtr[l] = k;
                t.MinCode[l] = code;
                code += counts[l - 1];
                k += counts[l - 1];
                t.MaxCode[l] = counts[l - 1] > 0 ? code - 1 : -1;
                if (code > (1 << l)) throw error(offset + p, "DHT code lengths are over-subscribed");
                code <<= 1;
            }
            t.MaxCode[17] = int.MaxValue;
            tables[th] = t;
            p += 17 + total;
        }
    }

    private ref struct BitReader(ReadOnlySpan<byte> data, int pos)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        public int Pos = pos;
        private uint _buffer;
        private int _bits;
        /// <summary>Bytes made up after the entropy-coded data ended (at a marker or the end).</summary>
        public int ZeroFill;

        public int Bit()
        {
            if (_bits == 0) Fill();
            _bits--;
            return (int)(_buffer >> _bits) & 1;
        }

        public int Bits(int n)
        {
            var v = 0;
            for (var i = 0; i < n; i++) v = (v << 1) | Bit();
            return v;
        }

        private void Fill()
        {
            byte b = 0;
            if (Pos < _data.Length && _data[Pos] != 0xFF) b = _data[Pos++];
            else if (Pos + 1 < _data.Length && _data[Pos] == 0xFF && _data[Pos + 1] == 0x00) { b = 0xFF; Pos += 2; }
            else ZeroFill++;   // a marker or the end of the data: feed zeros (T.81 F.2.2.5) and count them
            _buffer = b;
            _bits = 8;
        }

        /// <summary>Discards the partial byte and steps over an expected RSTn marker.</summary>
        public bool Restart()
        {
            _bits = 0;
            while (Pos < _data.Length && _data[Pos] == 0xFF && Pos + 1 < _data.Length && _data[Pos + 1] == 0xFF) Pos++;
            if (Pos + 1 < _data.Length && _data[Pos] == 0xFF && _data[Pos + 1] is >= 0xD0 and <= 0xD7) { Pos += 2; ZeroFill = 0; return true; }
            return false;
        }

        /// <summary>Position after the entropy-coded data: the next marker.</summary>
        public int EndOfScan()
        {
            var p = Pos;
            while (p + 1 < _data.Length && !(_data[p] == 0xFF && _data[p + 1] != 0x00 && _data[p + 1] is < 0xD0 or > 0xD7)) p++;
            return Math.Min(p, _data.Length);
        }
    }

    private static int DecodeScan(ReadOnlySpan<byte> data, int pos, ReadOnlySpan<byte> sos, int sosOffset, HuffmanTable?[] tables,
        int[] frameComponents, int precision, int width, int height, int restartInterval, Span<int> destination, Func<long, string, Exception> error)
    {
        if (sos.Length < 1) throw error(sosOffset, "SOS segment is empty");
        var ns = sos[0];
        if (sos.Length < 1 + 2 * ns + 3) throw error(sosOffset, "SOS segment is too short");
        var scan = new Component[ns];
        var scanIndex = new int[ns];
        for (var i = 0; i < ns; i++)
        {
            var id = sos[1 + 2 * i];
            var td = sos[2 + 2 * i] >> 4;
            scanIndex[i] = Array.IndexOf(frameComponents, id);
            if (scanIndex[i] < 0) throw error(sosOffset, $"SOS names component {id}, which SOF3 does not declare");
            if (td > 3 || tables[td] is null) throw error(sosOffset, $"SOS uses Huffman table {td}, which no DHT defined");
            scan[i] = new Component(id, td);
        }
        int predictor = sos[1 + 2 * ns], pointTransform = sos[3 + 2 * ns] & 0x0F;
        if (predictor is < 1 or > 7) throw error(sosOffset, $"lossless predictor (selection value) {predictor} is outside 1..7");
        if (pointTransform >= precision) throw error(sosOffset, $"point transform {pointTransform} is not below precision {precision}");

        var nf = frameComponents.Length;
        var initial = 1 << (precision - pointTransform - 1);
        var reader = new BitReader(data, pos);
        // Samples of this scan, before the point transform is undone; prediction works on these.
        var samples = new int[ns][];
        for (var i = 0; i < ns; i++) samples[i] = new int[width * height];
        var mcu = 0;
        var restartRow = 0;
        var restartCol = 0;
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++, mcu++)
            {
                if (restartInterval > 0 && mcu > 0 && mcu % restartInterval == 0)
                {
                    if (!reader.Restart()) throw error(reader.Pos, $"expected a restart marker after {mcu} samples (restart interval {restartInterval})");
                    restartRow = y;
                    restartCol = x;
                }
                for (var c = 0; c < ns; c++)
                {
                    var s = samples[c];
                    int prediction;
                    var n = y * width + x;
                    if (y == restartRow && x == restartCol) prediction = initial;
                    else if (y == restartRow) prediction = s[n - 1];                 // first line: Ra
                    else if (x == 0) prediction = s[n - width];                       // first column: Rb
                    else
                    {
                        int ra = s[n - 1], rb = s[n - width], rc = s[n - width - 1];
                        prediction = predictor switch
                        {
                            1 => ra,
                            2 => rb,
                            3 => rc,
                            4 => ra + rb - rc,
                            5 => ra + ((rb - rc) >> 1),
                            6 => rb + ((ra - rc) >> 1),
                            _ => (ra + rb) >> 1,
                        };
                    }
                    var t = scan[c].TableIndex;
                    var ssss = DecodeHuffman(ref reader, tables[t]!, error);
                    int diff;
                    if (ssss == 0) diff = 0;
                    else if (ssss == 16) diff = 32768;
                    else if (ssss > 16) throw error(reader.Pos, $"difference category {ssss} is above 16");
                    else
                    {
                        var v = reader.Bits(ssss);
                        diff = v < (1 << (ssss - 1)) ? v - (1 << ssss) + 1 : v;
                    }
                    s[n] = (prediction + diff) & 0xFFFF;
                }
                if (reader.ZeroFill > 2)
                    throw error(reader.Pos, $"JPEG entropy-coded data ends after {mcu} of {width * height} samples");
            }
        }
        for (var c = 0; c < ns; c++)
        {
            var s = samples[c];
            var comp = scanIndex[c];
            var mask = (1 << precision) - 1;
            for (var n = 0; n < s.Length; n++) destination[n * nf + comp] = (s[n] << pointTransform) & mask;
        }
        return reader.EndOfScan();
    }

    private static int DecodeHuffman(ref BitReader reader, HuffmanTable t, Func<long, string, Exception> error)
    {
        var code = reader.Bit();
        var l = 1;
        while (code > t.MaxCode[l])
        {
            if (++l > 16) throw error(reader.Pos, "invalid Huffman code in JPEG data");
            code = (code << 1) | reader.Bit();
        }
        var index = t.ValPtr[l] + code - t.MinCode[l];
        if (index < 0 || index >= t.Values.Length) throw error(reader.Pos, "invalid Huffman code in JPEG data");
        return t.Values[index];
    }
}
