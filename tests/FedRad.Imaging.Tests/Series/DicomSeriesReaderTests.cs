using FedRad.Dicom;
using FedRad.Imaging.Series;

namespace FedRad.Imaging.Tests.Series;

public class DicomSeriesReaderTests
{
    [Fact]
    public void GeWholeBodyPetAssemblesInPatientCoordinates()
    {
        var pet = DicomSeriesReader.Load(TestData.Path("dicom", "pet_sts001_wholebody", "PET"), "PT");
        var g = pet.Grid;
        Assert.Equal((128, 128, 267), (g.SizeX, g.SizeY, g.SizeZ));
        Assert.Equal(4.6875, g.SpacingX, 6);
        Assert.Equal(3.27, g.SpacingZ, 2);
        // PROVENANCE.md: z from -881.3 to -11.48 mm; LPS axes of an axial head-first-supine series.
        Assert.Equal(-881.3, g.Origin.Z, 1);
        Assert.Equal(-11.48, g.ToPatient(0, 0, 266).Z, 1);
        Assert.Equal(Vec3.UnitX, g.AxisI);
        Assert.Equal(Vec3.UnitY, g.AxisJ);
        Assert.Equal(Vec3.UnitZ, g.AxisK);
        Assert.Equal("BQML", pet.Image.Unit);
        // PROVENANCE.md oracle: volume maximum 273,860 Bq/ml (per-slice Rescale Slope applied).
        Assert.Equal(273_860, pet.Image.Voxels.Max(), 0.0005 * 273_860);
        // The first slice of the grid is the file dcmdump reports at the lowest z (one dcmdump run over all files).
        var files = Directory.GetFiles(TestData.Path("dicom", "pet_sts001_wholebody", "PET"));
        var dump = ExternalTool.Run("dcmdump", ["+F", "+P", "0020,0032", .. files]).Split("# dcmdump", StringSplitOptions.RemoveEmptyEntries);
        var lowest = dump.Select(block => (File: block.Split(':', 2)[1].Split('\n')[0].Trim(),
                Z: double.Parse(block.Split('[', ']')[1].Split('\\')[2], System.Globalization.CultureInfo.InvariantCulture)))
            .MinBy(x => x.Z).File;
        Assert.Equal(Path.GetFileName(lowest), Path.GetFileName(pet.Slices[0].File.Path));
    }

    [Fact]
    public void CtIsInHounsfieldUnitsOnTheCroppedGrid()
    {
        var ct = DicomSeriesReader.Load(TestData.Path("dicom", "pet_ct_sts001_ibsi_crop", "CT"), "CT");
        Assert.Equal((198, 202, 59), (ct.Grid.SizeX, ct.Grid.SizeY, ct.Grid.SizeZ));
        Assert.Equal("HU", ct.Image.Unit);
        Assert.Equal(-881.32, ct.Grid.Origin.Z, 2);
        Assert.Equal(-691.66, ct.Grid.ToPatient(0, 0, 58).Z, 2);
        // Air outside the body and soft tissue/bone inside: HU, not raw stored values.
        Assert.InRange(ct.Image.Voxels.Min(), -1100, -900);
        Assert.InRange(ct.Image.Voxels.Max(), 500, 4000);
    }

    [Fact]
    public void EnhancedMultiFrameMatchesTheClassicSeriesItWasMadeFrom()
    {
        var classic = DicomSeriesReader.Load(TestData.Path("dicom", "seg_small", "dcmqi_24x38x3", "image"), "CT");
        var enhanced = DicomSeriesReader.Load(TestData.Path("dicom", "seg_small", "dcmqi_24x38x3", "multiframe"), "CT");
        Assert.True(enhanced.Grid.SameGeometry(classic.Grid, 1e-3), $"{enhanced.Grid} vs {classic.Grid}");
        Assert.Equal(classic.Image.Voxels, enhanced.Image.Voxels);
        Assert.Equal(3, enhanced.Slices.Count);
        Assert.All(enhanced.Slices, s => Assert.Same(enhanced.Slices[0].File, s.File));
    }

    [Fact]
    public void GapsUnevenSpacingDuplicatesAndMixedOrientationsAreReported()
    {
        var source = Directory.GetFiles(TestData.Path("dicom", "pet_ct_sts001_ibsi_crop", "PET")).Order().Take(8).ToArray();
        using var dir = TestData.Temp();

        var gap = Copy(dir, "gap", source, (i, ds) => i != 4);
        var e = Assert.Throws<SeriesGeometryException>(() => DicomSeriesReader.Load(gap, "PT"));
        Assert.Contains("gap", e.Message);
        Assert.Contains("1 missing slice", e.Message);

        var uneven = Copy(dir, "uneven", source, (i, ds) =>
        {
            if (i == 5) Shift(ds, 1.0);
            return true;
        });
        e = Assert.Throws<SeriesGeometryException>(() => DicomSeriesReader.Load(uneven, "PT"));
        Assert.Contains("uneven spacing", e.Message);

        var tilted = Copy(dir, "tilted", source, (i, ds) =>
        {
            if (i == 3) ds.AddNumbers(DicomTags.ImageOrientationPatient, 1, 0, 0, 0, Math.Cos(0.2), Math.Sin(0.2));
            return true;
        });
        e = Assert.Throws<SeriesGeometryException>(() => DicomSeriesReader.Load(tilted, "PT"));
        Assert.Contains("mixed orientations", e.Message);

        var duplicate = Copy(dir, "dup", source, (i, ds) =>
        {
            if (i == 2) { var p = ds.GetDoubles(DicomTags.ImagePositionPatient); Shift(ds, -3.27); }
            return true;
        });
        e = Assert.Throws<SeriesGeometryException>(() => DicomSeriesReader.Load(duplicate, "PT"));
        Assert.Contains("same position", e.Message);
    }

    private static void Shift(DicomDataset ds, double dz)
    {
        var p = ds.GetDoubles(DicomTags.ImagePositionPatient);
        ds.AddNumbers(DicomTags.ImagePositionPatient, p[0], p[1], p[2] + dz);
    }

    private static string Copy(TempDir dir, string name, string[] files, Func<int, DicomDataset, bool> edit)
    {
        var target = Path.Combine(dir.Path, name);
        Directory.CreateDirectory(target);
        for (var i = 0; i < files.Length; i++)
        {
            var ds = DicomReader.Read(files[i]).Dataset;
            if (edit(i, ds)) DicomWriter.Write(Path.Combine(target, $"{i:000}.dcm"), ds);
        }
        return target;
    }
}

public class DicomSeriesErrorTests
{
    [Fact]
    public void SeriesInAnUndecodedSyntaxNamesTheConversion()
    {
        using var dir = TestData.Temp();
        File.Copy(TestData.Path("dicom", "pet_ts_variants", "sts001_1-100_jls.dcm"), dir.File("a.dcm"));
        var e = Assert.Throws<ImageFormatException>(() => DicomSeriesReader.Load(dir.Path, "PT"));
        Assert.Contains("1.2.840.10008.1.2.4.80", e.Message);
        Assert.Contains("gdcmconv --raw", e.Message);
        Assert.Contains("a.dcm", e.Message);
    }

    [Fact]
    public void FolderWithTwoPetSeriesAsksWhichOne()
    {
        using var dir = TestData.Temp();
        File.Copy(TestData.Path("dicom", "pet_single", "acrin_flt_breast_1_PT_wholebody.dcm"), dir.File("a.dcm"));
        File.Copy(TestData.Path("dicom", "pet_single", "fodicom_GH184_PT_jpegll.dcm"), dir.File("b.dcm"));
        File.WriteAllText(dir.File("notes.txt"), "not DICOM");
        var e = Assert.Throws<ImageFormatException>(() => DicomSeriesReader.Load(dir.Path, "PT"));
        Assert.Contains("2 PT series", e.Message);
        var scan = DicomDirectory.Scan(dir.Path);
        Assert.Single(scan.Skipped);
        Assert.Contains("notes.txt", scan.Skipped[0]);
    }
}
