using FedRad.Dicom;
using FedRad.Imaging.Pet;
using FedRad.Imaging.Series;
using FedRad.Imaging.Spect;
using FedRad.Imaging.Synthetic;

namespace FedRad.Imaging.Tests.Spect;

/// <summary>Broken NM headers end in a clear error naming the file (or in a successful read), never in another exception.</summary>
public class SpectFuzzTests
{
    [Fact]
    public void MutatedNmHeadersEndInClearErrors()
    {
        using var dir = TestData.Temp();
        var study = SyntheticSpectCtWriter.Write(Path.Combine(dir.Path, "seed"), SpectFiles.Small());
        var calibration = SpectCalibrationTable.Load(study.CalibrationPath);
        var seed = File.ReadAllBytes(study.SpectPath);
        var header = seed.AsSpan().IndexOf((ReadOnlySpan<byte>)[0xE0, 0x7F, 0x10, 0x00]);   // (7FE0,0010): mutate the header before the pixels
        Assert.True(header > 1000);
        var random = new Random(2024);
        int read = 0, refused = 0;
        for (var c = 0; c < 400; c++)
        {
            var bytes = (byte[])seed.Clone();
            for (var m = random.Next(1, 4); m > 0; m--)
            {
                var at = 132 + random.Next(header - 132);
                // Half the cases write number-like text (DS/IS values), half random bytes (US vectors, lengths, VRs).
                bytes[at] = c % 2 == 0 ? "0123456789.-+\\eE \0X"u8[random.Next(19)] : (byte)random.Next(256);
            }
            var folder = Path.Combine(dir.Path, $"case{c}");
            Directory.CreateDirectory(folder);
            File.WriteAllBytes(Path.Combine(folder, "NM.dcm"), bytes);
            try
            {
                var image = SpectSeries.Load(folder, new SpectLoadOptions { Calibration = calibration });
                Assert.Equal(image.Grid.VoxelCount, image.Values.Voxels.Length);
                read++;
            }
            catch (Exception e) when (e is ImageFormatException or SeriesGeometryException or SuvRefusedException or DicomFormatException)
            {
                Assert.Contains($"case{c}", e.Message);
                refused++;
            }
        }
        Assert.True(read > 50 && refused > 20, $"{read} read, {refused} refused: the mutations should exercise both");
    }
}
