using System.Buffers.Binary;

namespace FedRad.Dicom;

/// <summary>
/// Writes Part 10 files in explicit VR little endian: preamble, "DICM", file meta information built from the data
/// set's SOP Class/Instance UIDs, then the data set. Sequences and items get defined lengths. Values read from a
/// big-endian file are swapped to little endian. Encapsulated pixel data is not written.
/// </summary>
public static class DicomWriter
{
    public static void Write(string path, DicomDataset dataset)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        File.WriteAllBytes(path, Serialize(dataset));
    }

    public static byte[] Serialize(DicomDataset dataset)
    {
        var sopClass = dataset.GetString(DicomTags.SOPClassUID) ?? throw new ArgumentException("the data set needs a SOP Class UID (0008,0016) to be written as a file");
        var sopInstance = dataset.GetString(DicomTags.SOPInstanceUID) ?? throw new ArgumentException("the data set needs a SOP Instance UID (0008,0018) to be written as a file");
        var meta = new DicomDataset();
        meta.AddBytes(DicomTags.FileMetaInformationVersion, DicomVR.OB, [0, 1]);
        meta.Add(DicomTags.MediaStorageSOPClassUID, sopClass);
        meta.Add(DicomTags.MediaStorageSOPInstanceUID, sopInstance);
        meta.Add(DicomTags.TransferSyntaxUID, TransferSyntax.ExplicitVRLittleEndian.Uid);
        meta.Add(DicomTags.ImplementationClassUID, DicomUid.ImplementationClassUid);
        meta.Add(DicomTags.ImplementationVersionName, DicomUid.ImplementationVersionName);
        var metaBody = new MemoryStream();
        WriteDataset(metaBody, meta);

        var output = new MemoryStream();
        output.Write(new byte[128]);
        output.Write("DICM"u8);
        var groupLength = new DicomDataset().AddNumbers(DicomTags.FileMetaInformationGroupLength, DicomVR.UL, metaBody.Length);
        WriteDataset(output, groupLength);
        metaBody.Position = 0;
        metaBody.CopyTo(output);
        WriteDataset(output, dataset);
        return output.ToArray();
    }

    private static void WriteDataset(Stream s, DicomDataset ds)
    {
        foreach (var e in ds.Elements)
        {
            if (e.Tag.Group == 0x0002 && ds.Contains(DicomTags.SOPClassUID)) continue;   // file meta lives only in the meta group
            WriteElement(s, e);
        }
    }

    private static void WriteElement(Stream s, DicomElement e)
    {
        if (e.Fragments is not null)
            throw new NotSupportedException($"{e.Tag}: encapsulated pixel data is not written; decode the frames and write native pixels");
        Span<byte> header = stackalloc byte[12];
        BinaryPrimitives.WriteUInt16LittleEndian(header, e.Tag.Group);
        BinaryPrimitives.WriteUInt16LittleEndian(header[2..], e.Tag.Element);
        var vr = e.VR.ToString();
        header[4] = (byte)vr[0];
        header[5] = (byte)vr[1];
        ReadOnlySpan<byte> value;
        if (e.Items is { } items)
        {
            var body = new MemoryStream();
            foreach (var item in items)
            {
                var itemBody = new MemoryStream();
                WriteDataset(itemBody, item);
                Span<byte> itemHeader = new byte[8];
                BinaryPrimitives.WriteUInt16LittleEndian(itemHeader, DicomTag.Item.Group);
                BinaryPrimitives.WriteUInt16LittleEndian(itemHeader[2..], DicomTag.Item.Element);
                BinaryPrimitives.WriteUInt32LittleEndian(itemHeader[4..], checked((uint)itemBody.Length));
                body.Write(itemHeader);
                itemBody.Position = 0;
                itemBody.CopyTo(body);
            }
            value = body.ToArray();
        }
        else value = e.BigEndian ? Swap(e) : e.Value.Span;

        if (e.VR.HasLongLength())
        {
            header[6] = header[7] = 0;
            BinaryPrimitives.WriteUInt32LittleEndian(header[8..], checked((uint)value.Length));
            s.Write(header[..12]);
        }
        else
        {
            if (value.Length > ushort.MaxValue - 1)
                throw new ArgumentException($"{e.Tag} {e.VR}: {value.Length} bytes do not fit a 16-bit length");
            BinaryPrimitives.WriteUInt16LittleEndian(header[6..], (ushort)value.Length);
            s.Write(header[..8]);
        }
        s.Write(value);
    }

    private static byte[] Swap(DicomElement e)
    {
        var bytes = e.Value.ToArray();
        var size = e.VR.BinarySize();
        if (size > 1)
            for (var i = 0; i + size <= bytes.Length; i += size)
                // AT swaps group and element separately.
                if (e.VR == DicomVR.AT) { Array.Reverse(bytes, i, 2); Array.Reverse(bytes, i + 2, 2); }
                else Array.Reverse(bytes, i, size);
        return bytes;
    }
}
