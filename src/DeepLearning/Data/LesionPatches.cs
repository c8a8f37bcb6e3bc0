using FedRad.Imaging;
using FedRad.Imaging.Alignment;
using FedRad.Imaging.Pet;
using FedRad.Imaging.Rois;
using FedRad.Imaging.Series;
using FedRad.Imaging.Spect;

namespace FedRad.DeepLearning.Data;

/// <summary>
/// A cube of S³ voxels of the PET grid centred on a lesion: channel 0 PET (SUV), channel 1 CT resampled onto the PET
/// grid, both normalised (<see cref="PatchNormalisation"/>); the lesion mask on the same cube; the cube's own grid in
/// patient coordinates (so a Grad-CAM map written on it overlays the PET in a viewer).
/// </summary>
public sealed record LesionPatch(float[] Channels, bool[] Mask, ImageGrid Grid)
{
    public int Size => Grid.SizeX;
}

/// <summary>Cuts lesion patches out of PET/CT studies.</summary>
public static class LesionPatches
{
    /// <summary>
    /// The patch of <paramref name="size"/>³ PET voxels centred on the centroid of <paramref name="lesion"/>. Voxels
    /// outside the image take the background (SUV 0, −1000 HU). Throws when the mask is empty or grids differ.
    /// </summary>
    public static LesionPatch Extract(ImageVolume petSuv, ImageVolume ctOnPetGrid, MaskVolume lesion, int size)
    {
        var g = petSuv.Grid;
        if (!ctOnPetGrid.Grid.SameGeometry(g)) throw new ArgumentException("the CT is not on the PET grid (resample it with PetCtAlignment.CtOnPetGrid)");
        if (!lesion.Grid.SameGeometry(g)) throw new ArgumentException($"the lesion mask '{lesion.Name}' is not on the PET grid");
        if (size < 1) throw new ArgumentOutOfRangeException(nameof(size), "patch size must be positive");
        double ci = 0, cj = 0, ck = 0;
        long n = 0;
        for (var k = 0; k < g.SizeZ; k++)
            for (var j = 0; j < g.SizeY; j++)
                for (var i = 0; i < g.SizeX; i++)
                    if (lesion.Voxels[g.Index(i, j, k)]) { ci += i; cj += j; ck += k; n++; }
        if (n == 0) throw new ArgumentException($"the lesion mask '{lesion.Name}' is empty");
        // The first voxel of the cube, so that the centroid falls in its middle.
        var (i0, j0, k0) = ((int)Math.Round(ci / n - (size - 1) / 2.0), (int)Math.Round(cj / n - (size - 1) / 2.0), (int)Math.Round(ck / n - (size - 1) / 2.0));

        var voxels = size * size * size;
        var channels = new float[2 * voxels];
        var mask = new bool[voxels];
        for (var k = 0; k < size; k++)
            for (var j = 0; j < size; j++)
                for (var i = 0; i < size; i++)
                {
                    var v = i + size * (j + size * k);
                    var (si, sj, sk) = (i0 + i, j0 + j, k0 + k);
                    var inside = si >= 0 && sj >= 0 && sk >= 0 && si < g.SizeX && sj < g.SizeY && sk < g.SizeZ;
                    var src = inside ? g.Index(si, sj, sk) : -1;
                    channels[v] = PatchNormalisation.Pet(inside ? petSuv.Voxels[src] : 0);
                    channels[voxels + v] = PatchNormalisation.Ct(inside ? ctOnPetGrid.Voxels[src] : -1000);
                    mask[v] = inside && lesion.Voxels[src];
                }
        var grid = g with { SizeX = size, SizeY = size, SizeZ = size, Origin = g.ToPatient(i0, j0, k0) };
        return new LesionPatch(channels, mask, grid);
    }

    /// <summary>
    /// Reads a PET/CT study from DICOM (PET series folder converted to SUVbw, CT series folder, and an RTSTRUCT or SEG
    /// holding the lesion) and extracts the lesion patch.
    /// </summary>
    public static LesionPatch FromDicom(string petFolder, string ctFolder, string roiPath, string roiName, int size)
    {
        var pet = PetSeries.Load(petFolder);
        var ct = DicomSeriesReader.Load(ctFolder, "CT");
        var ctOnPet = PetCtAlignment.CtOnPetGrid(ct, pet.Series);
        var roi = RoiLoader.Load(roiPath, pet.Grid, pet.FrameOfReferenceUid, new RoiSelection(RoiName: roiName));
        return Extract(pet.Suv, ctOnPet, roi.Mask, size);
    }

    /// <summary>
    /// The same from SPECT/CT: the SPECT (NM) converted to SUVbw with the site's camera calibration (refused, with the
    /// reason, when it cannot reach SUV: counts are not comparable across cameras, so no shared model could learn from
    /// them), the CT resampled onto the SPECT grid, the lesion from an RTSTRUCT or SEG on that grid.
    /// </summary>
    public static LesionPatch FromSpectDicom(string spectPath, string ctFolder, string roiPath, string roiName, int size, SpectCalibrationTable calibration)
    {
        var spect = SpectSeries.Load(spectPath, new SpectLoadOptions { Calibration = calibration, Require = SpectQuantity.Suv });
        var ct = DicomSeriesReader.Load(ctFolder, "CT");
        var ctOnSpect = PetCtAlignment.CtOnPetGrid(ct, spect.Series);
        var roi = RoiLoader.Load(roiPath, spect.Grid, spect.FrameOfReferenceUid, new RoiSelection(RoiName: roiName));
        return Extract(spect.Suv!, ctOnSpect, roi.Mask, size);
    }

    /// <summary>Patches and their labels as a sample set for the CNNs ([2, S, S, S] per sample).</summary>
    public static SampleSet ToSampleSet(IReadOnlyList<LesionPatch> patches, IReadOnlyList<int> labels)
    {
        if (patches.Count != labels.Count) throw new ArgumentException($"{patches.Count} patches but {labels.Count} labels");
        if (patches.Count == 0) throw new ArgumentException("no patches");
        var s = patches[0].Size;
        if (patches.Any(p => p.Size != s)) throw new ArgumentException("patches differ in size");
        return new SampleSet(patches.SelectMany(p => p.Channels).ToArray(), [2, s, s, s], labels.ToArray());
    }

    /// <summary>
    /// Two timepoints per patient as a sample set for the delta model ([4, S, S, S] per sample): the baseline patch's
    /// two channels, then the follow-up's (the order DeltaResNet3d splits them in).
    /// </summary>
    public static SampleSet ToDeltaSampleSet(IReadOnlyList<LesionPatch> baseline, IReadOnlyList<LesionPatch> followUp, IReadOnlyList<int> labels)
    {
        if (baseline.Count != followUp.Count || baseline.Count != labels.Count)
            throw new ArgumentException($"{baseline.Count} baseline patches, {followUp.Count} follow-up patches and {labels.Count} labels");
        if (baseline.Count == 0) throw new ArgumentException("no patches");
        var s = baseline[0].Size;
        if (baseline.Concat(followUp).Any(p => p.Size != s)) throw new ArgumentException("patches differ in size");
        return new SampleSet(baseline.Zip(followUp).SelectMany(p => p.First.Channels.Concat(p.Second.Channels)).ToArray(), [4, s, s, s], labels.ToArray());
    }
}
