using FedRad.Dicom;
using FedRad.Imaging.Synthetic;

namespace FedRad.Imaging.Tests.Spect;

/// <summary>Synthetic SPECT studies for the tests, and edits of their NM object (to make the bad inputs real files).</summary>
internal static class SpectFiles
{
    /// <summary>A small study (32 × 32 × 24 voxels of 9.6 mm) so that tests that only need the NM object stay quick.</summary>
    public static SyntheticSpectStudyOptions Small(int seed = 1) => new()
    {
        Seed = seed,
        SpectGrid = ImageGrid.Axial(32, 32, 24, 9.6, 9.6, 9.6, new Vec3(-148.8, -148.8, -110.4)),
        CtGrid = ImageGrid.Axial(32, 32, 24, 9.6, 9.6, 9.6, new Vec3(-148.8, -148.8, -110.4)),
        Lesion = new SyntheticRegion("Lesion", new Vec3(30, -10, 4), 25, 8.0, 0.25, 300),
        Reference = new SyntheticRegion("Gland", new Vec3(-50, 20, -10), 25, 3.0, 0, 50),
    };

    /// <summary>Rewrites the NM file after <paramref name="edit"/> has changed its data set.</summary>
    public static void Edit(string path, Action<DicomDataset> edit)
    {
        var file = DicomReader.Read(path);
        edit(file.Dataset);
        DicomWriter.Write(path, file.Dataset);
    }

    public static DicomDataset Item(DicomDataset ds, DicomTag sequence) => ds.GetItem(sequence) ?? throw new InvalidOperationException($"{sequence} missing");
}
