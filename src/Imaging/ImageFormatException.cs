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
}
