using System.Buffers.Binary;
using System.IO.Compression;

namespace FedRad.Imaging.Nifti;

/// <summary>A 3D NIfTI-1 image read into patient coordinates (LPS, mm).</summary>
public sealed class NiftiImage
{
    public required string FilePath { get; init; }
    public required NiftiHeader Header { get; init; }
    public required ImageGrid Grid { get; init; }
    /// <summary>Voxel values after scl_slope/scl_inter, in <see cref="ImageGrid"/> index order.</summary>
    public required float[] Voxels { get; init; }
    /// <summary>Which transform placed the grid: "sform", "qform" or "pixdim".</summary>
    public required string TransformSource { get; init; }
    public required IReadOnlyList<string> Warnings { get; init; }

    public ImageVolume ToImageVolume(string unit = "") => new(Grid, Voxels, unit);

    /// <summary>
    /// A binary mask: voxels equal to <paramref name="label"/>, or every non-zero voxel when label is null
    /// (nnU-Net writes one integer label per structure, background 0).
    /// </summary>
    public MaskVolume ToMask(int? label = null, string? name = null)
    {
        var inside = new bool[Voxels.Length];
        for (var n = 0; n < Voxels.Length; n++)
            inside[n] = label is null ? Voxels[n] != 0 : Math.Abs(Voxels[n] - label.Value) < 0.5f;
        return new MaskVolume(Grid, inside, name ?? (label is null ? Path.GetFileName(FilePath) : $"label {label}"));
    }

    /// <summary>Distinct non-zero labels present, ascending.</summary>
    public IReadOnlyList<int> Labels() =>
        Voxels.Where(v => v != 0).Select(v => (int)MathF.Round(v)).Distinct().Order().ToList();
}

/// <summary>
/// Reads NIfTI-1 .nii and .nii.gz (gzip detected from the content, not the name), either byte order.
/// Orientation: the sform when sform_code &gt; 0, else the qform when qform_code &gt; 0, else pixdim scaling only
/// (NIfTI "method 1"; the same precedence as nibabel). The RAS world of NIfTI is turned into DICOM LPS by
/// negating x and y, so a mask from nnU-Net lands on the DICOM image it was made from.
/// </summary>
public static class NiftiReader
{
    /// <summary>Largest image accepted (voxels), so a corrupt header cannot ask for unbounded memory.</summary>
    public const long MaxVoxels = 1L << 30;

    public static NiftiImage Read(string path)
    {
        using var file = File.OpenRead(path);
        var magic = new byte[2];
        var got = file.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
        file.Position = 0;
        var gzipped = got == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
        using Stream stream = gzipped ? new GZipStream(file, CompressionMode.Decompress) : file;
        try
        {
            return Read(path, stream, gzipped ? -1 : file.Length);
        }
        catch (InvalidDataException e)
        {
            throw new ImageFormatException(path, -1, $"the gzip stream is corrupt ({e.Message})", e);
        }
    }

    private static NiftiImage Read(string path, Stream stream, long fileLength)
    {
        var hdr = new byte[NiftiHeader.HeaderSize];
        var n = stream.ReadAtLeast(hdr, hdr.Length, throwOnEndOfStream: false);
        if (n < hdr.Length)
            throw new ImageFormatException(path, n, $"file ends inside the {NiftiHeader.HeaderSize}-byte NIfTI-1 header");
        var header = ParseHeader(path, hdr);
        var warnings = new List<string>();

        int nd = header.Dim[0];
        int sx = header.Dim[1], sy = nd >= 2 ? header.Dim[2] : 1, sz = nd >= 3 ? header.Dim[3] : 1;
        for (var d = 4; d <= nd; d++)
            if (header.Dim[d] > 1)
                throw new ImageFormatException(path, 40 + 2 * d, $"dim[{d}] = {header.Dim[d]}: only 3D images are read (this one has more than one volume)");
        if (sx < 1 || sy < 1 || sz < 1)
            throw new ImageFormatException(path, 40, $"image size {sx}x{sy}x{sz} is not positive");
        var count = (long)sx * sy * sz;
        if (count > MaxVoxels)
            throw new ImageFormatException(path, 40, $"image size {sx}x{sy}x{sz} exceeds the {MaxVoxels}-voxel limit");
        var bpv = NiftiHeader.BytesPerVoxel(header.DataType);
        if (bpv == 0)
            throw new ImageFormatException(path, 70, $"datatype {header.DataType} is not a supported scalar type (uint8/int8/int16/uint16/int32/uint32/int64/uint64/float32/float64)");
        var offset = (long)header.VoxOffset;
        if (offset < NiftiHeader.HeaderSize)
            throw new ImageFormatException(path, 108, $"vox_offset {header.VoxOffset} points inside the header (.hdr/.img pairs are not read; convert to .nii)");
        var dataBytes = count * bpv;
        if (dataBytes > Array.MaxLength)
            throw new ImageFormatException(path, 40, $"{dataBytes} bytes of voxel data exceed what one array can hold");
        if (fileLength >= 0 && offset + dataBytes > fileLength)
            throw new ImageFormatException(path, fileLength, $"the header declares {dataBytes} bytes of voxel data from byte {offset} but the file has {fileLength} bytes");

        // Skip extensions up to vox_offset, then read exactly the voxel data.
        var skip = offset - NiftiHeader.HeaderSize;
        var scratch = new byte[Math.Min(skip, 1 << 16) + 1];
        while (skip > 0)
        {
            var r = stream.Read(scratch, 0, (int)Math.Min(skip, scratch.Length));
            if (r == 0) throw new ImageFormatException(path, offset - skip, "file ends before vox_offset");
            skip -= r;
        }
        // A .nii.gz header can claim any size: grow the buffer with the data actually inflated, never to the claim.
        byte[] raw;
        if (fileLength >= 0) raw = new byte[dataBytes];
        else
        {
            using var collected = new MemoryStream();
            var chunk = new byte[1 << 20];
            while (collected.Length < dataBytes)
            {
                var r = stream.Read(chunk, 0, (int)Math.Min(chunk.Length, dataBytes - collected.Length));
                if (r == 0) break;
                collected.Write(chunk, 0, r);
            }
            if (collected.Length < dataBytes)
                throw new ImageFormatException(path, offset + collected.Length, $"file ends inside the voxel data ({collected.Length} of {dataBytes} bytes)");
            raw = collected.Length == collected.Capacity ? collected.GetBuffer() : collected.ToArray();
        }
        if (fileLength >= 0)
        {
            var read = stream.ReadAtLeast(raw, raw.Length, throwOnEndOfStream: false);
            if (read < raw.Length)
                throw new ImageFormatException(path, offset + read, $"file ends inside the voxel data ({read} of {dataBytes} bytes)");
        }

        var voxels = Convert(raw, header.DataType, header.BigEndian, (int)count);
        // scl_slope = 0 means "no scaling" (nifti1.h).
        if (header.SclSlope != 0 && float.IsFinite(header.SclSlope) && (header.SclSlope != 1 || header.SclInter != 0))
        {
            var inter = float.IsFinite(header.SclInter) ? header.SclInter : 0;
            for (var i = 0; i < voxels.Length; i++) voxels[i] = voxels[i] * header.SclSlope + inter;
        }

        var (grid, source) = BuildGrid(path, header, sx, sy, sz, warnings);
        return new NiftiImage { FilePath = path, Header = header, Grid = grid, Voxels = voxels, TransformSource = source, Warnings = warnings };
    }

    private static NiftiHeader ParseHeader(string path, byte[] h)
    {
        var size = BinaryPrimitives.ReadInt32LittleEndian(h);
        bool big;
        if (size == NiftiHeader.HeaderSize) big = false;
        else if (BinaryPrimitives.ReadInt32BigEndian(h) == NiftiHeader.HeaderSize) big = true;
        else if (size == 540 || BinaryPrimitives.ReadInt32BigEndian(h) == 540)
            throw new ImageFormatException(path, 0, "this is a NIfTI-2 file (sizeof_hdr 540); FedRad reads NIfTI-1 — convert it, e.g. with nibabel's Nifti1Image");
        else
            throw new ImageFormatException(path, 0, $"sizeof_hdr is {size}, not 348: not a NIfTI-1 file (or not gzip-compressed as the name suggests)");
        var magic = System.Text.Encoding.ASCII.GetString(h, 344, 3);
        if (magic != "n+1" && magic != "ni1")
            throw new ImageFormatException(path, 344, $"magic is '{magic}', expected 'n+1' (single file) — ANALYZE 7.5 files are not read");
        if (magic == "ni1")
            throw new ImageFormatException(path, 344, "magic 'ni1' means a .hdr/.img pair; convert it to a single .nii/.nii.gz file");

        short S(int o) => big ? BinaryPrimitives.ReadInt16BigEndian(h.AsSpan(o)) : BinaryPrimitives.ReadInt16LittleEndian(h.AsSpan(o));
        float F(int o) => big ? BinaryPrimitives.ReadSingleBigEndian(h.AsSpan(o)) : BinaryPrimitives.ReadSingleLittleEndian(h.AsSpan(o));
        float[] Fs(int o, int k) { var a = new float[k]; for (var i = 0; i < k; i++) a[i] = F(o + 4 * i); return a; }

        var dim = new short[8];
        for (var i = 0; i < 8; i++) dim[i] = S(40 + 2 * i);
        if (dim[0] < 1 || dim[0] > 7)
            throw new ImageFormatException(path, 40, $"dim[0] = {dim[0]} is outside 1..7");
        var descrip = System.Text.Encoding.ASCII.GetString(h, 148, 80).TrimEnd('\0', ' ');
        return new NiftiHeader
        {
            Dim = dim, DataType = S(70), BitPix = S(72), PixDim = Fs(76, 8), VoxOffset = F(108),
            SclSlope = F(112), SclInter = F(116), XyztUnits = h[123], QformCode = S(252), SformCode = S(254),
            QuaternB = F(256), QuaternC = F(260), QuaternD = F(264), QoffsetX = F(268), QoffsetY = F(272), QoffsetZ = F(276),
            SrowX = Fs(280, 4), SrowY = Fs(296, 4), SrowZ = Fs(312, 4), Description = descrip, BigEndian = big,
        };
    }

    private static float[] Convert(byte[] raw, short type, bool big, int count)
    {
        var v = new float[count];
        var s = raw.AsSpan();
        switch (type)
        {
            case NiftiHeader.TypeUInt8: for (var i = 0; i < count; i++) v[i] = raw[i]; break;
            case NiftiHeader.TypeInt8: for (var i = 0; i < count; i++) v[i] = (sbyte)raw[i]; break;
            case NiftiHeader.TypeInt16:
                for (var i = 0; i < count; i++) v[i] = big ? BinaryPrimitives.ReadInt16BigEndian(s[(2 * i)..]) : BinaryPrimitives.ReadInt16LittleEndian(s[(2 * i)..]);
                break;
            case NiftiHeader.TypeUInt16:
                for (var i = 0; i < count; i++) v[i] = big ? BinaryPrimitives.ReadUInt16BigEndian(s[(2 * i)..]) : BinaryPrimitives.ReadUInt16LittleEndian(s[(2 * i)..]);
                break;
            case NiftiHeader.TypeInt32:
                for (var i = 0; i < count; i++) v[i] = big ? BinaryPrimitives.ReadInt32BigEndian(s[(4 * i)..]) : BinaryPrimitives.ReadInt32LittleEndian(s[(4 * i)..]);
                break;
            case NiftiHeader.TypeUInt32:
                for (var i = 0; i < count; i++) v[i] = big ? BinaryPrimitives.ReadUInt32BigEndian(s[(4 * i)..]) : BinaryPrimitives.ReadUInt32LittleEndian(s[(4 * i)..]);
                break;
            case NiftiHeader.TypeFloat32:
                for (var i = 0; i < count; i++) v[i] = big ? BinaryPrimitives.ReadSingleBigEndian(s[(4 * i)..]) : BinaryPrimitives.ReadSingleLittleEndian(s[(4 * i)..]);
                break;
            case NiftiHeader.TypeFloat64:
                for (var i = 0; i < count; i++) v[i] = (float)(big ? BinaryPrimitives.ReadDoubleBigEndian(s[(8 * i)..]) : BinaryPrimitives.ReadDoubleLittleEndian(s[(8 * i)..]));
                break;
            case NiftiHeader.TypeInt64:
                for (var i = 0; i < count; i++) v[i] = big ? BinaryPrimitives.ReadInt64BigEndian(s[(8 * i)..]) : BinaryPrimitives.ReadInt64LittleEndian(s[(8 * i)..]);
                break;
            case NiftiHeader.TypeUInt64:
                for (var i = 0; i < count; i++) v[i] = big ? BinaryPrimitives.ReadUInt64BigEndian(s[(8 * i)..]) : BinaryPrimitives.ReadUInt64LittleEndian(s[(8 * i)..]);
                break;
        }
        return v;
    }

    /// <summary>The voxel-to-world affine in NIfTI RAS (3x4, mm) chosen by the sform/qform precedence.</summary>
    public static (double[,] Affine, string Source) Affine(NiftiHeader h)
    {
        var unit = h.SpatialUnitToMm;
        if (h.SformCode > 0)
        {
            var a = new double[3, 4];
            float[][] rows = [h.SrowX, h.SrowY, h.SrowZ];
            for (var r = 0; r < 3; r++) for (var c = 0; c < 4; c++) a[r, c] = rows[r][c] * unit;
            return (a, "sform");
        }
        if (h.QformCode > 0) return (QformAffine(h, unit), "qform");
        var p = new double[3, 4];
        for (var d = 0; d < 3; d++) p[d, d] = (h.PixDim[d + 1] == 0 ? 1 : Math.Abs(h.PixDim[d + 1])) * unit;
        return (p, "pixdim");
    }

    private static double[,] QformAffine(NiftiHeader h, double unit)
    {
        double b = h.QuaternB, c = h.QuaternC, d = h.QuaternD;
        var aa = 1.0 - (b * b + c * c + d * d);
        var a = aa < 1e-7 ? 0 : Math.Sqrt(aa);   // nifti1.h: a = 0 when b,c,d describe a 180° rotation
        double[,] r =
        {
            { a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c) },
            { 2 * (b * c + a * d), a * a + c * c - b * b - d * d, 2 * (c * d - a * b) },
            { 2 * (b * d - a * c), 2 * (c * d + a * b), a * a + d * d - c * c - b * b },
        };
        var qfac = h.PixDim[0] < 0 ? -1.0 : 1.0;   // pixdim[0] = 0 is treated as 1 (nifti1.h)
        double[] size = [Math.Abs(h.PixDim[1]), Math.Abs(h.PixDim[2]), Math.Abs(h.PixDim[3]) * qfac];
        var m = new double[3, 4];
        for (var row = 0; row < 3; row++)
            for (var col = 0; col < 3; col++)
                m[row, col] = r[row, col] * (size[col] == 0 ? 1 : size[col]) * unit;
        m[0, 3] = h.QoffsetX * unit; m[1, 3] = h.QoffsetY * unit; m[2, 3] = h.QoffsetZ * unit;
        return m;
    }

    private static (ImageGrid, string) BuildGrid(string path, NiftiHeader h, int sx, int sy, int sz, List<string> warnings)
    {
        var (m, source) = Affine(h);
        if (h.SformCode > 0 && h.QformCode > 0)
        {
            var q = QformAffine(h, h.SpatialUnitToMm);
            var worst = 0.0;
            foreach (var (i, j, k) in new[] { (0, 0, 0), (sx - 1, sy - 1, sz - 1) })
                for (var r = 0; r < 3; r++)
                    worst = Math.Max(worst, Math.Abs((m[r, 0] - q[r, 0]) * i + (m[r, 1] - q[r, 1]) * j + (m[r, 2] - q[r, 2]) * k + m[r, 3] - q[r, 3]));
            if (worst > 0.01)
                warnings.Add($"{path}: sform and qform disagree by up to {worst:0.###} mm at the image corners; the sform was used");
        }
        // RAS (NIfTI) -> LPS (DICOM): negate the x and y rows.
        Vec3 Col(int c) => new(-m[0, c], -m[1, c], m[2, c]);
        Vec3 ci = Col(0), cj = Col(1), ck = Col(2);
        var origin = Col(3);
        double dx = ci.Length, dy = cj.Length, dz = ck.Length;
        if (dx == 0 || dy == 0 || dz == 0 || !double.IsFinite(dx + dy + dz))
            throw new ImageFormatException(path, source == "sform" ? 280 : 76, $"the {source} transform has a zero or non-finite voxel size ({dx}, {dy}, {dz})");
        Vec3 ui = ci * (1 / dx), uj = cj * (1 / dy), uk = ck * (1 / dz);
        var shear = Math.Max(Math.Abs(ui.Dot(uj)), Math.Max(Math.Abs(ui.Dot(uk)), Math.Abs(uj.Dot(uk))));
        if (shear > 1e-4)
            throw new ImageFormatException(path, 280, $"the {source} transform is not orthogonal (largest axis cosine {shear:0.####}); sheared grids are not supported");
        return (new ImageGrid(sx, sy, sz, dx, dy, dz, origin, ui, uj, uk), source);
    }
}
