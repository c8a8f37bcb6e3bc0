using System.Globalization;
using FedRad.Dicom;
using FedRad.Imaging.Nifti;
using FedRad.Imaging.Pet;
using FedRad.Imaging.Rois;
using FedRad.Imaging.Series;
using FedRad.Imaging.Tests.Pet;

namespace FedRad.Imaging.Tests.Rois;

public class RoiLoaderTests
{
    /// <summary>
    /// The DRO's RTSTRUCT, rasterised by FedRad, against the NIfTI mask its authors made of the same region. The DRO's
    /// contours lie 0.5–1.5 voxels inside the NIfTI mask's boundary (and stop one slice short at each end), so the
    /// voxel-centre rule gives the mask less a boundary layer: the RTSTRUCT mask must lie inside the NIfTI mask, every
    /// voxel of the difference within two voxels of its outside, and the SUV statistics must still be 0.20/1.00/4.00.
    /// </summary>
    [Theory]
    [InlineData("DRO_0_0")]
    [InlineData("DRO_4_2")]
    public void RtstructRasterisationIsTheDroMaskLessABoundaryLayer(string id)
    {
        var pet = PetSeries.Load(SuvDro.Path(id, "PT"));
        var nifti = RoiLoader.Load(SuvDro.Path(id, "mask"), pet.Grid, pet.FrameOfReferenceUid).Mask;
        var rt = RoiLoader.Load(SuvDro.Path(id, "RS"), pet.Grid, pet.FrameOfReferenceUid, new RoiSelection("region_1"));
        Assert.Equal("RTSTRUCT", rt.Kind);
        var g = pet.Grid;
        bool[] Erode(bool[] m)
        {
            var e = new bool[m.Length];
            for (var n = 0; n < m.Length; n++)
            {
                if (!m[n]) continue;
                int i = n % g.SizeX, j = n / g.SizeX % g.SizeY, k = n / (g.SizeX * g.SizeY);
                e[n] = new[] { (1, 0, 0), (-1, 0, 0), (0, 1, 0), (0, -1, 0), (0, 0, 1), (0, 0, -1) }.All(d =>
                {
                    int x = i + d.Item1, y = j + d.Item2, z = k + d.Item3;
                    return x >= 0 && y >= 0 && z >= 0 && x < g.SizeX && y < g.SizeY && z < g.SizeZ && m[g.Index(x, y, z)];
                });
            }
            return e;
        }
        var core = Erode(Erode(nifti.Voxels));
        Assert.DoesNotContain(Enumerable.Range(0, nifti.Voxels.Length), n => rt.Mask.Voxels[n] && !nifti.Voxels[n]);
        var onlyNifti = Enumerable.Range(0, nifti.Voxels.Length).Where(n => nifti.Voxels[n] && !rt.Mask.Voxels[n]).ToList();
        Assert.DoesNotContain(onlyNifti, n => core[n]);
        Assert.True(rt.Mask.Count() > 0.8 * nifti.Count());
        var values = Enumerable.Range(0, rt.Mask.Voxels.Length).Where(n => rt.Mask.Voxels[n]).Select(n => pet.Suv.Voxels[n]).Order().ToArray();
        Assert.Equal(0.20, values[0], 0.005);
        Assert.Equal(1.00, values[values.Length / 2], 0.005);
        Assert.Equal(4.00, values[^1], 0.005);
    }

    /// <summary>dcmqi SEG on the CT it was made from: every set bit (dcmdump +W) lands on the CT slice with the frame's position.</summary>
    [Theory]
    [InlineData("dcmqi_24x38x3/image", "dcmqi_24x38x3/seg/label.seg")]
    [InlineData("dcmqi_liver/ct-3slice", "dcmqi_liver/liver_seg.dcm")]
    public void SegFramesLandOnTheReferencedCtSlices(string ctFolder, string segFile)
    {
        var ct = DicomSeriesReader.Load(TestData.Path("dicom", "seg_small", ctFolder), "CT");
        var roi = RoiLoader.Load(TestData.Path("dicom", "seg_small", segFile), ct.Grid, ct.FrameOfReferenceUid, new RoiSelection(SegmentNumber: 1));
        Assert.Equal("SEG", roi.Kind);
        Assert.Empty(roi.Warnings);
        using var dir = TestData.Temp();
        var header = ExternalTool.Run("dcmdump", "-q", "+W", dir.Path, TestData.Path("dicom", "seg_small", segFile));
        var raw = File.ReadAllBytes(Directory.GetFiles(dir.Path, "*.raw").Single());
        // Frame f's plane: the f-th Image Position (Patient) dcmdump prints under the per-frame groups.
        var positions = header.Split('\n').Where(l => l.TrimStart().StartsWith("(0020,0032)")).Select(l => l.Split('[', ']')[1].Split('\\')
            .Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray()).ToList();
        var plane = ct.Grid.SizeX * ct.Grid.SizeY;
        var frames = raw.Length * 8 / plane;
        Assert.Equal(positions.Count, frames);
        var expected = new bool[ct.Grid.VoxelCount];
        for (var f = 0; f < frames; f++)
        {
            var k = (int)Math.Round(ct.Grid.ToIndex(new Vec3(positions[f][0], positions[f][1], positions[f][2])).Z);
            for (var p = 0; p < plane; p++)
            {
                var bit = (long)f * plane + p;
                if (((raw[bit >> 3] >> (int)(bit & 7)) & 1) == 1) expected[k * plane + p] = true;
            }
        }
        Assert.True(expected.Count(x => x) > 0);
        Assert.Equal(expected, roi.Mask.Voxels);
    }

    [Fact]
    public void FrameOfReferenceMismatchIsAnError()
    {
        var pet = PetSeries.Load(SuvDro.Path("DRO_0_0", "PT"));
        var e = Assert.Throws<ImageFormatException>(() => RoiLoader.Load(SuvDro.Path("DRO_0_0", "RS"), pet.Grid, "1.2.3.4"));
        Assert.Contains("Frame of Reference", e.Message);
        Assert.Contains("RS_dro_0_0.dcm", e.Message);
    }

    [Fact]
    public void AmbiguousOrMissingChoicesAreNamed()
    {
        var pet = PetSeries.Load(TestData.Path("dicom", "pet_sts001_wholebody", "PET"));
        var e = Assert.Throws<ImageFormatException>(() => RoiLoader.Load(TestData.Path("dicom", "pet_sts001_wholebody", "RTSTRUCT"), pet.Grid, pet.FrameOfReferenceUid));
        Assert.Contains("'GTV_Mass'", e.Message);
        Assert.Contains("'GTV_Edema'", e.Message);
        e = Assert.Throws<ImageFormatException>(() => RoiLoader.Load(TestData.Path("dicom", "pet_sts001_wholebody", "RTSTRUCT"), pet.Grid, pet.FrameOfReferenceUid, new RoiSelection("Tumour")));
        Assert.Contains("no ROI named 'Tumour'", e.Message);
        e = Assert.Throws<ImageFormatException>(() => RoiLoader.Load(TestData.Path("dicom", "pet_sts001_wholebody", "PET"), pet.Grid, pet.FrameOfReferenceUid));
        Assert.Contains("holds no RTSTRUCT, SEG or NIfTI", e.Message);
    }

    /// <summary>The cropped PET/CT pair: the CT-drawn and PET-drawn GTVs land on the PET grid (contours from another grid).</summary>
    [Fact]
    public void ContoursDrawnOnCtLandOnThePetGrid()
    {
        var pet = DicomSeriesReader.Load(TestData.Path("dicom", "pet_ct_sts001_ibsi_crop", "PET"), "PT");
        var ctRoi = RoiLoader.Load(TestData.Path("dicom", "pet_ct_sts001_ibsi_crop", "CT_RTSTRUCT"), pet.Grid, pet.FrameOfReferenceUid);
        var petRoi = RoiLoader.Load(TestData.Path("dicom", "pet_ct_sts001_ibsi_crop", "PET_RTSTRUCT"), pet.Grid, pet.FrameOfReferenceUid);
        var both = Enumerable.Range(0, pet.Grid.VoxelCount is var c ? (int)c : 0).Count(n => ctRoi.Mask.Voxels[n] && petRoi.Mask.Voxels[n]);
        var either = Enumerable.Range(0, (int)pet.Grid.VoxelCount).Count(n => ctRoi.Mask.Voxels[n] || petRoi.Mask.Voxels[n]);
        // Two delineations of the same mass: substantial overlap (Jaccard), not identical.
        Assert.InRange((double)both / either, 0.5, 1.0);
    }

    [Fact]
    public void NiftiMaskOnAnotherGridIsResampledWithAWarning()
    {
        var pet = PetSeries.Load(SuvDro.Path("DRO_0_0", "PT"));
        var mask = RoiLoader.Load(SuvDro.Path("DRO_0_0", "mask"), pet.Grid, pet.FrameOfReferenceUid).Mask;
        // The same mask written on a grid shifted by one voxel in x must land back on the same voxels.
        var shifted = pet.Grid with { SizeX = pet.Grid.SizeX - 1, Origin = pet.Grid.ToPatient(1, 0, 0) };
        var cut = new bool[shifted.VoxelCount];
        for (var k = 0; k < shifted.SizeZ; k++)
            for (var j = 0; j < shifted.SizeY; j++)
                for (var i = 0; i < shifted.SizeX; i++)
                    cut[shifted.Index(i, j, k)] = mask.Voxels[pet.Grid.Index(i + 1, j, k)];
        using var dir = TestData.Temp();
        NiftiWriter.Write(dir.File("shifted.nii.gz"), new MaskVolume(shifted, cut));
        var back = RoiLoader.Load(dir.File("shifted.nii.gz"), pet.Grid, pet.FrameOfReferenceUid);
        Assert.Contains(back.Warnings, w => w.Contains("resampled"));
        Assert.Equal(mask.Voxels, back.Mask.Voxels);
    }
}
