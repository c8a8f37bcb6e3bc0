namespace FedRad.Dicom.Pixels;

/// <summary>The Image Pixel module attributes that say how to read Pixel Data (PS3.3 C.7.6.3).</summary>
public sealed record PixelDescription(
    int Rows, int Columns, int Frames, int SamplesPerPixel, int BitsAllocated, int BitsStored, int HighBit,
    bool Signed, string Photometric, int PlanarConfiguration)
{
    public int SamplesPerFrame => Rows * Columns * SamplesPerPixel;

    /// <summary>Reads and checks the attributes; a missing or inconsistent one is an error naming it.</summary>
    public static PixelDescription From(DicomDataset ds, string path)
    {
        try { return Read(ds, path); }
        catch (FormatException e) { throw new DicomFormatException(path, -1, $"Image Pixel attribute unusable: {e.Message}", e); }
    }

    private static PixelDescription Read(DicomDataset ds, string path)
    {
        int Required(DicomTag tag, string name) =>
            ds.GetInt(tag) ?? throw new DicomFormatException(path, -1, $"{name} {tag} is missing, so Pixel Data cannot be read");
        var rows = Required(DicomTags.Rows, "Rows");
        var cols = Required(DicomTags.Columns, "Columns");
        var bitsAllocated = Required(DicomTags.BitsAllocated, "Bits Allocated");
        var bitsStored = ds.GetInt(DicomTags.BitsStored) ?? bitsAllocated;
        var highBit = ds.GetInt(DicomTags.HighBit) ?? bitsStored - 1;
        var spp = ds.GetInt(DicomTags.SamplesPerPixel) ?? 1;
        var frames = ds.GetInt(DicomTags.NumberOfFrames) ?? 1;
        var signed = (ds.GetInt(DicomTags.PixelRepresentation) ?? 0) == 1;
        var photometric = ds.GetString(DicomTags.PhotometricInterpretation) ?? "MONOCHROME2";
        var planar = ds.GetInt(DicomTags.PlanarConfiguration) ?? 0;
        if (rows <= 0 || cols <= 0) throw new DicomFormatException(path, -1, $"image size {rows}x{cols} is not positive");
        if (frames <= 0) throw new DicomFormatException(path, -1, $"Number of Frames is {frames}");
        if (bitsAllocated is not (1 or 8 or 16 or 32))
            throw new DicomFormatException(path, -1, $"Bits Allocated {bitsAllocated} is not supported (1, 8, 16 or 32)");
        if (bitsStored < 1 || bitsStored > bitsAllocated || highBit < bitsStored - 1 || highBit >= bitsAllocated)
            throw new DicomFormatException(path, -1, $"Bits Stored {bitsStored} / High Bit {highBit} do not fit Bits Allocated {bitsAllocated}");
        if (spp is not (1 or 3)) throw new DicomFormatException(path, -1, $"Samples per Pixel {spp} is not supported (1 or 3)");
        if ((long)rows * cols * spp * frames > int.MaxValue)
            throw new DicomFormatException(path, -1, $"{frames} frames of {rows}x{cols}x{spp} samples exceed what one array can hold");
        return new PixelDescription(rows, cols, frames, spp, bitsAllocated, bitsStored, highBit, signed, photometric, planar);
    }
}
