namespace FedRad.Dicom;

/// <summary>How pixel data of a transfer syntax is stored, and so which decoder applies.</summary>
public enum PixelEncoding { Native, Rle, JpegLossless, Unsupported }

/// <summary>A transfer syntax (PS3.5 section 10, PS3.6 annex A) and what FedRad does with it.</summary>
public sealed record TransferSyntax(string Uid, string Name, bool ExplicitVR, bool BigEndian, bool Deflated, PixelEncoding Pixels, bool Lossy = false)
{
    public static readonly TransferSyntax ImplicitVRLittleEndian = new("1.2.840.10008.1.2", "Implicit VR Little Endian", false, false, false, PixelEncoding.Native);
    public static readonly TransferSyntax ExplicitVRLittleEndian = new("1.2.840.10008.1.2.1", "Explicit VR Little Endian", true, false, false, PixelEncoding.Native);
    public static readonly TransferSyntax DeflatedExplicitVRLittleEndian = new("1.2.840.10008.1.2.1.99", "Deflated Explicit VR Little Endian", true, false, true, PixelEncoding.Native);
    public static readonly TransferSyntax ExplicitVRBigEndian = new("1.2.840.10008.1.2.2", "Explicit VR Big Endian (retired)", true, true, false, PixelEncoding.Native);
    public static readonly TransferSyntax RleLossless = new("1.2.840.10008.1.2.5", "RLE Lossless", true, false, false, PixelEncoding.Rle);
    public static readonly TransferSyntax JpegLosslessProcess14 = new("1.2.840.10008.1.2.4.57", "JPEG Lossless, Non-Hierarchical (Process 14)", true, false, false, PixelEncoding.JpegLossless);
    public static readonly TransferSyntax JpegLosslessSV1 = new("1.2.840.10008.1.2.4.70", "JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14, Selection Value 1)", true, false, false, PixelEncoding.JpegLossless);

    private static readonly TransferSyntax[] Known =
    [
        ImplicitVRLittleEndian, ExplicitVRLittleEndian, DeflatedExplicitVRLittleEndian, ExplicitVRBigEndian, RleLossless,
        JpegLosslessProcess14, JpegLosslessSV1,
        Encapsulated("1.2.840.10008.1.2.4.50", "JPEG Baseline (Process 1)", lossy: true),
        Encapsulated("1.2.840.10008.1.2.4.51", "JPEG Extended (Process 2 & 4)", lossy: true),
        Encapsulated("1.2.840.10008.1.2.4.80", "JPEG-LS Lossless"),
        Encapsulated("1.2.840.10008.1.2.4.81", "JPEG-LS Lossy (Near-Lossless)", lossy: true),
        Encapsulated("1.2.840.10008.1.2.4.90", "JPEG 2000 (Lossless Only)"),
        Encapsulated("1.2.840.10008.1.2.4.91", "JPEG 2000", lossy: true),
        Encapsulated("1.2.840.10008.1.2.4.201", "High-Throughput JPEG 2000 (Lossless Only)"),
        Encapsulated("1.2.840.10008.1.2.4.202", "High-Throughput JPEG 2000 with RPCL Options (Lossless Only)"),
        Encapsulated("1.2.840.10008.1.2.4.203", "High-Throughput JPEG 2000", lossy: true),
        Encapsulated("1.2.840.10008.1.2.8.1", "Deflated Image Frame Compression"),
        Encapsulated("1.2.840.10008.1.2.4.100", "MPEG2 Main Profile / Main Level", lossy: true),
        Encapsulated("1.2.840.10008.1.2.4.102", "MPEG-4 AVC/H.264 High Profile", lossy: true),
    ];

    private static TransferSyntax Encapsulated(string uid, string name, bool lossy = false) =>
        new(uid, name, true, false, false, PixelEncoding.Unsupported, lossy);

    /// <summary>The syntax for a UID; an unknown UID is taken as encapsulated explicit VR little endian (PS3.5 A.4) with undecodable pixels.</summary>
    public static TransferSyntax FromUid(string uid)
    {
        uid = uid.Trim().TrimEnd('\0');
        return Known.FirstOrDefault(t => t.Uid == uid) ?? new TransferSyntax(uid, $"unknown transfer syntax {uid}", true, false, false, PixelEncoding.Unsupported);
    }

    public bool IsEncapsulated => Pixels is not PixelEncoding.Native;

    /// <summary>What to run to turn a file in this syntax into one FedRad decodes.</summary>
    public string ConversionAdvice => Uid switch
    {
        "1.2.840.10008.1.2.4.50" or "1.2.840.10008.1.2.4.51" => "decompress it first with `dcmdjpeg IN OUT` (dcmtk) or `gdcmconv --raw IN OUT`",
        "1.2.840.10008.1.2.4.80" or "1.2.840.10008.1.2.4.81" => "decompress it first with `gdcmconv --raw IN OUT` (GDCM) or `dcmdjpls IN OUT` (dcmtk)",
        _ => "decompress it first with `gdcmconv --raw IN OUT` (GDCM)",
    } + (Lossy ? "; note this syntax is lossy, so pixel values are not the originals" : "");

    public override string ToString() => $"{Name} ({Uid})";
}
