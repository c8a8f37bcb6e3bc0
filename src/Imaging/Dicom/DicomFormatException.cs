namespace FedRad.Dicom;

/// <summary>A file that is not valid DICOM, or that FedRad cannot decode: names the file and the byte offset.</summary>
public sealed class DicomFormatException : Exception
{
    public string FilePath { get; }
    /// <summary>Byte offset in the file where the problem was found; -1 when not tied to one place.</summary>
    public long Offset { get; }
    /// <summary>What was wrong, without the file and offset.</summary>
    public string Reason { get; }

    public DicomFormatException(string filePath, long offset, string message, Exception? inner = null)
        : base(offset >= 0 ? $"{filePath} at byte {offset}: {message}" : $"{filePath}: {message}", inner)
    {
        FilePath = filePath;
        Offset = offset;
        Reason = message;
    }
}
