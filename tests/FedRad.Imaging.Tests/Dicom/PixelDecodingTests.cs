using System.Globalization;
using FedRad.Dicom;
using FedRad.Dicom.Pixels;

namespace FedRad.Imaging.Tests.Dicom;

/// <summary>
/// Decoded pixels against dcmtk/GDCM: each file is converted to native explicit VR little endian by a reference tool,
/// its Pixel Data bytes are written out by `dcmdump +W`, and every stored value must equal FedRad's decode.
/// </summary>
public class PixelDecodingTests
{
    public static TheoryData<string, string> Cases => new()
    {
        { "pet_ts_variants/sts001_1-100_orig_implicit.dcm", "dcmconv" },
        { "pet_ts_variants/sts001_1-100_be.dcm", "dcmconv" },
        { "pet_ts_variants/sts001_1-100_dfl.dcm", "dcmconv" },
        { "pet_ts_variants/sts001_1-100_rle.dcm", "dcmdrle" },
        { "pet_ts_variants/sts001_1-100_jll.dcm", "dcmdjpeg" },
        { "pet_ts_variants/sts001_1-100_jll.dcm", "gdcmconv" },
        { "transfer_syntaxes/pydicom/MR_small_bigendian.dcm", "dcmconv" },
        { "transfer_syntaxes/pydicom/MR_small_RLE.dcm", "dcmdrle" },
        { "transfer_syntaxes/pydicom/CT_small.dcm", "dcmconv" },
        { "transfer_syntaxes/pydicom/image_dfl.dcm", "dcmconv" },
        { "transfer_syntaxes/pydicom-data/emri_small_big_endian.dcm", "dcmconv" },   // 10 frames, 12 bits stored
        { "transfer_syntaxes/pydicom-data/emri_small_RLE.dcm", "gdcmconv" },
        { "transfer_syntaxes/pydicom-data/JPEG-LL.dcm", "dcmdjpeg" },               // 1024x256 NM, signed
        { "pet_single/fodicom_GH184_PT_jpegll.dcm", "dcmdjpeg" },
        { "pet_single/fodicom_GH610_PT_PROPCPS_jpegll.dcm", "gdcmconv" },
        { "pet_single/acrin_flt_breast_1_PT_wholebody.dcm", "dcmconv" },
        { "seg_small/dcmqi_24x38x3/seg/label.seg", "dcmconv" },                    // 1 bit, 3 frames
        { "seg_small/dcmqi_liver/liver_seg.dcm", "dcmconv" },
        { "seg_small/dcmqi_24x38x3/multiframe/mf.dcm", "dcmconv" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void DecodedValuesMatchReferenceTool(string relative, string tool)
    {
        var path = TestData.Path("dicom", relative);
        using var dir = TestData.Temp();
        var native = dir.File("native.dcm");
        _ = tool switch
        {
            "dcmconv" => ExternalTool.Run("dcmconv", "+te", path, native),
            "dcmdrle" => ExternalTool.Run("dcmdrle", "+te", path, native),
            "dcmdjpeg" => ExternalTool.Run("dcmdjpeg", "+te", path, native),
            _ => ExternalTool.Run("gdcmconv", "--raw", "--explicit", path, native),
        };
        var header = ExternalTool.Run("dcmdump", "-q", "+W", dir.Path, native);
        int Us(string tag) => int.Parse(System.Text.RegularExpressions.Regex.Match(header, $@"\({tag}\) US (\d+)").Groups[1].Value, CultureInfo.InvariantCulture);
        int bitsAllocated = Us("0028,0100"), bitsStored = Us("0028,0101"), highBit = Us("0028,0102");
        var signed = Us("0028,0103") == 1;
        // An icon image (0088,0200) has its own Pixel Data; the image's is the largest.
        var raw = File.ReadAllBytes(Directory.GetFiles(dir.Path, "*.raw").MaxBy(f => new FileInfo(f).Length)!);

        var pixels = DicomPixelData.From(DicomReader.Read(path));
        var d = pixels.Description;
        var perFrame = d.SamplesPerFrame;
        for (var f = 0; f < d.Frames; f++)
        {
            var values = pixels.DecodeFrame(f);
            for (var i = 0; i < perFrame; i++)
            {
                var n = (long)f * perFrame + i;
                long stored = bitsAllocated switch
                {
                    1 => (raw[n >> 3] >> (int)(n & 7)) & 1,
                    8 => raw[n],
                    16 => BitConverter.ToUInt16(raw, (int)(2 * n)),
                    _ => BitConverter.ToUInt32(raw, (int)(4 * n)),
                };
                if (bitsAllocated > 1)
                {
                    stored = (stored >> (highBit + 1 - bitsStored)) & ((1L << bitsStored) - 1);
                    if (signed && stored >= 1L << (bitsStored - 1)) stored -= 1L << bitsStored;
                }
                if (values[i] != stored)
                    Assert.Fail($"{relative} frame {f} sample {i}: FedRad {values[i]}, {tool} {stored}");
            }
        }
    }

    [Fact]
    public void AllTransferSyntaxVariantsOfOnePetSliceDecodeIdentically()
    {
        var reference = DicomPixelData.From(DicomReader.Read(TestData.Path("dicom", "pet_ts_variants", "sts001_1-100_orig_implicit.dcm"))).DecodeFrame(0);
        Assert.Contains(reference, v => v > 1000);
        foreach (var variant in new[] { "be", "dfl", "rle", "jll" })
        {
            var values = DicomPixelData.From(DicomReader.Read(TestData.Path("dicom", "pet_ts_variants", $"sts001_1-100_{variant}.dcm"))).DecodeFrame(0);
            Assert.Equal(reference, values);
        }
    }

    [Theory]
    [InlineData("pet_ts_variants/sts001_1-100_jls.dcm", "1.2.840.10008.1.2.4.80", "gdcmconv --raw")]
    [InlineData("pet_ts_variants/sts001_1-100_j2k.dcm", "1.2.840.10008.1.2.4.90", "gdcmconv --raw")]
    [InlineData("transfer_syntaxes/pydicom/JPEG2000.dcm", "1.2.840.10008.1.2.4.91", "gdcmconv --raw")]
    [InlineData("transfer_syntaxes/pydicom/JPGExtended.dcm", "1.2.840.10008.1.2.4.51", "dcmdjpeg")]
    [InlineData("transfer_syntaxes/pydicom/SC_rgb_jpeg_dcmtk.dcm", "1.2.840.10008.1.2.4.50", "dcmdjpeg")]
    [InlineData("transfer_syntaxes/pydicom/JPEGLSNearLossless_16.dcm", "1.2.840.10008.1.2.4.81", "gdcmconv --raw")]
    [InlineData("transfer_syntaxes/pydicom-data/liver_deflate.dcm", "1.2.840.10008.1.2.8.1", "gdcmconv --raw")]
    public void UnsupportedCompressionNamesSyntaxAndConversion(string relative, string uid, string advice)
    {
        var path = TestData.Path("dicom", relative);
        var file = DicomReader.Read(path);   // the header still reads
        var e = Assert.Throws<DicomFormatException>(() => DicomPixelData.From(file));
        Assert.Contains(uid, e.Message);
        Assert.Contains(advice, e.Message);
        Assert.Contains(Path.GetFileName(path), e.Message);
    }
}
