namespace FedRad.Dicom;

/// <summary>Value representations of PS3.5 table 6.2-1.</summary>
public enum DicomVR
{
    AE, AS, AT, CS, DA, DS, DT, FD, FL, IS, LO, LT, OB, OD, OF, OL, OV, OW, PN, SH, SL, SQ, SS, ST, SV, TM, UC, UI, UL, UN, UR, US, UT, UV,
}

public static class DicomVRInfo
{
    /// <summary>VRs whose explicit-VR header has 2 reserved bytes and a 32-bit length (PS3.5 7.1.2).</summary>
    public static bool HasLongLength(this DicomVR vr) => vr is DicomVR.OB or DicomVR.OD or DicomVR.OF or DicomVR.OL or DicomVR.OV
        or DicomVR.OW or DicomVR.SQ or DicomVR.UC or DicomVR.UN or DicomVR.UR or DicomVR.UT or DicomVR.SV or DicomVR.UV;

    /// <summary>Character-string VRs (values are text, multiple values separated by '\').</summary>
    public static bool IsString(this DicomVR vr) => vr is DicomVR.AE or DicomVR.AS or DicomVR.CS or DicomVR.DA or DicomVR.DS or DicomVR.DT
        or DicomVR.IS or DicomVR.LO or DicomVR.LT or DicomVR.PN or DicomVR.SH or DicomVR.ST or DicomVR.TM or DicomVR.UC or DicomVR.UI
        or DicomVR.UR or DicomVR.UT;

    /// <summary>Text VRs that may hold one value only, so '\' is ordinary text.</summary>
    public static bool IsSingleValuedText(this DicomVR vr) => vr is DicomVR.LT or DicomVR.ST or DicomVR.UT or DicomVR.UR;

    /// <summary>VRs whose text is decoded with the Specific Character Set (PS3.5 6.1.2.3); the others are ASCII.</summary>
    public static bool UsesCharacterSet(this DicomVR vr) => vr is DicomVR.SH or DicomVR.LO or DicomVR.ST or DicomVR.LT
        or DicomVR.UC or DicomVR.UT or DicomVR.PN;

    /// <summary>Size in bytes of one binary value, or 0 for strings, SQ and byte streams (OB, UN).</summary>
    public static int BinarySize(this DicomVR vr) => vr switch
    {
        DicomVR.US or DicomVR.SS or DicomVR.OW => 2,
        DicomVR.UL or DicomVR.SL or DicomVR.FL or DicomVR.OF or DicomVR.OL or DicomVR.AT => 4,
        DicomVR.FD or DicomVR.OD or DicomVR.SV or DicomVR.UV or DicomVR.OV => 8,
        _ => 0,
    };

    /// <summary>Padding to even length: UI and byte streams with NUL, text with a space (PS3.5 6.2).</summary>
    public static byte PaddingByte(this DicomVR vr) => vr is DicomVR.UI or DicomVR.OB or DicomVR.UN ? (byte)0 : (byte)' ';

    public static bool TryParse(byte first, byte second, out DicomVR vr)
    {
        vr = default;
        if (first is < (byte)'A' or > (byte)'Z' || second is < (byte)'A' or > (byte)'Z') return false;
        return Enum.TryParse(new string([(char)first, (char)second]), out vr) && Enum.IsDefined(vr);
    }
}
