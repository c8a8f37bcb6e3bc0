using System.Globalization;
using FedRad.Dicom;
using FedRad.Imaging.Alignment;
using FedRad.Imaging.Pet;
using FedRad.Imaging.Resampling;
using FedRad.Imaging.Rois;
using FedRad.Imaging.Series;
using FedRad.Imaging.Synthetic;
using FedRad.Imaging.Tests.Dicom;

namespace FedRad.Imaging.Tests.Synthetic;

public class SyntheticStudyTests
{
    [Fact]
    public void WrittenStudyReadsBackThroughTheWholeChain()
    {
        using var dir = TestData.Temp();
        var options = new SyntheticStudyOptions { Seed = 7 };
        var study = SyntheticPetCtWriter.Write(dir.Path, options);

        // dcmtk reads every file and sees the SUV attributes as written.
        foreach (var file in Directory.GetFiles(dir.Path, "*.dcm", SearchOption.AllDirectories))
            ExternalTool.Run("dcmdump", "-q", file);
        var dump = ExternalTool.Run("dcmdump", Path.Combine(study.PetFolder, "PT_0001.dcm"));
        Assert.Contains("(0054,1001) CS [BQML]", dump);
        Assert.Contains("(0010,1030) DS [75]", dump);
        Assert.Contains("(0018,1074) DS [350000000]", dump);
        Assert.Contains("(0054,1102) CS [START]", dump);

        // SUV factor: weight / (dose decayed over the 60 min uptake), by hand: 75000 / (350e6 · 2^(−3600/6586.2)).
        var pet = PetSeries.Load(study.PetFolder);
        Assert.Equal(75000 / (350e6 * Math.Pow(2, -3600 / 6586.2)), pet.Conversion.UniformFactor!.Value, 1e-12);
        Assert.True(pet.Grid.SameGeometry(options.PetGrid));
        for (var n = 0; n < study.Suv.Voxels.Length; n++)
            Assert.Equal(study.Suv.Voxels[n], pet.Suv.Voxels[n], 1e-4f);

        // RTSTRUCT and SEG give the lesion's voxel-centre truth, on the PET grid.
        var rt = RoiLoader.Load(study.RtStructPath, pet.Grid, pet.FrameOfReferenceUid, new RoiSelection("Lesion"));
        var seg = RoiLoader.Load(study.SegPath, pet.Grid, pet.FrameOfReferenceUid, new RoiSelection(SegmentNumber: 1));
        var liver = RoiLoader.Load(study.SegPath, pet.Grid, pet.FrameOfReferenceUid, new RoiSelection(SegmentNumber: 2));
        Assert.Equal(study.Lesion.Voxels, rt.Mask.Voxels);
        Assert.Equal(study.Lesion.Voxels, seg.Mask.Voxels);
        Assert.Equal(study.Reference.Voxels, liver.Mask.Voxels);
        Assert.Equal("Liver", liver.Mask.Name);

        // Lesion uptake as designed: mean 8 within texture and noise.
        var m = PetMetrics.Compute(pet.Suv, rt.Mask);
        Assert.InRange(m.SuvMean, 7.0, 9.0);
        Assert.Equal(rt.Mask.Count() * 0.064, m.MtvMl, 9);

        // CT in HU, and on the PET grid through the shared frame of reference.
        var ct = DicomSeriesReader.Load(study.CtFolder, "CT");
        var ctOnPet = PetCtAlignment.CtOnPetGrid(ct, pet.Series);
        Assert.True(ctOnPet.Grid.SameGeometry(pet.Grid));
        var centre = pet.Grid.ToIndex(options.Lesion.Centre);
        var hu = ctOnPet[(int)Math.Round(centre.X), (int)Math.Round(centre.Y), (int)Math.Round(centre.Z)];
        Assert.InRange(hu, 45 - 15, 45 + 15);
        Assert.InRange(ctOnPet[0, 0, 5], -1010, -990);   // air in the corner
    }

    [Fact]
    public void HeterogeneityControlsLesionUptakeSpread()
    {
        double Cv(double heterogeneity)
        {
            using var dir = TestData.Temp();
            var o = new SyntheticStudyOptions { Seed = 3, PetNoise = 0, Lesion = new SyntheticStudyOptions().Lesion with { Heterogeneity = heterogeneity } };
            var s = SyntheticPetCtWriter.Write(dir.Path, o);
            var values = Enumerable.Range(0, s.Suv.Voxels.Length).Where(n => s.Lesion.Voxels[n]).Select(n => (double)s.Suv.Voxels[n]).ToArray();
            var mean = values.Average();
            return Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / values.Length) / mean;
        }
        Assert.True(Cv(0) < 0.001);
        var low = Cv(0.1);
        var high = Cv(0.4);
        Assert.InRange(low, 0.03, 0.2);
        Assert.True(high > 2.5 * low, $"CV {low} at 0.1, {high} at 0.4");
    }

    [Fact]
    public void FractionalSegIsReadAsOccupancyAtHalf()
    {
        using var dir = TestData.Temp();
        var study = SyntheticPetCtWriter.Write(dir.Path, new SyntheticStudyOptions { Seed = 2, FractionalSeg = true });
        var seg = Segmentation.Read(study.SegPath);
        Assert.Equal("FRACTIONAL", seg.SegmentationType);
        Assert.Equal(255, seg.MaximumValue);
        var mask = seg.ToMask(1, study.Suv.Grid, new List<string>());
        // Occupancy ≥ 50 % and centre-in-sphere agree except on a few boundary voxels.
        var differ = Enumerable.Range(0, mask.Voxels.Length).Count(n => mask.Voxels[n] != study.Lesion.Voxels[n]);
        Assert.True(differ <= 0.1 * study.Lesion.Count(), $"{differ} of {study.Lesion.Count()} voxels differ");
        Assert.Contains("OCCUPANCY", ExternalTool.Run("dcmdump", study.SegPath));
    }

    [Fact]
    public void AlignmentRefusesDifferentFramesOfReference()
    {
        using var dir = TestData.Temp();
        var a = SyntheticPetCtWriter.Write(Path.Combine(dir.Path, "a"), new SyntheticStudyOptions { Seed = 1 });
        var b = SyntheticPetCtWriter.Write(Path.Combine(dir.Path, "b"), new SyntheticStudyOptions { Seed = 2 });
        var ct = DicomSeriesReader.Load(a.CtFolder, "CT");
        var pet = DicomSeriesReader.Load(b.PetFolder, "PT");
        var e = Assert.Throws<ImageFormatException>(() => PetCtAlignment.CtOnPetGrid(ct, pet));
        Assert.Contains("Frame of Reference", e.Message);
    }

    /// <summary>Real PET/CT pair (IBSI crop of STS_001): CT onto PET and PET onto CT keep the anatomy where it is.</summary>
    [Fact]
    public void RealPetCtPairAlignsThroughPatientCoordinates()
    {
        var ct = DicomSeriesReader.Load(TestData.Path("dicom", "pet_ct_sts001_ibsi_crop", "CT"), "CT");
        var pet = DicomSeriesReader.Load(TestData.Path("dicom", "pet_ct_sts001_ibsi_crop", "PET"), "PT");
        var ctOnPet = PetCtAlignment.CtOnPetGrid(ct, pet, InterpolationMethod.Linear);
        var back = PetCtAlignment.PetOnCtGrid(pet.Image, pet, ct, InterpolationMethod.Nearest);
        Assert.True(ctOnPet.Grid.SameGeometry(pet.Grid));
        Assert.True(back.Grid.SameGeometry(ct.Grid));
        // A PET voxel centre maps to the CT value at the same patient point (linear interpolation of the CT there).
        var p = pet.Grid.ToPatient(20, 20, 30);
        var c = ct.Grid.ToIndex(p);
        int i0 = (int)Math.Floor(c.X), j0 = (int)Math.Floor(c.Y), k0 = (int)Math.Floor(c.Z);
        double fx = c.X - i0, fy = c.Y - j0, fz = c.Z - k0, expected = 0;
        for (var dk = 0; dk <= 1; dk++)
            for (var dj = 0; dj <= 1; dj++)
                for (var di = 0; di <= 1; di++)
                    expected += (di == 1 ? fx : 1 - fx) * (dj == 1 ? fy : 1 - fy) * (dk == 1 ? fz : 1 - fz) * ct.Image[i0 + di, j0 + dj, k0 + dk];
        Assert.Equal(expected, ctOnPet[20, 20, 30], 0.01);
        // PET onto CT by nearest neighbour returns the PET voxel containing each CT centre.
        var q = ct.Grid.ToPatient(100, 100, 30);
        var n = pet.Grid.ToIndex(q);
        Assert.Equal(pet.Image[(int)Math.Round(n.X), (int)Math.Round(n.Y), (int)Math.Round(n.Z)], back[100, 100, 30]);
    }
}
