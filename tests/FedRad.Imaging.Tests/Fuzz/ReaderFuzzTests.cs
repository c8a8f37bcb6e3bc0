using System.Buffers.Binary;
using FedRad.Dicom;
using FedRad.Dicom.Pixels;
using FedRad.Imaging.Nifti;

namespace FedRad.Imaging.Tests.Fuzz;

/// <summary>
/// Broken input must end in a clear error (a <see cref="DicomFormatException"/> naming the file), never in another
/// exception, a hang or an unbounded allocation. Each case runs the whole reading path: parse, dump, decode every frame.
/// </summary>
public class ReaderFuzzTests
{
    private static readonly string[] Seeds =
    [
        "pet_ts_variants/sts001_1-100_orig_implicit.dcm",
        "pet_ts_variants/sts001_1-100_be.dcm",
        "pet_ts_variants/sts001_1-100_dfl.dcm",
        "pet_ts_variants/sts001_1-100_rle.dcm",
        "pet_ts_variants/sts001_1-100_jll.dcm",
        "pet_single/acrin_flt_breast_1_PT_wholebody.dcm",
        "seg_small/dcmqi_24x38x3/seg/label.seg",
        "transfer_syntaxes/pydicom/rtstruct.dcm",
        "transfer_syntaxes/pydicom-data/emri_small_RLE.dcm",
        "pet_sts001_wholebody/RTSTRUCT/1-1.dcm",
    ];

    private static readonly Lazy<byte[][]> SeedBytes = new(() => Seeds.Select(s => File.ReadAllBytes(TestData.Path("dicom", s))).ToArray());

    private enum Outcome { Read, Refused }

    /// <summary>Runs the reading path on one input with a time limit; returns how it ended, or fails the test with the case named.</summary>
    private static Outcome Run(byte[] bytes, string name)
    {
        Outcome? outcome = null;
        Exception? unexpected = null;
        long allocated = 0;
        var thread = new Thread(() =>
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                var file = DicomReader.Parse(bytes, name);
                _ = DicomDumper.Dump(file);
                if (file.Dataset.Contains(DicomTags.PixelData))
                {
                    var pixels = DicomPixelData.From(file);
                    for (var f = 0; f < pixels.Description.Frames; f++) pixels.DecodeFrame(f);
                }
                outcome = Outcome.Read;
            }
            catch (DicomFormatException e)
            {
                if (e.FilePath != name || !e.Message.Contains(name)) unexpected = e;
                else outcome = Outcome.Refused;
            }
            catch (Exception e) { unexpected = e; }
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        }, 16 << 20);
        thread.Start();
        if (!thread.Join(TimeSpan.FromSeconds(20))) Assert.Fail($"{name}: no result after 20 s (hang)");
        if (unexpected is not null) Assert.Fail($"{name}: {unexpected.GetType().Name}: {unexpected.Message}\n{unexpected.StackTrace}");
        // Bounded memory: what one input may cost is a small multiple of its size (plus decode buffers of real images).
        Assert.True(allocated < 64L * bytes.Length + (64 << 20), $"{name}: allocated {allocated / 1e6:0.#} MB for a {bytes.Length}-byte input");
        return outcome!.Value;
    }

    [Fact]
    public void TruncatedFilesAreRefusedWithFileAndOffset()
    {
        var refused = 0;
        for (var s = 0; s < Seeds.Length; s++)
        {
            var data = SeedBytes.Value[s];
            var cuts = Enumerable.Range(0, 60).Select(i => (int)((long)data.Length * i / 60)).Concat(Enumerable.Range(1, 40).Select(i => data.Length - i));
            foreach (var cut in cuts.Distinct())
                if (Run(data[..cut], $"{Seeds[s]}[..{cut}]") == Outcome.Refused) refused++;
        }
        Assert.True(refused > 500, $"only {refused} truncations refused");
    }

    [Fact]
    public void ManyMutatedFilesNeverCrashHangOrExplode()
    {
        var random = new Random(int.Parse(Environment.GetEnvironmentVariable("FUZZ_SEED") ?? "20250314"));
        var counts = new Dictionary<Outcome, int> { [Outcome.Read] = 0, [Outcome.Refused] = 0 };
        for (var c = 0; c < int.Parse(Environment.GetEnvironmentVariable("FUZZ_CASES") ?? "3000"); c++)
        {
            var s = random.Next(Seeds.Length);
            var data = (byte[])SeedBytes.Value[s].Clone();
            var edits = new List<string>();
            for (var m = random.Next(1, 5); m > 0; m--)
            {
                // Bias edits towards the header, where lengths and tags live.
                var at = random.Next(2) == 0 ? random.Next(Math.Min(data.Length, 2048)) : random.Next(data.Length);
                switch (random.Next(5))
                {
                    case 0: data[at] = (byte)random.Next(256); edits.Add($"byte {at}"); break;
                    case 1: data[at] ^= (byte)(1 << random.Next(8)); edits.Add($"bit {at}"); break;
                    case 2:
                        if (at + 4 <= data.Length)
                        {
                            uint[] lengths = [0xFFFFFFFF, 0xFFFFFFF0, 0x7FFFFFFF, 0x80000000, (uint)random.Next(), 1, 3];
                            BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan(at), lengths[random.Next(lengths.Length)]);
                            edits.Add($"length {at}");
                        }
                        break;
                    case 3:
                        if (at + 2 <= data.Length) { BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(at), 0xFFFE); edits.Add($"FFFE {at}"); }
                        break;
                    default:
                        var len = Math.Min(random.Next(1, 64), data.Length - at);
                        data = [.. data[..at], .. data[(at + len)..]];
                        edits.Add($"delete {len}@{at}");
                        break;
                }
            }
            counts[Run(data, $"{Seeds[s]}#{c}({string.Join(",", edits)})")]++;
        }
        Assert.True(counts[Outcome.Refused] > 300 && counts[Outcome.Read] > 300, $"read {counts[Outcome.Read]}, refused {counts[Outcome.Refused]}");
    }

    [Fact]
    public void RandomGarbageIsRefused()
    {
        var random = new Random(7);
        for (var c = 0; c < 500; c++)
        {
            var data = new byte[random.Next(0, 3000)];
            random.NextBytes(data);
            if (c % 2 == 0 && data.Length >= 132) "DICM"u8.CopyTo(data.AsSpan(128));
            Run(data, $"garbage#{c}");
        }
    }

    [Fact]
    public void HugeDeclaredLengthNamesTheElementAndOffset()
    {
        var data = (byte[])SeedBytes.Value[5].Clone();   // explicit VR little endian
        var file = DicomReader.Parse(data, "x.dcm");
        var target = file.Dataset.Get(DicomTags.PatientName)!;
        // PN has a 2-byte length at offset + 6: make it longer than the rest of the file... within 16 bits, so use a long-length VR instead:
        var pixel = file.Dataset.Get(DicomTags.PixelData)!;
        BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan((int)pixel.Offset + 8), 0xFFFFFFF0);
        var e = Assert.Throws<DicomFormatException>(() => DicomReader.Parse(data, "x.dcm"));
        Assert.Equal(pixel.Offset, e.Offset);
        Assert.Contains("(7fe0,0010)", e.Message);
        Assert.Contains("4294967280", e.Message);
        Assert.Contains($"x.dcm at byte {pixel.Offset}", e.Message);
        Assert.True(target.Offset > 0);
    }

    [Fact]
    public void DeepNestingIsRefusedWithoutStackOverflow()
    {
        // 100 000 nested undefined-length sequences of an unknown tag in implicit VR.
        var body = new MemoryStream();
        var w = new BinaryWriter(body);
        const int depth = 100_000;
        for (var i = 0; i < depth; i++)
        {
            w.Write((ushort)0x0009); w.Write((ushort)0x1001); w.Write(0xFFFFFFFF);   // private element, undefined length
            w.Write((ushort)0xFFFE); w.Write((ushort)0xE000); w.Write(0xFFFFFFFF);   // item, undefined length
        }
        var e = Assert.Throws<DicomFormatException>(() => DicomReader.Parse(body.ToArray(), "deep.dcm"));
        Assert.Contains("nested deeper than 64", e.Message);
        Assert.Contains("deep.dcm at byte", e.Message);
    }

    [Fact]
    public void BrokenNiftiIsRefusedWithoutExplodingMemory()
    {
        var original = File.ReadAllBytes(TestData.Path("ibsi-digital-phantom", "nifti", "image", "phantom.nii.gz"));
        using var gz = new System.IO.Compression.GZipStream(new MemoryStream(original), System.IO.Compression.CompressionMode.Decompress);
        var raw = new MemoryStream();
        gz.CopyTo(raw);
        var plain = raw.ToArray();
        using var dir = TestData.Temp();
        var random = new Random(11);
        for (var c = 0; c < 400; c++)
        {
            var data = (byte[])plain.Clone();
            var at = random.Next(0, 352);
            data[at] = (byte)random.Next(256);
            if (c % 3 == 0) BinaryPrimitives.WriteInt16LittleEndian(data.AsSpan(42 + 2 * random.Next(3)), short.MaxValue);   // huge dims
            var path = dir.File($"m{c}.nii{(c % 2 == 0 ? ".gz" : "")}");
            if (c % 2 == 0)
            {
                using var f = File.Create(path);
                using var z = new System.IO.Compression.GZipStream(f, System.IO.Compression.CompressionLevel.Fastest);
                z.Write(data);
            }
            else File.WriteAllBytes(path, data);
            var before = GC.GetAllocatedBytesForCurrentThread();
            try { NiftiReader.Read(path); }
            catch (ImageFormatException e) { Assert.Contains(path, e.Message); }
            Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 64 << 20, $"case {c} allocated too much");
        }
    }
}

/// <summary>The layers above the reader (series, SUV, RTSTRUCT, SEG) turn broken attributes into their own clear errors too.</summary>
public class PipelineFuzzTests
{
    [Fact]
    public void MutatedPetSliceRoiAndSegEndInClearErrors()
    {
        var pet = TestData.Path("dicom", "pet_single", "acrin_flt_breast_1_PT_wholebody.dcm");
        var rt = TestData.Path("dicom", "pet_sts001_wholebody", "RTSTRUCT", "1-1.dcm");
        var seg = TestData.Path("dicom", "seg_small", "dcmqi_24x38x3", "seg", "label.seg");
        var grid = FedRad.Imaging.Series.DicomSeriesReader.Load(TestData.Path("dicom", "seg_small", "dcmqi_24x38x3", "image"), "CT").Grid;
        var petGrid = FedRad.Imaging.Pet.PetSeries.Load(TestData.Path("dicom", "pet_sts001_wholebody", "PET")).Grid;
        using var dir = TestData.Temp();
        var random = new Random(99);
        for (var c = 0; c < 600; c++)
        {
            var kind = c % 3;
            var source = File.ReadAllBytes(kind == 0 ? pet : kind == 1 ? rt : seg);
            // Text values are where these layers parse: overwrite a few bytes with digits, signs, dots and backslashes.
            for (var m = random.Next(1, 4); m > 0; m--)
                source[random.Next(Math.Min(source.Length, kind == 1 ? source.Length : 4096))] = "0123456789.-+\\eE \0X"u8[random.Next(19)];
            var path = dir.File($"case{c}.dcm");
            File.WriteAllBytes(path, source);
            try
            {
                switch (kind)
                {
                    case 0: FedRad.Imaging.Pet.PetSeries.Load(path); break;
                    case 1: FedRad.Imaging.Rois.RoiLoader.Load(path, petGrid, null, new FedRad.Imaging.Rois.RoiSelection("GTV_Mass")); break;
                    default: FedRad.Imaging.Rois.RoiLoader.Load(path, grid, null); break;
                }
            }
            catch (Exception e) when (e is DicomFormatException or ImageFormatException or FedRad.Imaging.Pet.SuvRefusedException or FedRad.Imaging.Series.SeriesGeometryException)
            {
                Assert.Contains($"case{c}", e.Message);
            }
        }
    }
}
