namespace FedRad.Imaging;

/// <summary>
/// An image or region-of-interest file that cannot be used: names the file, the byte offset (or -1 when the
/// problem is not at one place) and what was wrong.
/// </summary>
public sealed class ImageFormatException : Exception
{
    public string FilePath { get; }
    public long Offset { get; }

    public ImageFormatException(string filePath, long offset, string message, Exception? inner = null)
        : base(offset >= 0 ? $"{filePath} at byte {offset}: {message}" : $"{filePath}: {message}", inner)
    {
        FilePath = filePath;
        Offset = offset;
    }

    /// <summary>The Imaging API reports every unusable file as an <see cref="ImageFormatException"/>, DICOM ones included.</summary>
    public static ImageFormatException From(FedRad.Dicom.DicomFormatException e) => new(e.FilePath, e.Offset, e.Reason, e);

    /// <summary>Runs a DICOM read, turning a <see cref="FedRad.Dicom.DicomFormatException"/> into an <see cref="ImageFormatException"/>.</summary>
    public static T Wrap<T>(Func<T> read)
    {
        try { return read(); }
        catch (FedRad.Dicom.DicomFormatException e) { throw From(e); }
    }
}
