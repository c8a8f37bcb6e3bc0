namespace FedRad.Imaging.Rois;

/// <summary>
/// Automatic lesion delineation on an SUV image.
/// <list type="bullet">
/// <item>Fixed threshold: SUV ≥ a value (2.5 by default), optionally only inside a search region.</item>
/// <item>Relative threshold: SUV ≥ a fraction (41 % by default) of the SUVmax found inside a seed region, kept to that region.</item>
/// </list>
/// Split the result into lesions with <see cref="ConnectedComponents"/>.
/// </summary>
public static class Delineation
{
    public const double DefaultFixedThreshold = 2.5;
    public const double DefaultRelativeFraction = 0.41;

    public static MaskVolume FixedThreshold(ImageVolume suv, double threshold = DefaultFixedThreshold, MaskVolume? searchRegion = null)
    {
        CheckGrid(suv, searchRegion);
        var inside = new bool[suv.Voxels.Length];
        for (var n = 0; n < inside.Length; n++)
            inside[n] = suv.Voxels[n] >= threshold && (searchRegion is null || searchRegion.Voxels[n]);
        return new MaskVolume(suv.Grid, inside, $"SUV ≥ {threshold}");
    }

    public static MaskVolume RelativeThreshold(ImageVolume suv, MaskVolume seedRegion, double fraction = DefaultRelativeFraction)
    {
        CheckGrid(suv, seedRegion);
        if (!(fraction > 0 && fraction <= 1)) throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "fraction of SUVmax must be in (0, 1]");
        var max = float.NegativeInfinity;
        for (var n = 0; n < suv.Voxels.Length; n++)
            if (seedRegion.Voxels[n] && suv.Voxels[n] > max) max = suv.Voxels[n];
        if (float.IsNegativeInfinity(max)) throw new ArgumentException($"the seed region '{seedRegion.Name}' is empty");
        var threshold = fraction * max;
        var inside = new bool[suv.Voxels.Length];
        for (var n = 0; n < inside.Length; n++) inside[n] = seedRegion.Voxels[n] && suv.Voxels[n] >= threshold;
        return new MaskVolume(suv.Grid, inside, $"SUV ≥ {100 * fraction:0.#}% of SUVmax {max:0.###} in '{seedRegion.Name}'");
    }

    private static void CheckGrid(ImageVolume suv, MaskVolume? region)
    {
        if (region is not null && !region.Grid.SameGeometry(suv.Grid, 0.01))
            throw new ArgumentException($"the region '{region.Name}' is not on the SUV image grid");
    }
}

/// <summary>
/// A study's automatic PET delineation, applied to a region a site already has (the manifest's mask): <c>fixed</c>, SUV ≥
/// <see cref="Value"/> inside it as the search region; <c>relative</c>, SUV ≥ <see cref="Value"/> × the SUVmax inside it
/// as the seed region (<see cref="Delineation"/>).
/// </summary>
public sealed record ThresholdDelineation(string Method, double Value)
{
    public const string Fixed = "fixed";
    public const string Relative = "relative";
    public static readonly string[] Methods = [Fixed, Relative];

    public MaskVolume Apply(ImageVolume suv, MaskVolume region) => Method switch
    {
        Fixed => Delineation.FixedThreshold(suv, Value, region),
        Relative => Delineation.RelativeThreshold(suv, region, Value),
        _ => throw new ArgumentException($"unknown PET delineation '{Method}' (known: {string.Join(", ", Methods)})"),
    };

    /// <summary>What is wrong with the parameters, or null.</summary>
    public string? Problem() => Method switch
    {
        Fixed when !(Value > 0 && double.IsFinite(Value)) => $"a fixed threshold is an SUV > 0, got {Value}",
        Relative when !(Value > 0 && Value <= 1) => $"a relative threshold is a fraction of SUVmax in (0, 1], got {Value}",
        Fixed or Relative => null,
        _ => $"unknown PET delineation '{Method}' (known: {string.Join(", ", Methods)})",
    };

    public override string ToString() => Method == Fixed ? $"SUV ≥ {Value:0.###} in the region" : $"SUV ≥ {100 * Value:0.#}% of the region's SUVmax";
}
