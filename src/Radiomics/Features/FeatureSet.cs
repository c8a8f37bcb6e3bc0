namespace FedRad.Radiomics.Features;

/// <summary>
/// All feature values computed for one ROI, in a stable order (family, feature, aggregation), with what the
/// extraction did to get them. This is what the site agent, the CLI and the tests consume.
/// </summary>
public sealed class FeatureSet
{
    public IReadOnlyList<FeatureValue> Values { get; }
    /// <summary>Voxels in the morphological mask after interpolation (before re-segmentation).</summary>
    public int MorphologicalVoxelCount { get; }
    /// <summary>Voxels in the intensity mask after re-segmentation.</summary>
    public int IntensityVoxelCount { get; }
    /// <summary>Number of grey levels N_g used for texture and histogram features.</summary>
    public int GreyLevels { get; }
    /// <summary>Notes about the ROI that a reader should know (e.g. voxels removed by re-segmentation).</summary>
    public IReadOnlyList<string> Notes { get; }
    /// <summary>Wall time of the image processing ("preparation") and of each family, in the order they ran.</summary>
    public IReadOnlyList<(string Step, TimeSpan Elapsed)> Timings { get; }

    public FeatureSet(IReadOnlyList<FeatureValue> values, int morphologicalVoxelCount, int intensityVoxelCount, int greyLevels,
        IReadOnlyList<string> notes, IReadOnlyList<(string Step, TimeSpan Elapsed)>? timings = null)
    {
        Timings = timings ?? [];
        Values = values;
        MorphologicalVoxelCount = morphologicalVoxelCount;
        IntensityVoxelCount = intensityVoxelCount;
        GreyLevels = greyLevels;
        Notes = notes;
    }

    /// <summary>Looks a value up by IBSI feature code and aggregation; throws if absent.</summary>
    public FeatureValue Get(string ibsiCode, Aggregation aggregation = Aggregation.None) =>
        Values.FirstOrDefault(v => v.IbsiCode == ibsiCode && v.Aggregation == aggregation)
        ?? throw new KeyNotFoundException($"no feature with IBSI code {ibsiCode} and aggregation {aggregation} in this set");

    /// <summary>Long form: one row per feature and aggregation.</summary>
    public IEnumerable<LongRow> ToLongRows() =>
        Values.Select(v => new LongRow(v.Feature, v.IbsiCode, v.Aggregation.IbsiCode(), v.Value));

    /// <summary>
    /// Wide form for the learning side: one column per feature and aggregation, named
    /// "{prefix}_{family}_{feature}_{aggregation}" (e.g. "pt_glcm_joint_max_3d_avg"), in a stable order.
    /// </summary>
    public OrderedDictionary<string, double> ToWideRow(string? prefix = null)
    {
        var row = new OrderedDictionary<string, double>(StringComparer.Ordinal);
        foreach (var v in Values) row.Add(v.ColumnName(prefix), v.Value);
        return row;
    }

    /// <summary>A copy whose feature names carry a modality prefix in the family (e.g. "pt_glcm"), for multimodal sets.</summary>
    public FeatureSet WithFamilyPrefix(string prefix) =>
        new(Values.Select(v => v with { Family = $"{prefix}_{v.Family}" }).ToList(), MorphologicalVoxelCount, IntensityVoxelCount, GreyLevels, Notes, Timings);
}
