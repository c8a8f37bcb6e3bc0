using FedRad.Imaging.Series;

namespace FedRad.Imaging.Pet;

/// <summary>A PET series in activity (its stored Units) and in SUV.</summary>
public sealed class PetImage
{
    public required DicomVolume Series { get; init; }
    public required ImageVolume Suv { get; init; }
    public required SuvConversion Conversion { get; init; }
    public ImageGrid Grid => Suv.Grid;
    public string? FrameOfReferenceUid => Series.FrameOfReferenceUid;
    public IReadOnlyList<string> Warnings => [.. Series.Warnings, .. Conversion.Warnings];
}

public static class PetSeries
{
    /// <summary>
    /// Loads the PET series under <paramref name="path"/> and converts it to SUV. Throws <see cref="SuvRefusedException"/>
    /// with the reason when SUV cannot be computed; never returns a silently wrong SUV.
    /// </summary>
    public static PetImage Load(string path, SuvNormalisation normalisation = SuvNormalisation.BodyWeight, string? seriesInstanceUid = null,
        IProgress<(int Done, int Total)>? progress = null) =>
        ToSuv(DicomSeriesReader.Load(path, "PT", seriesInstanceUid, progress), normalisation);

    public static PetImage ToSuv(DicomVolume series, SuvNormalisation normalisation)
    {
        if (series.Modality != "PT") throw new ArgumentException($"{series.Modality} series is not PET", nameof(series));
        var acquisition = PetAcquisition.FromDatasets(series.Slices[0].File.Path, series.Slices.Select(s => s.Dataset).ToList());
        var conversion = SuvCalculator.Compute(acquisition, normalisation);
        var grid = series.Grid;
        var plane = grid.SizeX * grid.SizeY;
        var suv = new float[grid.VoxelCount];
        for (var k = 0; k < grid.SizeZ; k++)
        {
            var factor = conversion.FrameFactors[k];
            var src = series.Image.Voxels.AsSpan(k * plane, plane);
            var dst = suv.AsSpan(k * plane, plane);
            for (var n = 0; n < plane; n++) dst[n] = (float)(src[n] * factor);
        }
        return new PetImage { Series = series, Suv = new ImageVolume(grid, suv, normalisation.Symbol()), Conversion = conversion };
    }
}
