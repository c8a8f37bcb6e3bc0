using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace FedRad.Imaging.Nifti;

/// <summary>
/// Writes 3D NIfTI-1 single files (.nii, or gzip when the name ends in .gz) with both the sform and an equivalent
/// qform (codes 1, scanner), little endian. Images are float32, masks uint8 (0/1).
/// </summary>
public static class NiftiWriter
{
    public static void Write(string path, ImageVolume image) =>
        Write(path, image.Grid, NiftiHeader.TypeFloat32, 32, image.Voxels.Length, (span, n) => BinaryPrimitives.WriteSingleLittleEndian(span, image.Voxels[n]));

    public static void Write(string path, MaskVolume mask) =>
        Write(path, mask.Grid, NiftiHeader.TypeUInt8, 8, mask.Voxels.Length, (span, n) => span[0] = mask.Voxels[n] ? (byte)1 : (byte)0);

    private delegate void VoxelWriter(Span<byte> destination, int index);

    private static void Write(string path, ImageGrid g, short type, short bitpix, int count, VoxelWriter voxel)
    {
        var bpv = bitpix / 8;
        var buf = new byte[352 + (long)count * bpv];
        var h = buf.AsSpan();
        BinaryPrimitives.WriteInt32LittleEndian(h, NiftiHeader.HeaderSize);
        h[39] = 0;
        short[] dim = [3, (short)g.SizeX, (short)g.SizeY, (short)g.SizeZ, 1, 1, 1, 1];
        if (g.SizeX > short.MaxValue || g.SizeY > short.MaxValue || g.SizeZ > short.MaxValue)
            throw new ArgumentException($"grid {g.SizeX}x{g.SizeY}x{g.SizeZ} does not fit NIfTI-1 (max {short.MaxValue} per axis)");
        for (var i = 0; i < 8; i++) BinaryPrimitives.WriteInt16LittleEndian(h[(40 + 2 * i)..], dim[i]);
        BinaryPrimitives.WriteInt16LittleEndian(h[70..], type);
        BinaryPrimitives.WriteInt16LittleEndian(h[72..], bitpix);

        // LPS axes -> RAS columns; a left-handed frame is expressed with qfac = -1 (nifti1.h).
        Vec3 Ras(Vec3 v) => new(-v.X, -v.Y, v.Z);
        Vec3 ci = Ras(g.AxisI), cj = Ras(g.AxisJ), ck = Ras(g.AxisK);
        var qfac = ci.Cross(cj).Dot(ck) < 0 ? -1f : 1f;
        var (qb, qc, qd) = Quaternion(ci, cj, ck * qfac);
        float[] pixdim = [qfac, (float)g.SpacingX, (float)g.SpacingY, (float)g.SpacingZ, 0, 0, 0, 0];
        for (var i = 0; i < 8; i++) BinaryPrimitives.WriteSingleLittleEndian(h[(76 + 4 * i)..], pixdim[i]);
        BinaryPrimitives.WriteSingleLittleEndian(h[108..], 352f);   // vox_offset
        BinaryPrimitives.WriteSingleLittleEndian(h[112..], 1f);     // scl_slope
        h[123] = 2;                                                  // NIFTI_UNITS_MM
        Encoding.ASCII.GetBytes("FedRad").CopyTo(h[148..]);
        BinaryPrimitives.WriteInt16LittleEndian(h[252..], 1);
        BinaryPrimitives.WriteInt16LittleEndian(h[254..], 1);
        var o = Ras(g.Origin);
        float[] q = [(float)qb, (float)qc, (float)qd, (float)o.X, (float)o.Y, (float)o.Z];
        for (var i = 0; i < 6; i++) BinaryPrimitives.WriteSingleLittleEndian(h[(256 + 4 * i)..], q[i]);
        Vec3[] cols = [ci * g.SpacingX, cj * g.SpacingY, ck * g.SpacingZ];
        double[] originRow = [o.X, o.Y, o.Z];
        for (var r = 0; r < 3; r++)
        {
            double[] row = [Comp(cols[0], r), Comp(cols[1], r), Comp(cols[2], r), originRow[r]];
            for (var c = 0; c < 4; c++) BinaryPrimitives.WriteSingleLittleEndian(h[(280 + 16 * r + 4 * c)..], (float)row[c]);
        }
        Encoding.ASCII.GetBytes("n+1\0").CopyTo(h[344..]);
        for (var n = 0; n < count; n++) voxel(h.Slice(352 + n * bpv, bpv), n);

        using var file = File.Create(path);
        if (path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase))
        {
            using var gz = new GZipStream(file, CompressionLevel.Optimal);
            gz.Write(buf);
        }
        else file.Write(buf);
    }

    private static double Comp(Vec3 v, int r) => r == 0 ? v.X : r == 1 ? v.Y : v.Z;

    /// <summary>Quaternion (b, c, d) of a proper rotation with columns i, j, k (a ≥ 0, as nifti1.h requires).</summary>
    private static (double B, double C, double D) Quaternion(Vec3 i, Vec3 j, Vec3 k)
    {
        double r11 = i.X, r21 = i.Y, r31 = i.Z, r12 = j.X, r22 = j.Y, r32 = j.Z, r13 = k.X, r23 = k.Y, r33 = k.Z;
        var trace = r11 + r22 + r33;
        double a, b, c, d;
        if (trace > 0)
        {
            var s = Math.Sqrt(trace + 1) * 2;
            a = 0.25 * s; b = (r32 - r23) / s; c = (r13 - r31) / s; d = (r21 - r12) / s;
        }
        else if (r11 > r22 && r11 > r33)
        {
            var s = Math.Sqrt(1 + r11 - r22 - r33) * 2;
            a = (r32 - r23) / s; b = 0.25 * s; c = (r12 + r21) / s; d = (r13 + r31) / s;
        }
        else if (r22 > r33)
        {
            var s = Math.Sqrt(1 + r22 - r11 - r33) * 2;
            a = (r13 - r31) / s; b = (r12 + r21) / s; c = 0.25 * s; d = (r23 + r32) / s;
        }
        else
        {
            var s = Math.Sqrt(1 + r33 - r11 - r22) * 2;
            a = (r21 - r12) / s; b = (r13 + r31) / s; c = (r23 + r32) / s; d = 0.25 * s;
        }
        return a < 0 ? (-b, -c, -d) : (b, c, d);
    }
}
