namespace FedRad.Dicom;

/// <summary>One public data dictionary entry (PS3.6).</summary>
public sealed record DicomDictionaryEntry(DicomTag Tag, DicomVR VR, string VM, string Keyword);

/// <summary>
/// The part of the PS3.6 data dictionary FedRad reads: file meta, patient/study/series, image pixel, PET isotope
/// and timing, NM multi-frame, detector, rotation, energy window and real-world value mapping (SPECT), enhanced
/// multi-frame functional groups, RT Structure Set and Segmentation. It gives implicit-VR files their VRs and the dump
/// its names. Tags not listed read as UN (bytes) and are still dumped and kept.
/// A test checks every entry against dcmtk's dicom.dic.
/// </summary>
public static class DicomDictionary
{
    private const string Table = """
        0002,0000 UL 1 FileMetaInformationGroupLength
        0002,0001 OB 1 FileMetaInformationVersion
        0002,0002 UI 1 MediaStorageSOPClassUID
        0002,0003 UI 1 MediaStorageSOPInstanceUID
        0002,0010 UI 1 TransferSyntaxUID
        0002,0012 UI 1 ImplementationClassUID
        0002,0013 SH 1 ImplementationVersionName
        0002,0016 AE 1 SourceApplicationEntityTitle
        0008,0005 CS 1-n SpecificCharacterSet
        0008,0008 CS 2-n ImageType
        0008,0012 DA 1 InstanceCreationDate
        0008,0013 TM 1 InstanceCreationTime
        0008,0016 UI 1 SOPClassUID
        0008,0018 UI 1 SOPInstanceUID
        0008,0020 DA 1 StudyDate
        0008,0021 DA 1 SeriesDate
        0008,0022 DA 1 AcquisitionDate
        0008,0023 DA 1 ContentDate
        0008,002A DT 1 AcquisitionDateTime
        0008,0030 TM 1 StudyTime
        0008,0031 TM 1 SeriesTime
        0008,0032 TM 1 AcquisitionTime
        0008,0033 TM 1 ContentTime
        0008,0050 SH 1 AccessionNumber
        0008,0060 CS 1 Modality
        0008,0064 CS 1 ConversionType
        0008,0070 LO 1 Manufacturer
        0008,0080 LO 1 InstitutionName
        0008,0090 PN 1 ReferringPhysicianName
        0008,0100 SH 1 CodeValue
        0008,0102 SH 1 CodingSchemeDesignator
        0008,0104 LO 1 CodeMeaning
        0008,0201 SH 1 TimezoneOffsetFromUTC
        0008,1010 SH 1 StationName
        0008,1030 LO 1 StudyDescription
        0008,103E LO 1 SeriesDescription
        0008,1090 LO 1 ManufacturerModelName
        0008,1115 SQ 1 ReferencedSeriesSequence
        0008,1140 SQ 1 ReferencedImageSequence
        0008,114A SQ 1 ReferencedInstanceSequence
        0008,1150 UI 1 ReferencedSOPClassUID
        0008,1155 UI 1 ReferencedSOPInstanceUID
        0008,1160 IS 1-n ReferencedFrameNumber
        0008,2112 SQ 1 SourceImageSequence
        0008,2218 SQ 1 AnatomicRegionSequence
        0008,9124 SQ 1 DerivationImageSequence
        0008,9215 SQ 1 DerivationCodeSequence
        0010,0010 PN 1 PatientName
        0010,0020 LO 1 PatientID
        0010,0030 DA 1 PatientBirthDate
        0010,0040 CS 1 PatientSex
        0010,1010 AS 1 PatientAge
        0010,1020 DS 1 PatientSize
        0010,1030 DS 1 PatientWeight
        0018,0015 CS 1 BodyPartExamined
        0018,0031 LO 1 Radiopharmaceutical
        0018,0050 DS 1 SliceThickness
        0018,0060 DS 1 KVP
        0018,0088 DS 1 SpacingBetweenSlices
        0018,1000 LO 1 DeviceSerialNumber
        0018,1020 LO 1-n SoftwareVersions
        0018,1030 LO 1 ProtocolName
        0018,1072 TM 1 RadiopharmaceuticalStartTime
        0018,1074 DS 1 RadionuclideTotalDose
        0018,1075 DS 1 RadionuclideHalfLife
        0018,1076 DS 1 RadionuclidePositronFraction
        0018,1078 DT 1 RadiopharmaceuticalStartDateTime
        0018,1100 DS 1 ReconstructionDiameter
        0018,1143 DS 1 ScanArc
        0018,1144 DS 1 AngularStep
        0018,1180 SH 1 CollimatorGridName
        0018,1181 CS 1 CollimatorType
        0018,1210 SH 1-n ConvolutionKernel
        0018,1242 IS 1 ActualFrameDuration
        0018,5100 CS 1 PatientPosition
        0018,9074 DT 1 FrameAcquisitionDateTime
        0018,9151 DT 1 FrameReferenceDateTime
        0018,9220 FD 1 FrameAcquisitionDuration
        0020,000D UI 1 StudyInstanceUID
        0020,000E UI 1 SeriesInstanceUID
        0020,0010 SH 1 StudyID
        0020,0011 IS 1 SeriesNumber
        0020,0012 IS 1 AcquisitionNumber
        0020,0013 IS 1 InstanceNumber
        0020,0020 CS 2 PatientOrientation
        0020,0032 DS 3 ImagePositionPatient
        0020,0037 DS 6 ImageOrientationPatient
        0020,0052 UI 1 FrameOfReferenceUID
        0020,0100 IS 1 TemporalPositionIdentifier
        0020,0105 IS 1 NumberOfTemporalPositions
        0020,1040 LO 1 PositionReferenceIndicator
        0020,1041 DS 1 SliceLocation
        0020,9056 SH 1 StackID
        0020,9057 UL 1 InStackPositionNumber
        0020,9111 SQ 1 FrameContentSequence
        0020,9113 SQ 1 PlanePositionSequence
        0020,9116 SQ 1 PlaneOrientationSequence
        0020,9128 UL 1 TemporalPositionIndex
        0020,9157 UL 1-n DimensionIndexValues
        0020,9164 UI 1 DimensionOrganizationUID
        0020,9165 AT 1 DimensionIndexPointer
        0020,9167 AT 1 FunctionalGroupPointer
        0020,9221 SQ 1 DimensionOrganizationSequence
        0020,9222 SQ 1 DimensionIndexSequence
        0028,0002 US 1 SamplesPerPixel
        0028,0004 CS 1 PhotometricInterpretation
        0028,0006 US 1 PlanarConfiguration
        0028,0008 IS 1 NumberOfFrames
        0028,0009 AT 1-n FrameIncrementPointer
        0028,0010 US 1 Rows
        0028,0011 US 1 Columns
        0028,0030 DS 2 PixelSpacing
        0028,0051 CS 1-n CorrectedImage
        0028,0100 US 1 BitsAllocated
        0028,0101 US 1 BitsStored
        0028,0102 US 1 HighBit
        0028,0103 US 1 PixelRepresentation
        0028,0301 CS 1 BurnedInAnnotation
        0028,1050 DS 1-n WindowCenter
        0028,1051 DS 1-n WindowWidth
        0028,1052 DS 1 RescaleIntercept
        0028,1053 DS 1 RescaleSlope
        0028,1054 LO 1 RescaleType
        0028,2110 CS 1 LossyImageCompression
        0028,9110 SQ 1 PixelMeasuresSequence
        0028,9132 SQ 1 FrameVOILUTSequence
        0028,9145 SQ 1 PixelValueTransformationSequence
        0040,08EA SQ 1 MeasurementUnitsCodeSequence
        0040,9096 SQ 1 RealWorldValueMappingSequence
        0040,9210 SH 1 LUTLabel
        0040,9224 FD 1 RealWorldValueIntercept
        0040,9225 FD 1 RealWorldValueSlope
        0054,0010 US 1-n EnergyWindowVector
        0054,0011 US 1 NumberOfEnergyWindows
        0054,0012 SQ 1 EnergyWindowInformationSequence
        0054,0013 SQ 1 EnergyWindowRangeSequence
        0054,0014 DS 1 EnergyWindowLowerLimit
        0054,0015 DS 1 EnergyWindowUpperLimit
        0054,0016 SQ 1 RadiopharmaceuticalInformationSequence
        0054,0018 SH 1 EnergyWindowName
        0054,0020 US 1-n DetectorVector
        0054,0021 US 1 NumberOfDetectors
        0054,0022 SQ 1 DetectorInformationSequence
        0054,0030 US 1-n PhaseVector
        0054,0031 US 1 NumberOfPhases
        0054,0050 US 1-n RotationVector
        0054,0051 US 1 NumberOfRotations
        0054,0052 SQ 1 RotationInformationSequence
        0054,0053 US 1 NumberOfFramesInRotation
        0054,0060 US 1-n RRIntervalVector
        0054,0061 US 1 NumberOfRRIntervals
        0054,0070 US 1-n TimeSlotVector
        0054,0071 US 1 NumberOfTimeSlots
        0054,0080 US 1-n SliceVector
        0054,0081 US 1 NumberOfSlices
        0054,0090 US 1-n AngularViewVector
        0054,0100 US 1-n TimeSliceVector
        0054,0101 US 1 NumberOfTimeSlices
        0054,0200 DS 1 StartAngle
        0054,0202 CS 1 TypeOfDetectorMotion
        0054,0300 SQ 1 RadionuclideCodeSequence
        0054,0304 SQ 1 RadiopharmaceuticalCodeSequence
        0054,0400 SH 1 ImageID
        0054,1000 CS 2 SeriesType
        0054,1001 CS 1 Units
        0054,1002 CS 1 CountsSource
        0054,1006 CS 1 SUVType
        0054,1100 CS 1 RandomsCorrectionMethod
        0054,1101 LO 1 AttenuationCorrectionMethod
        0054,1102 CS 1 DecayCorrection
        0054,1103 LO 1 ReconstructionMethod
        0054,1300 DS 1 FrameReferenceTime
        0054,1321 DS 1 DecayFactor
        0054,1322 DS 1 DoseCalibrationFactor
        0054,1323 DS 1 ScatterFractionFactor
        0054,1324 DS 1 DeadTimeFactor
        0054,1330 US 1 ImageIndex
        0062,0001 CS 1 SegmentationType
        0062,0002 SQ 1 SegmentSequence
        0062,0003 SQ 1 SegmentedPropertyCategoryCodeSequence
        0062,0004 US 1 SegmentNumber
        0062,0005 LO 1 SegmentLabel
        0062,0006 ST 1 SegmentDescription
        0062,0008 CS 1 SegmentAlgorithmType
        0062,0009 LO 1-n SegmentAlgorithmName
        0062,000A SQ 1 SegmentIdentificationSequence
        0062,000B US 1-n ReferencedSegmentNumber
        0062,000D US 3 RecommendedDisplayCIELabValue
        0062,000E US 1 MaximumFractionalValue
        0062,000F SQ 1 SegmentedPropertyTypeCodeSequence
        0062,0010 CS 1 SegmentationFractionalType
        0070,0080 CS 1 ContentLabel
        0070,0081 LO 1 ContentDescription
        0070,0084 PN 1 ContentCreatorName
        0088,0200 SQ 1 IconImageSequence
        3006,0002 SH 1 StructureSetLabel
        3006,0004 LO 1 StructureSetName
        3006,0008 DA 1 StructureSetDate
        3006,0009 TM 1 StructureSetTime
        3006,0010 SQ 1 ReferencedFrameOfReferenceSequence
        3006,0012 SQ 1 RTReferencedStudySequence
        3006,0014 SQ 1 RTReferencedSeriesSequence
        3006,0016 SQ 1 ContourImageSequence
        3006,0020 SQ 1 StructureSetROISequence
        3006,0022 IS 1 ROINumber
        3006,0024 UI 1 ReferencedFrameOfReferenceUID
        3006,0026 LO 1 ROIName
        3006,002A IS 3 ROIDisplayColor
        3006,0036 CS 1 ROIGenerationAlgorithm
        3006,0039 SQ 1 ROIContourSequence
        3006,0040 SQ 1 ContourSequence
        3006,0042 CS 1 ContourGeometricType
        3006,0046 IS 1 NumberOfContourPoints
        3006,0048 IS 1 ContourNumber
        3006,0050 DS 3-3n ContourData
        3006,0080 SQ 1 RTROIObservationsSequence
        3006,0082 IS 1 ObservationNumber
        3006,0084 IS 1 ReferencedROINumber
        3006,00A4 CS 1 RTROIInterpretedType
        3006,00A6 PN 1 ROIInterpreter
        5200,9229 SQ 1 SharedFunctionalGroupsSequence
        5200,9230 SQ 1 PerFrameFunctionalGroupsSequence
        7FE0,0001 OV 1 ExtendedOffsetTable
        7FE0,0002 OV 1 ExtendedOffsetTableLengths
        7FE0,0010 OW 1 PixelData
        """;

    /// <summary>Private elements FedRad reads, keyed by creator (PS3.5 7.8.1); the low byte is the element within the block.</summary>
    private static readonly (string Creator, ushort Group, byte Offset, DicomVR VR, string Keyword)[] PrivateTable =
    [
        ("GEMS_PETD_01", 0x0009, 0x0D, DicomVR.DT, "GEScanDateTime"),
        ("Philips PET Private Group", 0x7053, 0x00, DicomVR.DS, "PhilipsSUVScaleFactor"),
        ("Philips PET Private Group", 0x7053, 0x09, DicomVR.DS, "PhilipsActivityConcentrationScaleFactor"),
        ("GEMS_GENIE_1", 0x0011, 0x0D, DicomVR.LO, "GEGenieRadionuclideName"),
        ("GEMS_GENIE_1", 0x0011, 0x3B, DicomVR.FD, "GEGeniePixelScale"),
    ];

    private static readonly Dictionary<uint, DicomDictionaryEntry> ByTag = new();
    private static readonly Dictionary<string, DicomDictionaryEntry> ByKeyword = new(StringComparer.Ordinal);

    static DicomDictionary()
    {
        foreach (var line in Table.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var p = line.Split(' ');
            var entry = new DicomDictionaryEntry(DicomTag.Parse(p[0]), Enum.Parse<DicomVR>(p[1]), p[2], p[3]);
            ByTag.Add(entry.Tag.Value, entry);
            ByKeyword.Add(entry.Keyword, entry);
        }
    }

    public static IEnumerable<DicomDictionaryEntry> Entries => ByTag.Values;

    public static DicomDictionaryEntry? Find(DicomTag tag) =>
        ByTag.TryGetValue(tag.Value, out var e) ? e
        : tag.Element == 0 ? new DicomDictionaryEntry(tag, DicomVR.UL, "1", "GenericGroupLength")
        : null;

    public static DicomDictionaryEntry? Find(string keyword) => ByKeyword.GetValueOrDefault(keyword);

    public static DicomTag TagOf(string keyword) =>
        Find(keyword)?.Tag ?? throw new KeyNotFoundException($"'{keyword}' is not in FedRad's DICOM dictionary");

    /// <summary>The VR and name of a private element given its block's creator string.</summary>
    public static (DicomVR VR, string Keyword)? FindPrivate(string creator, ushort group, byte offset)
    {
        foreach (var p in PrivateTable)
            if (p.Group == group && p.Offset == offset && string.Equals(p.Creator, creator.Trim(), StringComparison.Ordinal))
                return (p.VR, p.Keyword);
        return null;
    }
}
