using System.Globalization;
using System.Text.RegularExpressions;
using FedRad.Dicom;
using FedRad.Imaging.Series;
using FedRad.Imaging.Spect;
using FedRad.Imaging.Synthetic;

namespace FedRad.Imaging.Tests.Spect;

/// <summary>
/// NM RECON TOMO objects: frame placement against GDCM's and dcmtk's reading of the same files, the real planar NM sample,
/// and every bad input the issue names (a clear message naming the file and the field).
/// </summary>
public partial class NmImageTests
{
    [GeneratedRegex(@"Origin: \((?<x>[-\d.e]+),(?<y>[-\d.e]+),(?<z>[-\d.e]+)\)")]
    private static partial Regex OriginRegex();
    [GeneratedRegex(@"Spacing: \((?<x>[-\d.e]+),(?<y>[-\d.e]+),(?<z>[-\d.e]+)\)")]
    private static partial Regex SpacingRegex();

    private static Vec3 Triple(Match m) => new(double.Parse(m.Groups["x"].Value, CultureInfo.InvariantCulture),
        double.Parse(m.Groups["y"].Value, CultureInfo.InvariantCulture), double.Parse(m.Groups["z"].Value, CultureInfo.InvariantCulture));

    /// <summary>
    /// Frame placement and pixels against the reference tools: GDCM (gdcminfo) gives the first frame's origin and the
    /// signed frame step of the NM object (it reads the Detector Information Sequence and Spacing Between Slices itself);
    /// dcmtk (dcmdump +W) writes the raw pixel data. Rebuilt from those alone, every voxel must equal FedRad's volume — for
    /// slices stacked upwards (positive spacing) and downwards (negative spacing with the first frame at the top, as GE
    /// Xeleris writes).
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void FramesArePlacedAsGdcmAndDcmtkReadThem(bool downwards)
    {
        using var dir = TestData.Temp();
        var o = SpectFiles.Small(5) with { StackDownwards = downwards };
        var study = SyntheticSpectCtWriter.Write(dir.Path, o);
        var volume = DicomSeriesReader.Load(study.SpectFolder, "NM");
        Assert.True(volume.Grid.SameGeometry(o.SpectGrid), $"{volume.Grid}");

        var info = ExternalTool.Run("gdcminfo", study.SpectPath);
        Assert.Contains("Dimensions: (32,32,24)", info);
        var origin = Triple(OriginRegex().Match(info));
        var spacing = Triple(SpacingRegex().Match(info));
        Assert.Equal(downwards ? -9.6 : 9.6, spacing.Z, 1e-9);

        var raw = Path.Combine(dir.Path, "raw");
        Directory.CreateDirectory(raw);
        ExternalTool.Run("dcmdump", "-q", "+W", raw, study.SpectPath);
        var bytes = File.ReadAllBytes(Directory.GetFiles(raw).Single());   // the Pixel Data value, as dcmtk writes it
        Assert.Equal(32 * 32 * 24 * 2, bytes.Length);

        var g = volume.Grid;
        for (var f = 0; f < 24; f++)
        {
            // Frame f lies at origin + f × (signed spacing) along the normal, per GDCM; find FedRad's slice there.
            var z = origin.Z + f * spacing.Z;
            var k = (int)Math.Round(g.ToIndex(new Vec3(origin.X, origin.Y, z)).Z);
            Assert.Equal(new Vec3(origin.X, origin.Y, z), g.ToPatient(0, 0, k), new Vec3Comparer(1e-6));
            for (var n = 0; n < 32 * 32; n++)
                Assert.Equal(BitConverter.ToUInt16(bytes, 2 * (f * 1024 + n)), volume.Image.Voxels[k * 1024 + n]);
        }
    }

    private sealed class Vec3Comparer(double tolerance) : IEqualityComparer<Vec3>
    {
        public bool Equals(Vec3 a, Vec3 b) => (a - b).Length <= tolerance;
        public int GetHashCode(Vec3 v) => 0;
    }

    /// <summary>Every element of the synthetic NM, RTSTRUCT and SEG objects as dcmtk reads them equals FedRad's reading.</summary>
    [Theory]
    [InlineData(SyntheticSpectUnits.Counts)]
    [InlineData(SyntheticSpectUnits.RealWorldBqPerMl)]
    public void SyntheticObjectsReadAsDcmdumpReadsThem(SyntheticSpectUnits units)
    {
        using var dir = TestData.Temp();
        var study = SyntheticSpectCtWriter.Write(dir.Path, SpectFiles.Small() with { Units = units, Nuclide = Radionuclides.Lu177 });
        foreach (var path in new[] { study.SpectPath, study.RtStructPath, study.SegPath })
            Tests.Dicom.DicomReaderCrossCheckTests.AssertValuesMatchDcmdump(path, Path.GetFileName(path));
    }

    /// <summary>The real NM sample (a GE whole-body bone scan stored as Secondary Capture, pydicom test data) is planar.</summary>
    [Fact]
    public void RealPlanarWholeBodyScanIsNotATomographicReconstruction()
    {
        var path = TestData.Path("dicom", "transfer_syntaxes", "pydicom-data", "JPEG-LL.dcm");
        var ds = DicomReader.Read(path).Dataset;
        Assert.True(NmImage.Applies(ds));   // its Frame Increment Pointer names NM vectors

        // The frame vectors as FedRad reads them equal dcmdump's.
        var dump = ExternalTool.Run("dcmdump", path);
        Assert.Contains(@"(0028,0009) AT (0054,0010)\(0054,0020)", dump);
        Assert.Contains("(0054,0010) US 1 ", dump);
        Assert.Contains("(0054,0020) US 1 ", dump);
        Assert.Equal([1.0], ds.GetDoubles(DicomTags.EnergyWindowVector));
        Assert.Equal([1.0], ds.GetDoubles(DicomTags.DetectorVector));
        Assert.Equal("WHOLE BODY", NmImage.TypeOfData(ds));

        var e = Assert.Throws<ImageFormatException>(() => SpectSeries.Load(path));
        Assert.Contains("JPEG-LL.dcm", e.Message);
        Assert.Contains("not a tomographic reconstruction", e.Message);
        Assert.Contains("Image Type (0008,0008) value 3 is 'WHOLE BODY' (planar whole-body scan)", e.Message);
    }

    [Theory]
    [InlineData("STATIC", "not a tomographic reconstruction: Image Type (0008,0008) value 3 is 'STATIC' (planar static image)")]
    [InlineData("DYNAMIC", "value 3 is 'DYNAMIC' (planar dynamic frames)")]
    [InlineData("GATED", "value 3 is 'GATED' (planar gated frames)")]
    [InlineData("TOMO", "value 3 is 'TOMO' (SPECT projections, not reconstructed)")]
    [InlineData("RECON GATED TOMO", "a gated reconstruction (Image Type RECON GATED TOMO)")]
    public void PlanarDynamicAndProjectionDataAreRefused(string type, string message)
    {
        using var dir = TestData.Temp();
        var study = SyntheticSpectCtWriter.Write(dir.Path, SpectFiles.Small());
        SpectFiles.Edit(study.SpectPath, ds => ds.Add(DicomTags.ImageType, "ORIGINAL", "PRIMARY", type, "EMISSION"));
        var e = Assert.Throws<ImageFormatException>(() => SpectSeries.Load(study.SpectFolder));
        Assert.Contains(message, e.Message);
        Assert.Contains("NM_RECON.dcm", e.Message);
    }

    public static TheoryData<string, string> BadFrameVectors => new()
    {
        { "slice-vector-short", "Slice Vector (0054,0080) has 23 values but Number of Frames (0028,0008) is 24: the frame vectors are inconsistent" },
        { "two-energy-windows", "Energy Window Vector (0054,0010) holds 2 different energy windows (1, 2): the frames are not one reconstructed volume (inconsistent frame vectors)" },
        { "pointer-without-vector", "Detector Vector (0054,0020) is missing or empty, but Frame Increment Pointer (0028,0009) names it" },
        { "pointer-without-slice-vector", "without Slice Vector (0054,0080) that a RECON TOMO image is sequenced by" },
        { "detector-out-of-range", "Detector Vector (0054,0020) value 2 at frame 1 is outside 1..1, the Number Of Detectors (0054,0021)" },
        { "duplicate-slice", "Slice Vector (0054,0080) gives slice 5 to frames 5 and 6: two frames at one slice position (inconsistent frame vectors)" },
        { "skipped-slice", "Slice Vector (0054,0080) skips slice(s) 13 of Number of Slices (0054,0081) 25: the frames are not evenly spaced (non-uniform slice spacing)" },
        { "no-spacing", "Spacing Between Slices (0018,0088) is missing: the frames of an NM reconstruction cannot be placed" },
        { "zero-spacing", "Spacing Between Slices (0018,0088) is 0" },
        { "no-position", "Image Position (Patient) (0020,0032) is in neither the Detector Information Sequence (0054,0022) nor the top level" },
        { "two-detector-geometries", "Detector Information Sequence (0054,0022) item 2 places the volume elsewhere than item 1" },
        { "bad-pointer", "Frame Increment Pointer (0028,0009) names (0018,1063)" },
    };

    [Theory]
    [MemberData(nameof(BadFrameVectors))]
    public void InconsistentFrameVectorsAndGeometryNameTheFileAndField(string kind, string message)
    {
        using var dir = TestData.Temp();
        var study = SyntheticSpectCtWriter.Write(dir.Path, SpectFiles.Small());
        double[] Slices(params int[] s) => s.Select(v => (double)v).ToArray();
        SpectFiles.Edit(study.SpectPath, ds =>
        {
            var detector = SpectFiles.Item(ds, DicomTags.DetectorInformationSequence);
            switch (kind)
            {
                case "slice-vector-short": ds.AddNumbers(DicomTags.SliceVector, Slices([.. Enumerable.Range(1, 23)])); break;
                case "two-energy-windows":
                    ds.AddNumbers(DicomTags.NumberOfEnergyWindows, 2);
                    ds.AddNumbers(DicomTags.EnergyWindowVector, Slices([.. Enumerable.Range(0, 24).Select(f => 1 + f % 2)]));
                    break;
                case "pointer-without-vector": ds.AddNumbers(DicomTags.FrameIncrementPointer, DicomTags.DetectorVector.Value, DicomTags.SliceVector.Value); break;
                case "pointer-without-slice-vector":
                    ds.AddNumbers(DicomTags.EnergyWindowVector, Slices([.. Enumerable.Repeat(1, 24)]));
                    ds.AddNumbers(DicomTags.FrameIncrementPointer, DicomTags.EnergyWindowVector.Value);
                    break;
                case "detector-out-of-range": ds.AddNumbers(DicomTags.DetectorVector, Slices([.. Enumerable.Repeat(2, 24)])); break;
                case "duplicate-slice": ds.AddNumbers(DicomTags.SliceVector, Slices([.. Enumerable.Range(1, 24).Select(s => s == 6 ? 5 : s)])); break;
                case "skipped-slice":
                    ds.AddNumbers(DicomTags.NumberOfSlices, 25);
                    ds.AddNumbers(DicomTags.SliceVector, Slices([.. Enumerable.Range(1, 25).Where(s => s != 13)]));
                    break;
                case "no-spacing": ds.Remove(DicomTags.SpacingBetweenSlices); break;
                case "zero-spacing": ds.AddNumbers(DicomTags.SpacingBetweenSlices, 0.0); break;
                case "no-position": detector.Remove(DicomTags.ImagePositionPatient); break;
                case "two-detector-geometries":
                    ds.AddSequence(DicomTags.DetectorInformationSequence, detector,
                        new DicomDataset().AddNumbers(DicomTags.ImagePositionPatient, 0.0, 0, 0).AddNumbers(DicomTags.ImageOrientationPatient, 1.0, 0, 0, 0, 1, 0));
                    break;
                case "bad-pointer": ds.AddNumbers(DicomTags.FrameIncrementPointer, 0x00181063); break;
            }
        });
        var e = Assert.Throws<ImageFormatException>(() => DicomSeriesReader.Load(study.SpectFolder, "NM"));
        Assert.Contains(message, e.Message);
        Assert.StartsWith(study.SpectPath, e.Message);
    }

    /// <summary>GE Xeleris exports reconstructions as NM Image objects with Modality OT; the SOP Class decides.</summary>
    [Fact]
    public void NmImageWithModalityOtIsFoundAndRead()
    {
        using var dir = TestData.Temp();
        var o = SpectFiles.Small() with { StackDownwards = true };
        var study = SyntheticSpectCtWriter.Write(dir.Path, o);
        SpectFiles.Edit(study.SpectPath, ds => ds.Add(DicomTags.Modality, "OT"));
        var spect = SpectSeries.Load(study.SpectFolder);
        Assert.Equal("OT", spect.Series.Modality);
        Assert.True(spect.Grid.SameGeometry(o.SpectGrid));
        Assert.Equal(study.Counts.Voxels, spect.Counts.Voxels);
    }
}
