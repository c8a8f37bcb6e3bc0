using FedRad.Imaging.Resampling;
using FedRad.Imaging.Series;

namespace FedRad.Imaging.Alignment;

/// <summary>
/// Brings CT onto the PET grid and PET onto the CT grid through patient coordinates (the scanner's own registration:
/// both series must share one Frame of Reference UID). SPECT/CT is aligned the same way: pass the SPECT series
/// (<c>SpectImage.Series</c>) where the PET series is asked for. Resampling uses the radiomics resampler
/// (<see cref="Resampler"/>); target voxels outside the source image are NaN, never silently air or zero.
/// </summary>
public static class PetCtAlignment
{
    public static ImageVolume CtOnPetGrid(DicomVolume ct, DicomVolume pet, InterpolationMethod method = InterpolationMethod.Linear)
    {
        RequireSameFrame(ct, pet);
        return Resampler.Resample(ct.Image, pet.Grid, method);
    }

    /// <summary>A PET image (activity or SUV) of <paramref name="pet"/>'s series onto the CT grid.</summary>
    public static ImageVolume PetOnCtGrid(ImageVolume petImage, DicomVolume pet, DicomVolume ct, InterpolationMethod method = InterpolationMethod.Linear)
    {
        RequireSameFrame(ct, pet);
        if (!petImage.Grid.SameGeometry(pet.Grid)) throw new ArgumentException("the PET image is not on its series' grid", nameof(petImage));
        return Resampler.Resample(petImage, ct.Grid, method);
    }

    public static void RequireSameFrame(DicomVolume a, DicomVolume b)
    {
        if (a.FrameOfReferenceUid is null || b.FrameOfReferenceUid is null)
            throw new ImageFormatException(a.Slices[0].File.Path, -1,
                $"{(a.FrameOfReferenceUid is null ? a.Modality : b.Modality)} series has no Frame of Reference UID: its patient coordinates cannot be trusted to match the other series");
        if (a.FrameOfReferenceUid != b.FrameOfReferenceUid)
            throw new ImageFormatException(a.Slices[0].File.Path, -1,
                $"{a.Modality} Frame of Reference {a.FrameOfReferenceUid} differs from {b.Modality} {b.FrameOfReferenceUid}: the series are not in the same patient coordinates (register them first)");
    }
}
