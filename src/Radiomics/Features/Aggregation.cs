namespace FedRad.Radiomics.Features;

/// <summary>
/// How a feature value was aggregated over slices and directions, with its IBSI code. Non-texture families are
/// computed once in 3D and carry <see cref="None"/> (IBSI gives them no aggregation code).
/// </summary>
public enum Aggregation
{
    None,
    /// <summary>GLCM/GLRLM: features per slice and direction, averaged (BTW3).</summary>
    TwoDAveraged,
    /// <summary>GLCM/GLRLM: direction matrices merged per slice, features averaged over slices (SUJT).</summary>
    TwoDSliceMerged,
    /// <summary>GLCM/GLRLM: matrices merged over slices per direction, features averaged over directions (JJUI).</summary>
    TwoPointFiveDDirectionMerged,
    /// <summary>GLCM/GLRLM: all slice and direction matrices merged (ZW7Z).</summary>
    TwoPointFiveDMerged,
    /// <summary>GLCM/GLRLM: features per 3D direction, averaged (ITBB).</summary>
    ThreeDAveraged,
    /// <summary>GLCM/GLRLM: all 3D direction matrices merged (IAZD).</summary>
    ThreeDMerged,
    /// <summary>GLSZM/GLDZM/NGTDM/NGLDM: features per slice, averaged (8QNN).</summary>
    TwoD,
    /// <summary>GLSZM/GLDZM/NGTDM/NGLDM: slice matrices merged (62GR).</summary>
    TwoPointFiveD,
    /// <summary>GLSZM/GLDZM/NGTDM/NGLDM: one 3D matrix (KOBO).</summary>
    ThreeD,
}

public static class AggregationInfo
{
    /// <summary>IBSI aggregation code ("" for <see cref="Aggregation.None"/>).</summary>
    public static string IbsiCode(this Aggregation a) => a switch
    {
        Aggregation.TwoDAveraged => "BTW3",
        Aggregation.TwoDSliceMerged => "SUJT",
        Aggregation.TwoPointFiveDDirectionMerged => "JJUI",
        Aggregation.TwoPointFiveDMerged => "ZW7Z",
        Aggregation.ThreeDAveraged => "ITBB",
        Aggregation.ThreeDMerged => "IAZD",
        Aggregation.TwoD => "8QNN",
        Aggregation.TwoPointFiveD => "62GR",
        Aggregation.ThreeD => "KOBO",
        _ => "",
    };

    /// <summary>Suffix used in wide column names, e.g. "3d_avg" in pt_glcm_joint_max_3d_avg ("" for none).</summary>
    public static string ColumnSuffix(this Aggregation a) => a switch
    {
        Aggregation.TwoDAveraged => "2d_avg",
        Aggregation.TwoDSliceMerged => "2d_smrg",
        Aggregation.TwoPointFiveDDirectionMerged => "2_5d_dmrg",
        Aggregation.TwoPointFiveDMerged => "2_5d_vmrg",
        Aggregation.ThreeDAveraged => "3d_avg",
        Aggregation.ThreeDMerged => "3d_mrg",
        Aggregation.TwoD => "2d",
        Aggregation.TwoPointFiveD => "2_5d",
        Aggregation.ThreeD => "3d",
        _ => "",
    };

    public static Aggregation FromIbsiCode(string code)
    {
        foreach (var a in Enum.GetValues<Aggregation>())
            if (a.IbsiCode() == code) return a;
        throw new ArgumentException($"'{code}' is not an IBSI aggregation code", nameof(code));
    }
}
