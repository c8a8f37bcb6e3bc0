using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using FedRad.Imaging.Resampling;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace FedRad.Radiomics.Settings;

/// <summary>
/// Reads <see cref="RadiomicsSettings"/> from a YAML (.yaml/.yml) or JSON (.json) file whose keys mirror IBSI's
/// parameters (see configs/ibsi-ct-config-A.yaml for every key). Unknown keys and bad values are errors that name
/// the file, the key and, for YAML, the line.
/// </summary>
public static class SettingsLoader
{
    public static RadiomicsSettings Load(string path)
    {
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        { throw new SettingsException(path, "(file)", $"cannot read settings file: {e.Message}"); }
        var ext = Path.GetExtension(path).ToLowerInvariant();
        return ext == ".json" ? FromJson(text, path) : FromYaml(text, path);
    }

    public static RadiomicsSettings FromYaml(string yaml, string source = "settings.yaml")
    {
        var deserializer = new DeserializerBuilder().WithNamingConvention(UnderscoredNamingConvention.Instance).Build();
        SettingsFile? dto;
        try { dto = deserializer.Deserialize<SettingsFile>(yaml); }
        catch (YamlException e)
        {
            var inner = e.InnerException?.Message;
            throw new SettingsException(source, $"line {e.Start.Line}, column {e.Start.Column}", inner is null ? e.Message : $"{e.Message} ({inner})");
        }
        return ToSettings(dto ?? throw new SettingsException(source, "(document)", "the file is empty"), source);
    }

    public static RadiomicsSettings FromJson(string json, string source = "settings.json")
    {
        var options = new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
            ReadCommentHandling = JsonCommentHandling.Skip,
            AllowTrailingCommas = true,
            NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        };
        SettingsFile? dto;
        try { dto = JsonSerializer.Deserialize<SettingsFile>(json, options); }
        catch (JsonException e) { throw new SettingsException(source, e.Path ?? "(document)", e.Message); }
        return ToSettings(dto ?? throw new SettingsException(source, "(document)", "the file is empty"), source);
    }

    private static RadiomicsSettings ToSettings(SettingsFile f, string source)
    {
        void Fail(string field, string message) => throw new SettingsException(source, field, message);

        var approaches = new List<TextureApproach>();
        foreach (var a in f.Approaches ?? ["3D"])
            approaches.Add(a.Trim().ToUpperInvariant() switch
            {
                "2D" => TextureApproach.TwoD,
                "2.5D" => TextureApproach.TwoPointFiveD,
                "3D" => TextureApproach.ThreeD,
                _ => throw new SettingsException(source, "approaches", $"'{a}' is not one of 2D, 2.5D, 3D"),
            });

        var ip = f.Interpolation ?? new InterpolationSection();
        double?[] spacing = ip.SpacingMm?.ToArray() ?? [null, null, null];
        if (spacing.Length != 3) Fail("interpolation.spacing_mm", $"needs 3 values [x, y, z] (null keeps an axis), got {spacing.Length}");
        var interpolation = new InterpolationSettings
        {
            Enabled = ip.Enabled,
            SpacingX = spacing[0], SpacingY = spacing[1], SpacingZ = spacing[2],
            ImageMethod = ParseInterpolation(ip.ImageMethod ?? "linear", "interpolation.image_method", source),
            IntensityRounding = ip.IntensityRounding,
            RoiMethod = ParseInterpolation(ip.RoiMethod ?? "linear", "interpolation.roi_method", source),
            PartialVolumeThreshold = ip.RoiPartialVolumeThreshold ?? 0.5,
        };

        var rs = f.Resegmentation ?? new ResegmentationSection();
        double? lo = null, hi = null;
        if (rs.Range is { } range)
        {
            if (range.Count != 2) Fail("resegmentation.range", $"needs [lower, upper] (upper may be null), got {range.Count} values");
            (lo, hi) = (range[0], range[1]);
            if (lo is null) Fail("resegmentation.range", "the lower bound is required (IBSI's minimum rule for fixed bin size uses it)");
        }
        var reseg = new ResegmentationSettings { RangeLower = lo, RangeUpper = hi is { } h && double.IsPositiveInfinity(h) ? null : hi, OutlierSigma = rs.OutlierSigma };

        var disc = f.Discretisation ?? new DiscretisationSection();
        var texture = ParseDiscretisation(disc.Texture, "discretisation.texture", source) ?? new DiscretisationSettings(DiscretisationMethod.FixedBinNumber, Bins: 32);
        var ivh = ParseDiscretisation(disc.Ivh, "discretisation.ivh", source) ?? new DiscretisationSettings(DiscretisationMethod.FixedBinNumber, Bins: 1000);

        var tx = f.Texture ?? new TextureSection();
        var textureSettings = new TextureSettings
        {
            GlcmDistance = tx.GlcmDistance ?? 1,
            ZoneLinkageDistance = tx.GlszmGldzmLinkageDistance ?? 1,
            NgtdmDistance = tx.NgtdmDistance ?? 1,
            NgldmDistance = tx.NgldmDistance ?? 1,
            NgldmAlpha = tx.NgldmAlpha ?? 0,
        };

        var families = new HashSet<FeatureFamily>();
        foreach (var name in f.Families ?? Enum.GetValues<FeatureFamily>().Select(FamilyKey).ToList())
        {
            var match = Enum.GetValues<FeatureFamily>().Where(x => FamilyKey(x) == name.Trim().ToLowerInvariant()).ToList();
            if (match.Count == 0) Fail("families", $"'{name}' is not one of {string.Join(", ", Enum.GetValues<FeatureFamily>().Select(FamilyKey))}");
            families.Add(match[0]);
        }

        return new RadiomicsSettings
        {
            Name = f.Name ?? Path.GetFileNameWithoutExtension(source),
            Modality = f.Modality,
            Approaches = approaches.Distinct().ToList(),
            Interpolation = interpolation,
            Resegmentation = reseg,
            TextureDiscretisation = texture,
            IvhDiscretisation = ivh,
            Texture = textureSettings,
            Families = families,
        }.Validate(source);
    }

    /// <summary>The key used for a family in settings files and column names (e.g. "glcm", "intensity_histogram").</summary>
    public static string FamilyKey(FeatureFamily family) => family switch
    {
        FeatureFamily.Morphology => "morphology",
        FeatureFamily.LocalIntensity => "local_intensity",
        FeatureFamily.IntensityStatistics => "intensity_statistics",
        FeatureFamily.IntensityHistogram => "intensity_histogram",
        FeatureFamily.IntensityVolumeHistogram => "intensity_volume_histogram",
        _ => family.ToString().ToLowerInvariant(),
    };

    private static InterpolationMethod ParseInterpolation(string s, string field, string source) => s.Trim().ToLowerInvariant() switch
    {
        "nearest" or "nearest_neighbour" or "nearest_neighbor" => InterpolationMethod.Nearest,
        "linear" or "trilinear" or "bilinear" => InterpolationMethod.Linear,
        "cubic_spline" or "spline" or "tricubic_spline" or "bicubic_spline" => InterpolationMethod.CubicSpline,
        _ => throw new SettingsException(source, field, $"'{s}' is not one of nearest, linear, cubic_spline"),
    };

    private static DiscretisationSettings? ParseDiscretisation(DiscretisationEntry? d, string field, string source)
    {
        if (d is null) return null;
        var method = (d.Method ?? "").Trim().ToLowerInvariant() switch
        {
            "none" => DiscretisationMethod.None,
            "fixed_bin_number" or "fbn" => DiscretisationMethod.FixedBinNumber,
            "fixed_bin_size" or "fbs" => DiscretisationMethod.FixedBinSize,
            _ => throw new SettingsException(source, field + ".method", $"'{d.Method}' is not one of none, fixed_bin_number, fixed_bin_size"),
        };
        if (method == DiscretisationMethod.FixedBinNumber && d.Bins is null) throw new SettingsException(source, field + ".bins", "fixed_bin_number needs bins");
        if (method == DiscretisationMethod.FixedBinSize && d.BinWidth is null) throw new SettingsException(source, field + ".bin_width", "fixed_bin_size needs bin_width");
        if (method != DiscretisationMethod.FixedBinNumber && d.Bins is not null) throw new SettingsException(source, field + ".bins", $"bins only applies to fixed_bin_number, not {d.Method}");
        if (method != DiscretisationMethod.FixedBinSize && d.BinWidth is not null) throw new SettingsException(source, field + ".bin_width", $"bin_width only applies to fixed_bin_size, not {d.Method}");
        return new DiscretisationSettings(method, d.Bins ?? 0, d.BinWidth ?? 0);
    }

    /// <summary>Writes settings in the same YAML form the loader reads (used to record what a run used).</summary>
    public static string ToYaml(RadiomicsSettings s)
    {
        static string N(double? v) => v is null ? "null" : v.Value.ToString("R", CultureInfo.InvariantCulture);
        static string M(InterpolationMethod m) => m switch { InterpolationMethod.Nearest => "nearest", InterpolationMethod.Linear => "linear", _ => "cubic_spline" };
        static string D(DiscretisationSettings d) => d.Method switch
        {
            DiscretisationMethod.FixedBinNumber => $"{{method: fixed_bin_number, bins: {d.Bins}}}",
            DiscretisationMethod.FixedBinSize => $"{{method: fixed_bin_size, bin_width: {N(d.BinWidth)}}}",
            _ => "{method: none}",
        };
        var ap = string.Join(", ", s.Approaches.Select(a => a switch { TextureApproach.TwoD => "2D", TextureApproach.TwoPointFiveD => "2.5D", _ => "3D" }));
        var ip = s.Interpolation;
        var rs = s.Resegmentation;
        return $"""
            name: "{s.Name.Replace("\"", "'")}"
            modality: {s.Modality ?? "null"}
            approaches: [{ap}]
            interpolation:
              enabled: {(ip.Enabled ? "true" : "false")}
              spacing_mm: [{N(ip.SpacingX)}, {N(ip.SpacingY)}, {N(ip.SpacingZ)}]
              image_method: {M(ip.ImageMethod)}
              intensity_rounding: {N(ip.IntensityRounding)}
              roi_method: {M(ip.RoiMethod)}
              roi_partial_volume_threshold: {N(ip.PartialVolumeThreshold)}
            resegmentation:
              range: {(rs.RangeLower is null ? "null" : $"[{N(rs.RangeLower)}, {N(rs.RangeUpper)}]")}
              outlier_sigma: {N(rs.OutlierSigma)}
            discretisation:
              texture: {D(s.TextureDiscretisation)}
              ivh: {D(s.IvhDiscretisation)}
            texture:
              glcm_distance: {s.Texture.GlcmDistance}
              glszm_gldzm_linkage_distance: {s.Texture.ZoneLinkageDistance}
              ngtdm_distance: {s.Texture.NgtdmDistance}
              ngldm_distance: {s.Texture.NgldmDistance}
              ngldm_alpha: {s.Texture.NgldmAlpha}
            families: [{string.Join(", ", Enum.GetValues<FeatureFamily>().Where(s.Families.Contains).Select(FamilyKey))}]

            """;
    }

    // File shape (snake_case keys). Nullable members distinguish "absent" from a value.
    private sealed class SettingsFile
    {
        public string? Name { get; set; }
        public string? Modality { get; set; }
        public List<string>? Approaches { get; set; }
        public InterpolationSection? Interpolation { get; set; }
        public ResegmentationSection? Resegmentation { get; set; }
        public DiscretisationSection? Discretisation { get; set; }
        public TextureSection? Texture { get; set; }
        public List<string>? Families { get; set; }
    }

    private sealed class InterpolationSection
    {
        public bool Enabled { get; set; }
        public List<double?>? SpacingMm { get; set; }
        public string? ImageMethod { get; set; }
        public double? IntensityRounding { get; set; }
        public string? RoiMethod { get; set; }
        public double? RoiPartialVolumeThreshold { get; set; }
    }

    private sealed class ResegmentationSection
    {
        public List<double?>? Range { get; set; }
        public double? OutlierSigma { get; set; }
    }

    private sealed class DiscretisationSection
    {
        public DiscretisationEntry? Texture { get; set; }
        public DiscretisationEntry? Ivh { get; set; }
    }

    private sealed class DiscretisationEntry
    {
        public string? Method { get; set; }
        public int? Bins { get; set; }
        public double? BinWidth { get; set; }
    }

    private sealed class TextureSection
    {
        public int? GlcmDistance { get; set; }
        public int? GlszmGldzmLinkageDistance { get; set; }
        public int? NgtdmDistance { get; set; }
        public int? NgldmDistance { get; set; }
        public int? NgldmAlpha { get; set; }
    }
}
