using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace FedRad.Imaging.Spect;

/// <summary>A site calibration file that cannot be used: names the file, the line and the field.</summary>
public sealed class CalibrationFileException(string file, int line, string field, string message)
    : Exception(line > 0 ? $"{file}, line {line}, {field}: {message}" : $"{file}, {field}: {message}")
{
    public string FilePath { get; } = file;
    public int Line { get; } = line;
    public string Field { get; } = field;
}

/// <summary>Which time the counts of a sensitivity (cps/MBq) calibration are divided by.</summary>
public enum CalibrationTime
{
    /// <summary>The duration of one projection frame (Actual Frame Duration of the Rotation Information Sequence).</summary>
    Projection,
    /// <summary>The whole acquisition: frame duration × frames per rotation × rotations.</summary>
    Acquisition,
}

/// <summary>
/// One calibration of a site's gamma camera for an isotope and energy window: a volume sensitivity in counts per second
/// per MBq (reconstructed counts, with the time it is per) or a direct Bq/mL per count factor.
/// </summary>
public sealed record SpectCalibrationEntry
{
    public required string File { get; init; }
    public required int Line { get; init; }
    public string? ManufacturerModelName { get; init; }
    public string? StationName { get; init; }
    public string? DeviceSerialNumber { get; init; }
    public required Radionuclide Nuclide { get; init; }
    public string? WindowName { get; init; }
    public double? WindowLowerKeV { get; init; }
    public double? WindowUpperKeV { get; init; }
    public double? CpsPerMBq { get; init; }
    public CalibrationTime? Time { get; init; }
    public double? BqPerMlPerCount { get; init; }
    public string? Date { get; init; }
    public string? Note { get; init; }

    /// <summary>Energy window limits match when each is within this many keV of the header's.</summary>
    public const double WindowToleranceKeV = 1.0;

    public bool Matches(SpectAcquisition a)
    {
        static bool Same(string? want, string? have) => want is null || string.Equals(want.Trim(), have?.Trim(), StringComparison.OrdinalIgnoreCase);
        if (!Same(ManufacturerModelName, a.Camera.ManufacturerModelName) || !Same(StationName, a.Camera.StationName) || !Same(DeviceSerialNumber, a.Camera.DeviceSerialNumber))
            return false;
        if (a.Nuclide != Nuclide) return false;
        return a.EnergyWindows.Any(w =>
            (WindowName is null || string.Equals(WindowName.Trim(), w.Name?.Trim(), StringComparison.OrdinalIgnoreCase))
            && (WindowLowerKeV is null || (w.LowerKeV is { } lo && Math.Abs(lo - WindowLowerKeV.Value) <= WindowToleranceKeV))
            && (WindowUpperKeV is null || (w.UpperKeV is { } hi && Math.Abs(hi - WindowUpperKeV.Value) <= WindowToleranceKeV)));
    }

    public override string ToString()
    {
        var camera = string.Join(", ", new[] { ("model", ManufacturerModelName), ("station", StationName), ("serial", DeviceSerialNumber) }
            .Where(c => c.Item2 is not null).Select(c => $"{c.Item1} '{c.Item2}'"));
        var window = WindowName is null ? "" : $"'{WindowName}'";
        if (WindowLowerKeV is { } lo && WindowUpperKeV is { } hi) window += $"{(window.Length > 0 ? " " : "")}{lo:0.##}–{hi:0.##} keV";
        var factor = CpsPerMBq is { } s ? $"{s:G6} cps/MBq per {Time!.Value.ToString().ToLowerInvariant()} time" : $"{BqPerMlPerCount:G6} Bq/mL per count";
        return $"{Path.GetFileName(File)} line {Line}: {camera}, {Nuclide}, window {window}: {factor}";
    }
}

/// <summary>
/// A site's SPECT calibration file (YAML, or JSON, which YAML reads too). Format (docs/imaging.md, "SPECT"):
/// <code>
/// calibrations:
///   - camera: { manufacturer_model: "Symbia Intevo 16", station_name: "NM1", device_serial_number: "1234" }   # at least one
///     isotope: Tc-99m
///     energy_window: { name: "TC99M_EM", lower_kev: 126.5, upper_kev: 154.5 }                               # name and/or range
///     cps_per_mbq: 91.2            # with time: projection | acquisition
///     time: acquisition
///     # or: bq_per_ml_per_count: 12.7
///     date: 2025-01-10             # optional, informative
///     note: "Jaszczak phantom, OSEM 8i6s, AC+SC+RR"
/// </code>
/// Unknown keys, missing or bad values, unknown isotopes and empty files are errors naming the file, line and field.
/// </summary>
public sealed class SpectCalibrationTable
{
    public string File { get; }
    public IReadOnlyList<SpectCalibrationEntry> Entries { get; }

    private SpectCalibrationTable(string file, IReadOnlyList<SpectCalibrationEntry> entries) { File = file; Entries = entries; }

    public static SpectCalibrationTable Load(string path)
    {
        string text;
        try { text = System.IO.File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        { throw new CalibrationFileException(path, 0, "(file)", $"cannot read the calibration file: {e.Message}"); }
        return Parse(text, path);
    }

    public static SpectCalibrationTable Parse(string text, string source = "calibration.yaml")
    {
        var stream = new YamlStream();
        try { stream.Load(new StringReader(text)); }
        catch (YamlException e)
        {
            throw new CalibrationFileException(source, (int)e.Start.Line, $"column {e.Start.Column}",
                $"not valid YAML/JSON: {e.Message}{(e.InnerException is null ? "" : $" ({e.InnerException.Message})")}");
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
            throw new CalibrationFileException(source, 1, "(document)", "the file is empty or not a mapping with a 'calibrations' list");
        var reader = new NodeReader(source);
        reader.Keys(root, "", ["calibrations", "site"]);
        var list = root.Children.TryGetValue(new YamlScalarNode("calibrations"), out var node) ? node : null;
        if (list is not YamlSequenceNode items || items.Children.Count == 0)
            throw new CalibrationFileException(source, Line(list ?? root), "calibrations", "needs a list of one or more calibrations");
        var entries = items.Children.Select((item, n) => reader.Entry(item, $"calibrations[{n}]")).ToList();
        return new SpectCalibrationTable(source, entries);
    }

    /// <summary>The entries that apply to this acquisition.</summary>
    public IReadOnlyList<SpectCalibrationEntry> Matching(SpectAcquisition a) => Entries.Where(e => e.Matches(a)).ToList();

    private static int Line(YamlNode n) => (int)n.Start.Line;

    /// <summary>Reads the nodes of one file, failing with file, line and field.</summary>
    private sealed class NodeReader(string source)
    {
        private CalibrationFileException Error(YamlNode node, string field, string message) => new(source, Line(node), field, message);

        public void Keys(YamlMappingNode map, string prefix, string[] allowed)
        {
            foreach (var (key, _) in map.Children)
            {
                var name = (key as YamlScalarNode)?.Value ?? "?";
                if (!allowed.Contains(name))
                    throw Error(key, prefix + name, $"unknown key (allowed here: {string.Join(", ", allowed)})");
            }
        }

        private static YamlNode? Child(YamlMappingNode map, string key) => map.Children.TryGetValue(new YamlScalarNode(key), out var v) ? v : null;

        private string? Text(YamlMappingNode map, string key, string field)
        {
            var node = Child(map, key);
            if (node is null) return null;
            if (node is not YamlScalarNode s) throw Error(node, field, "needs a single value");
            return string.IsNullOrWhiteSpace(s.Value) ? throw Error(node, field, "is empty") : s.Value.Trim();
        }

        private double? Positive(YamlMappingNode map, string key, string field)
        {
            var text = Text(map, key, field);
            if (text is null) return null;
            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || !double.IsFinite(v))
                throw Error(Child(map, key)!, field, $"'{text}' is not a number");
            return v > 0 ? v : throw Error(Child(map, key)!, field, $"must be positive, got {text}");
        }

        private YamlMappingNode? Map(YamlMappingNode map, string key, string field)
        {
            var node = Child(map, key);
            return node switch { null => null, YamlMappingNode m => m, _ => throw Error(node, field, "needs a mapping of keys") };
        }

        public SpectCalibrationEntry Entry(YamlNode node, string at)
        {
            if (node is not YamlMappingNode e) throw Error(node, at, "each calibration is a mapping (camera, isotope, energy_window, factor)");
            Keys(e, at + ".", ["camera", "isotope", "energy_window", "cps_per_mbq", "time", "bq_per_ml_per_count", "date", "note"]);

            var camera = Map(e, "camera", at + ".camera") ?? throw Error(e, at + ".camera", "is missing: say which camera (manufacturer_model, station_name and/or device_serial_number)");
            Keys(camera, at + ".camera.", ["manufacturer_model", "station_name", "device_serial_number"]);
            var model = Text(camera, "manufacturer_model", at + ".camera.manufacturer_model");
            var station = Text(camera, "station_name", at + ".camera.station_name");
            var serial = Text(camera, "device_serial_number", at + ".camera.device_serial_number");
            if (model is null && station is null && serial is null)
                throw Error(camera, at + ".camera", "needs at least one of manufacturer_model (0008,1090), station_name (0008,1010), device_serial_number (0018,1000)");

            var isotopeText = Text(e, "isotope", at + ".isotope") ?? throw Error(e, at + ".isotope", "is missing (e.g. Tc-99m)");
            var (nuclide, named) = Radionuclides.Parse(isotopeText);
            if (nuclide is null)
                throw Error(Child(e, "isotope")!, at + ".isotope",
                    $"unknown isotope '{isotopeText}'{(named is null ? "" : $" (read as {named})")}: FedRad has half-lives for {string.Join(", ", Radionuclides.All)}");

            var window = Map(e, "energy_window", at + ".energy_window") ?? throw Error(e, at + ".energy_window", "is missing: give the window's name and/or lower_kev and upper_kev");
            Keys(window, at + ".energy_window.", ["name", "lower_kev", "upper_kev"]);
            var name = Text(window, "name", at + ".energy_window.name");
            var lower = Positive(window, "lower_kev", at + ".energy_window.lower_kev");
            var upper = Positive(window, "upper_kev", at + ".energy_window.upper_kev");
            if ((lower is null) != (upper is null)) throw Error(window, at + ".energy_window", "give both lower_kev and upper_kev, or neither");
            if (lower >= upper) throw Error(window, at + ".energy_window", $"lower_kev {lower} is not below upper_kev {upper}");
            if (name is null && lower is null) throw Error(window, at + ".energy_window", "needs a name and/or lower_kev and upper_kev");

            var cps = Positive(e, "cps_per_mbq", at + ".cps_per_mbq");
            var direct = Positive(e, "bq_per_ml_per_count", at + ".bq_per_ml_per_count");
            if ((cps is null) == (direct is null))
                throw Error(e, at, "give exactly one factor: cps_per_mbq (with time) or bq_per_ml_per_count");
            var timeText = Text(e, "time", at + ".time");
            CalibrationTime? time = timeText?.ToLowerInvariant() switch
            {
                null => null,
                "projection" => CalibrationTime.Projection,
                "acquisition" => CalibrationTime.Acquisition,
                _ => throw Error(Child(e, "time")!, at + ".time", $"'{timeText}' is not projection or acquisition"),
            };
            if (cps is not null && time is null)
                throw Error(e, at + ".time", "is missing: say whether cps_per_mbq counts per second of one projection frame (projection) or of the whole acquisition (acquisition)");
            if (direct is not null && time is not null)
                throw Error(Child(e, "time")!, at + ".time", "applies to cps_per_mbq only");

            return new SpectCalibrationEntry
            {
                File = source, Line = Line(e), ManufacturerModelName = model, StationName = station, DeviceSerialNumber = serial,
                Nuclide = nuclide, WindowName = name, WindowLowerKeV = lower, WindowUpperKeV = upper,
                CpsPerMBq = cps, Time = time, BqPerMlPerCount = direct,
                Date = Text(e, "date", at + ".date"), Note = Text(e, "note", at + ".note"),
            };
        }
    }
}
