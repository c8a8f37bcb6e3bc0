using FedRad.Shared.Protocol;

namespace FedRad.DeepLearning.Models;

/// <summary>
/// A deep model's architecture: what a study names so that every site builds the same layout.
/// Kinds: <c>mlp</c> (features), <c>cnn-early</c> and <c>cnn-intermediate</c> (PET/CT patches), <c>cnn-delta</c> (two timepoints).
/// </summary>
public sealed record DeepModelSpec
{
    public const string Mlp = DeepModelRules.Mlp;
    public const string CnnEarly = DeepModelRules.CnnEarly;
    public const string CnnIntermediate = DeepModelRules.CnnIntermediate;
    public const string CnnDelta = DeepModelRules.CnnDelta;

    public static IReadOnlyList<string> Kinds => DeepModelRules.Kinds;

    public required string Kind { get; init; }
    /// <summary>Patch edge in voxels (CNNs; a multiple of 4).</summary>
    public int PatchSize { get; init; } = 16;
    /// <summary>Channels of the first convolution (w); the encoder ends with 4w.</summary>
    public int Width { get; init; } = 8;
    /// <summary>Channels of one timepoint for the delta model (2: PET and CT).</summary>
    public int ChannelsPerTimepoint { get; init; } = 2;
    /// <summary>Inputs of the MLP.</summary>
    public int FeatureCount { get; init; }
    /// <summary>Hidden layer widths of the MLP.</summary>
    public IReadOnlyList<int> Hidden { get; init; } = [32, 16];

    public Fusion Fusion => Kind == CnnIntermediate ? Fusion.Intermediate : Fusion.Early;

    /// <summary>The shape of one input sample.</summary>
    public long[] SampleShape => Kind switch
    {
        Mlp => [FeatureCount],
        CnnDelta => [2 * ChannelsPerTimepoint, PatchSize, PatchSize, PatchSize],
        _ => [2, PatchSize, PatchSize, PatchSize],
    };

    /// <summary>Null when the spec is buildable, else what is wrong with it.</summary>
    public string? Problem() => Kind switch
    {
        _ when !Kinds.Contains(Kind) => $"unknown deep model '{Kind}' (known: {string.Join(", ", Kinds)})",
        Mlp when FeatureCount < 1 => $"mlp needs at least one feature, got {FeatureCount}",
        Mlp when Hidden.Any(h => h < 1) => "mlp hidden widths must be positive",
        not Mlp when PatchSize < 4 || PatchSize % 4 != 0 => $"patch size must be a positive multiple of 4, got {PatchSize}",
        not Mlp when Width < 1 => $"width must be positive, got {Width}",
        CnnDelta when ChannelsPerTimepoint < 1 => $"channels per timepoint must be positive, got {ChannelsPerTimepoint}",
        _ => null,
    };
}
