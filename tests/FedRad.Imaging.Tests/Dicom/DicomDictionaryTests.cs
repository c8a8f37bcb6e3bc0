using FedRad.Dicom;

namespace FedRad.Imaging.Tests.Dicom;

public class DicomDictionaryTests
{
    /// <summary>Every entry of FedRad's dictionary against dcmtk's copy of PS3.6 (dicom.dic from the dcmtk data package).</summary>
    [Fact]
    public void EntriesAgreeWithDcmtkDictionary()
    {
        const string dic = "/usr/share/libdcmtk17/dicom.dic";
        Assert.True(File.Exists(dic), $"{dic} not found: install the Debian package dcmtk (libdcmtk17 carries the dictionary)");
        var reference = new Dictionary<string, (string VR, string Name, string VM)>();
        foreach (var line in File.ReadLines(dic))
        {
            if (line.StartsWith('#') || line.Length == 0) continue;
            var p = line.Split('\t', StringSplitOptions.RemoveEmptyEntries);
            if (p.Length >= 4) reference[p[0].ToUpperInvariant()] = (p[1], p[2], p[3]);
        }
        foreach (var e in DicomDictionary.Entries)
        {
            var key = $"({e.Tag.Group:X4},{e.Tag.Element:X4})";
            Assert.True(reference.TryGetValue(key, out var r), $"{key} {e.Keyword} is not in dcmtk's dictionary");
            // dcmtk writes "OB or OW" as "ox" (Pixel Data "px"); FedRad reads it as OW in implicit VR.
            var vr = r.VR is "ox" or "px" ? "OW" : r.VR;
            Assert.Equal((key, vr, r.Name, r.VM), (key, e.VR.ToString(), e.Keyword, e.VM));
        }
    }

    [Fact]
    public void NamedTagsResolve()
    {
        Assert.Equal(new DicomTag(0x0010, 0x1030), DicomTags.PatientWeight);
        Assert.Equal(new DicomTag(0x7FE0, 0x0010), DicomTags.PixelData);
        Assert.Equal(DicomVR.DS, DicomDictionary.Find(DicomTags.RadionuclideTotalDose)!.VR);
    }
}
