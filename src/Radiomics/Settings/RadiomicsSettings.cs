using FedRad.Imaging.Resampling;

namespace FedRad.Radiomics.Settings;

/// <summary>
/// Every parameter of an IBSI feature extraction, named as in IBSI 1 ("Image processing" and the texture chapters).
/// Immutable; build one in code or load one with <see cref="SettingsLoader"/> from YAML/JSON (see configs/).
/// </summary>
public sealed record RadiomicsSettings
{
    /// <summary>Free text naming the configuration (e.g. "IBSI CT phantom configuration A").</summary>
    public string Name { get; init; } = "";

    /// <summary>Modality the settings are meant for (CT, PT, ...); informational, used as a default column prefix.</summary>
    public string? Modality { get; init; }

    /// <summary>Texture approaches to compute: 2D (by slice), 2.5D (by slice, merged over slices) and/or 3D (IBSI "texture aggregation").</summary>
    public IReadOnlyList<TextureApproach> Approaches { get; init; } = [TextureApproach.ThreeD];

    public InterpolationSettings Interpolation { get; init; } = new();
    public ResegmentationSettings Resegmentation { get; init; } = new();

    /// <summary>Discretisation for the intensity histogram and texture families.</summary>
    public DiscretisationSettings TextureDiscretisation { get; init; } = new(DiscretisationMethod.FixedBinNumber, Bins: 32);

    /// <summary>Discretisation for the intensity-volume histogram (IBSI recommends a finer one than for texture).</summary>
    public DiscretisationSettings IvhDiscretisation { get; init; } = new(DiscretisationMethod.FixedBinNumber, Bins: 1000);

    public TextureSettings Texture { get; init; } = new();

    /// <summary>Feature families to compute (all by default).</summary>
    public IReadOnlySet<FeatureFamily> Families { get; init; } = new HashSet<FeatureFamily>(Enum.GetValues<FeatureFamily>());

    /// <summary>Checks the combination of parameters; throws <see cref="SettingsException"/> naming the offending field.</summary>
    public RadiomicsSettings Validate(string source = "settings")
    {
        void Fail(string field, string message) => throw new SettingsException(source, field, message);
        if (Approaches.Count == 0) Fail("approaches", "at least one of 2D, 2.5D, 3D is required");
        var ip = Interpolation;
        if (ip.Enabled)
        {
            foreach (var (s, axis) in new[] { (ip.SpacingX, "x"), (ip.SpacingY, "y"), (ip.SpacingZ, "z") })
                if (s is not null && !(s > 0 && double.IsFinite(s.Value))) Fail($"interpolation.spacing_mm ({axis})", $"must be a positive number of mm, got {s}");
            if (ip.SpacingX is null && ip.SpacingY is null && ip.SpacingZ is null) Fail("interpolation.spacing_mm", "interpolation is enabled but no spacing is given");
        }
        if (!(ip.PartialVolumeThreshold > 0 && ip.PartialVolumeThreshold <= 1)) Fail("interpolation.roi_partial_volume_threshold", "must be in (0, 1]");
        if (ip.IntensityRounding is { } r && !(r > 0)) Fail("interpolation.intensity_rounding", "must be a positive step (e.g. 1 for HU)");
        var rs = Resegmentation;
        if (rs.RangeLower is { } lo && rs.RangeUpper is { } hi && !(lo <= hi)) Fail("resegmentation.range", $"lower bound {lo} is above upper bound {hi}");
        if (rs.OutlierSigma is { } sg && !(sg > 0)) Fail("resegmentation.outlier_sigma", "must be positive (3 for IBSI's 3σ rule)");
        TextureDiscretisation.Validate(source, "discretisation.texture", Fail);
        IvhDiscretisation.Validate(source, "discretisation.ivh", Fail);
        var t = Texture;
        if (t.GlcmDistance < 1) Fail("texture.glcm_distance", "must be ≥ 1");
        if (t.NgtdmDistance < 1) Fail("texture.ngtdm_distance", "must be ≥ 1");
        if (t.NgldmDistance < 1) Fail("texture.ngldm_distance", "must be ≥ 1");
        if (t.ZoneLinkageDistance != 1) Fail("texture.glszm_gldzm_linkage_distance", "only 1 (8-connected in 2D, 26-connected in 3D) is supported");
        if (t.NgldmAlpha < 0) Fail("texture.ngldm_alpha", "must be ≥ 0");
        if (Families.Count == 0) Fail("families", "at least one feature family is required");
        return this;
    }
}

public enum TextureApproach { TwoD, TwoPointFiveD, ThreeD }

public enum FeatureFamily
{
    Morphology, LocalIntensity, IntensityStatistics, IntensityHistogram, IntensityVolumeHistogram,
    Glcm, Glrlm, Glszm, Gldzm, Ngtdm, Ngldm,
}

/// <summary>IBSI image interpolation and ROI interpolation.</summary>
public sealed record InterpolationSettings
{
    public bool Enabled { get; init; }
    /// <summary>New voxel spacing in mm per axis; null keeps that axis (IBSI 2D configurations resample in-slice only).</summary>
    public double? SpacingX { get; init; }
    public double? SpacingY { get; init; }
    public double? SpacingZ { get; init; }
    public InterpolationMethod ImageMethod { get; init; } = InterpolationMethod.Linear;
    /// <summary>Round interpolated intensities to the nearest multiple of this step (1 for CT HU); null = no rounding.</summary>
    public double? IntensityRounding { get; init; }
    public InterpolationMethod RoiMethod { get; init; } = InterpolationMethod.Linear;
    public double PartialVolumeThreshold { get; init; } = 0.5;
}

/// <summary>IBSI re-segmentation of the intensity mask: a range and/or outlier filtering (mean ± k·σ).</summary>
public sealed record ResegmentationSettings
{
    public double? RangeLower { get; init; }
    /// <summary>Upper bound; null leaves the range half-open.</summary>
    public double? RangeUpper { get; init; }
    public double? OutlierSigma { get; init; }
    public bool HasRange => RangeLower is not null || RangeUpper is not null;
}

public enum DiscretisationMethod
{
    /// <summary>Intensities are already grey levels (integers; for texture they must be ≥ 1), e.g. the IBSI digital phantom or CT HU for the IVH.</summary>
    None,
    /// <summary>FBN: N_g bins spanning the ROI's intensity range.</summary>
    FixedBinNumber,
    /// <summary>FBS: bins of width w from the re-segmentation range's lower bound, or from the ROI minimum (IBSI's minimum rule).</summary>
    FixedBinSize,
}

public sealed record DiscretisationSettings(DiscretisationMethod Method, int Bins = 0, double BinWidth = 0)
{
    internal void Validate(string source, string field, Action<string, string> fail)
    {
        if (Method == DiscretisationMethod.FixedBinNumber && Bins < 1) fail(field + ".bins", "fixed bin number needs bins ≥ 1");
        if (Method == DiscretisationMethod.FixedBinSize && !(BinWidth > 0 && double.IsFinite(BinWidth))) fail(field + ".bin_width", "fixed bin size needs a positive bin_width");
    }

    public override string ToString() => Method switch
    {
        DiscretisationMethod.FixedBinNumber => $"FBN {Bins} bins",
        DiscretisationMethod.FixedBinSize => $"FBS width {BinWidth}",
        _ => "none",
    };
}

/// <summary>Neighbourhood parameters of the texture families (IBSI defaults: distance 1, α = 0).</summary>
public sealed record TextureSettings
{
    /// <summary>GLCM co-occurrence distance δ (Chebyshev).</summary>
    public int GlcmDistance { get; init; } = 1;
    /// <summary>Zone linkage for GLSZM/GLDZM: 1 = Chebyshev neighbours (8-connected in 2D, 26-connected in 3D).</summary>
    public int ZoneLinkageDistance { get; init; } = 1;
    public int NgtdmDistance { get; init; } = 1;
    public int NgldmDistance { get; init; } = 1;
    /// <summary>NGLDM coarseness parameter α: neighbours within α grey levels are dependent.</summary>
    public int NgldmAlpha { get; init; }
}

/// <summary>A settings file or object that cannot be used; names the source and the field.</summary>
public sealed class SettingsException(string source, string field, string message)
    : Exception($"{source}: {field}: {message}")
{
    public string SettingsSource { get; } = source;
    public string Field { get; } = field;
}
