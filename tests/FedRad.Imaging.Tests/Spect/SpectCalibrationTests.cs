using FedRad.Imaging.Spect;

namespace FedRad.Imaging.Tests.Spect;

public class SpectCalibrationTests
{
    private const string Yaml = """
        site: Hospital A
        calibrations:
          - camera: { manufacturer_model: "Symbia Intevo 16", station_name: NM1 }
            isotope: Tc-99m
            energy_window: { name: TC99M_EM, lower_kev: 126.5, upper_kev: 154.5 }
            cps_per_mbq: 91.2
            time: acquisition
            date: 2025-01-10
            note: "Jaszczak phantom, OSEM 8i6s"
          - camera: { device_serial_number: "1234" }
            isotope: Lu-177
            energy_window: { lower_kev: 187.2, upper_kev: 228.8 }
            bq_per_ml_per_count: 12.7
        """;

    private static SpectAcquisition Acquisition(string? model = "Symbia Intevo 16", string? station = "NM1", string? serial = "999",
        Radionuclide? nuclide = null, params EnergyWindow[] windows) => new()
    {
        Source = "test",
        Camera = new CameraIdentity("SIEMENS", model, station, serial),
        Nuclide = nuclide ?? Radionuclides.Tc99m,
        NuclideSource = "test",
        EnergyWindows = windows.Length == 0 ? [new EnergyWindow("TC99M_EM", 126.45, 154.55)] : windows,
    };

    [Fact]
    public void YamlFileIsRead()
    {
        var table = SpectCalibrationTable.Parse(Yaml, "site.yaml");
        Assert.Equal(2, table.Entries.Count);
        var tc = table.Entries[0];
        Assert.Equal(("Symbia Intevo 16", "NM1", (string?)null), (tc.ManufacturerModelName, tc.StationName, tc.DeviceSerialNumber));
        Assert.Equal(Radionuclides.Tc99m, tc.Nuclide);
        Assert.Equal(("TC99M_EM", 126.5, 154.5), (tc.WindowName, tc.WindowLowerKeV!.Value, tc.WindowUpperKeV!.Value));
        Assert.Equal((91.2, CalibrationTime.Acquisition), (tc.CpsPerMBq!.Value, tc.Time!.Value));
        Assert.Equal(3, tc.Line);
        var lu = table.Entries[1];
        Assert.Equal((Radionuclides.Lu177, 12.7, 10), (lu.Nuclide, lu.BqPerMlPerCount!.Value, lu.Line));
    }

    /// <summary>JSON is YAML too (flow style), tabs included.</summary>
    [Fact]
    public void JsonFileIsRead()
    {
        var json = "{\n\t\"calibrations\": [\n\t\t{\n\t\t\t\"camera\": {\"station_name\": \"NM2\"},\n\t\t\t\"isotope\": \"I-131\",\n\t\t\t\"energy_window\": {\"name\": \"I131_EM\"},\n\t\t\t\"cps_per_mbq\": 25.5,\n\t\t\t\"time\": \"projection\"\n\t\t}\n\t]\n}\n";
        var table = SpectCalibrationTable.Parse(json, "site.json");
        var e = Assert.Single(table.Entries);
        Assert.Equal(("NM2", Radionuclides.I131, "I131_EM", 25.5, CalibrationTime.Projection), (e.StationName, e.Nuclide, e.WindowName, e.CpsPerMBq!.Value, e.Time!.Value));
    }

    [Theory]
    [InlineData("isotope: Tc-99m", "isotope: Ga-67", 4, "calibrations[0].isotope", "unknown isotope 'Ga-67' (read as Ga-67): FedRad has half-lives for Tc-99m, I-123, I-131, Lu-177, In-111, Tl-201")]
    [InlineData("    time: acquisition\n", "", 3, "calibrations[0].time", "is missing: say whether cps_per_mbq counts per second of one projection frame (projection) or of the whole acquisition (acquisition)")]
    [InlineData("    time: acquisition", "    time: weekly", 7, "calibrations[0].time", "'weekly' is not projection or acquisition")]
    [InlineData("cps_per_mbq: 91.2", "cps_per_mbq: ninety", 6, "calibrations[0].cps_per_mbq", "'ninety' is not a number")]
    [InlineData("cps_per_mbq: 91.2", "cps_per_mbq: -3", 6, "calibrations[0].cps_per_mbq", "must be positive, got -3")]
    [InlineData("bq_per_ml_per_count: 12.7", "bq_per_ml_per_count: 12.7\n    cps_per_mbq: 3\n    time: projection", 10, "calibrations[1]", "give exactly one factor")]
    [InlineData("    note:", "    notes:", 9, "calibrations[0].notes", "unknown key (allowed here: camera, isotope, energy_window, cps_per_mbq, time, bq_per_ml_per_count, date, note)")]
    [InlineData("{ device_serial_number: \"1234\" }", "{ serial: \"1234\" }", 10, "calibrations[1].camera.serial", "unknown key")]
    [InlineData("{ lower_kev: 187.2, upper_kev: 228.8 }", "{ lower_kev: 228.8, upper_kev: 187.2 }", 12, "calibrations[1].energy_window", "lower_kev 228.8 is not below upper_kev 187.2")]
    [InlineData("{ lower_kev: 187.2, upper_kev: 228.8 }", "{ lower_kev: 187.2 }", 12, "calibrations[1].energy_window", "give both lower_kev and upper_kev, or neither")]
    [InlineData("  - camera: { device_serial_number: \"1234\" }", "  - camera: { }", 10, "calibrations[1].camera", "needs at least one of manufacturer_model (0008,1090), station_name (0008,1010), device_serial_number (0018,1000)")]
    [InlineData("cps_per_mbq: 91.2", "cps_per_mbq: [91.2]", 6, "calibrations[0].cps_per_mbq", "needs a single value")]
    public void BadFilesNameTheLineAndField(string find, string replace, int line, string field, string message)
    {
        Assert.Contains(find, Yaml);
        var e = Assert.Throws<CalibrationFileException>(() => SpectCalibrationTable.Parse(Yaml.Replace(find, replace), "site.yaml"));
        Assert.Equal(("site.yaml", line, field), (e.FilePath, e.Line, e.Field));
        Assert.Contains(message, e.Message);
        Assert.StartsWith($"site.yaml, line {line}, {field}: ", e.Message);
    }

    [Theory]
    [InlineData("", 1, "(document)", "the file is empty")]
    [InlineData("calibrations: []", 1, "calibrations", "needs a list of one or more calibrations")]
    [InlineData("calibrations:\n  - camera: { station_name: NM1\n", 3, "column", "not valid YAML/JSON")]
    [InlineData("calibration:\n  - {}", 1, "calibration", "unknown key (allowed here: calibrations, site)")]
    public void BrokenDocumentsAreRefused(string text, int line, string field, string message)
    {
        var e = Assert.Throws<CalibrationFileException>(() => SpectCalibrationTable.Parse(text, "x.yaml"));
        Assert.Equal(line, e.Line);
        Assert.StartsWith(field, e.Field);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void MissingFileIsReportedAsSuch()
    {
        var e = Assert.Throws<CalibrationFileException>(() => SpectCalibrationTable.Load("/nonexistent/site.yaml"));
        Assert.Contains("/nonexistent/site.yaml, (file): cannot read the calibration file", e.Message);
    }

    [Fact]
    public void EntriesMatchCameraIsotopeAndWindow()
    {
        var table = SpectCalibrationTable.Parse(Yaml);
        var tc = table.Entries[0];
        Assert.True(tc.Matches(Acquisition()));
        Assert.True(tc.Matches(Acquisition(model: "symbia intevo 16 ")));                          // case and padding
        Assert.False(tc.Matches(Acquisition(station: "NM2")));                                     // another camera
        Assert.False(tc.Matches(Acquisition(nuclide: Radionuclides.I123)));                        // another isotope
        Assert.False(tc.Matches(Acquisition(windows: new EnergyWindow("TC99M_EM", 120, 160))));     // name right, range 6 keV off
        Assert.True(tc.Matches(Acquisition(windows: [new EnergyWindow("SC", 108, 126), new EnergyWindow("tc99m_em", 127.4, 155.4)])));
        var lu = table.Entries[1];
        Assert.True(lu.Matches(Acquisition(model: "x", station: null, serial: "1234", nuclide: Radionuclides.Lu177, new EnergyWindow(null, 187.0, 229.5))));
        Assert.False(lu.Matches(Acquisition(model: "x", station: null, serial: "1234", nuclide: Radionuclides.Lu177, new EnergyWindow(null, 99.7, 126.3))));
        Assert.Single(table.Matching(Acquisition()));
    }
}
