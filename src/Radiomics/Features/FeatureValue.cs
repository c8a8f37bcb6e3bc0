namespace FedRad.Radiomics.Features;

/// <summary>
/// One computed feature: its family key (e.g. "glcm"), its name within the family (e.g. "joint_max"), its IBSI
/// feature code, the aggregation and the value. A value is NaN only where the feature is undefined for this ROI;
/// <see cref="NanReason"/> then says why.
/// </summary>
public sealed record FeatureValue(string Family, string Name, string IbsiCode, Aggregation Aggregation, double Value, string? NanReason = null)
{
    /// <summary>Family and name: the "feature" column of the long form, e.g. "glcm_joint_max".</summary>
    public string Feature => $"{Family}_{Name}";

    /// <summary>Stable wide-table column name, e.g. "pt_glcm_joint_max_3d_avg" (prefix optional).</summary>
    public string ColumnName(string? prefix = null)
    {
        var suffix = Aggregation.ColumnSuffix();
        var core = suffix.Length == 0 ? Feature : $"{Feature}_{suffix}";
        return string.IsNullOrEmpty(prefix) ? core : $"{prefix}_{core}";
    }
}

/// <summary>A row of the long output form: feature, ibsi_code, aggregation_code, value.</summary>
public sealed record LongRow(string Feature, string IbsiCode, string AggregationCode, double Value);
