namespace FedRad.Dicom;

/// <summary>A parsed DICOM file: file meta information, the data set, and how it was encoded.</summary>
public sealed class DicomFile
{
    public required string Path { get; init; }
    /// <summary>Group 0002 elements; empty when the file had no file meta information.</summary>
    public required DicomDataset FileMeta { get; init; }
    public required DicomDataset Dataset { get; init; }
    public required TransferSyntax TransferSyntax { get; init; }
    /// <summary>True when the file had the 128-byte preamble and "DICM".</summary>
    public required bool HasPreamble { get; init; }
    /// <summary>Non-fatal irregularities found while reading (duplicate tags, odd lengths, guessed transfer syntax, ...).</summary>
    public required IReadOnlyList<string> Warnings { get; init; }

    public static DicomFile Open(string path, DicomReadOptions? options = null) => DicomReader.Read(path, options);
}

/// <summary>Limits that keep hostile or broken files from exhausting the stack or memory.</summary>
public sealed record DicomReadOptions
{
    /// <summary>Deepest sequence nesting accepted (real files rarely exceed 6).</summary>
    public int MaxSequenceDepth { get; init; } = 64;
    /// <summary>Largest inflated size of a deflated data set.</summary>
    public long MaxInflatedBytes { get; init; } = 1L << 30;
    /// <summary>Largest file read (a .NET array holds at most about 2 GiB).</summary>
    public long MaxFileBytes { get; init; } = Array.MaxLength;

    public static readonly DicomReadOptions Default = new();
}
