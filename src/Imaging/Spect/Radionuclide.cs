using System.Globalization;
using System.Text.RegularExpressions;

namespace FedRad.Imaging.Spect;

/// <summary>A single-photon radionuclide FedRad quantifies SPECT for, with its evaluated half-life.</summary>
/// <param name="Symbol">Canonical spelling, e.g. "Tc-99m".</param>
/// <param name="HalfLifeSeconds">The ENSDF half-life converted to seconds.</param>
/// <param name="HalfLifeText">The ENSDF value as published, with its uncertainty in the last digits.</param>
/// <param name="SrtCode">Its code in DICOM CID 18 "Isotopes in Radiopharmaceuticals" (SRT), when CID 18 has one.</param>
public sealed record Radionuclide(string Symbol, string Element, int MassNumber, bool Metastable, double HalfLifeSeconds, string HalfLifeText, string? SrtCode)
{
    /// <summary>The DICOM code meaning style, e.g. "^99m^Technetium".</summary>
    public string CodeMeaning => $"^{MassNumber}{(Metastable ? "m" : "")}^{Element}";

    public override string ToString() => Symbol;
}

/// <summary>
/// The radionuclides of SPECT/CT quantification and how DICOM headers name them.
/// <para>Half-lives: ENSDF (Evaluated Nuclear Structure Data File, NNDC Brookhaven, the source of NuDat 3,
/// https://www.nndc.bnl.gov/nudat3/), ground-state decay datasets. Tc-99m: 6.0072 (9) h, IT decay dataset, E. Browne and
/// J.K. Tuli, Nuclear Data Sheets 145, 25 (2017); the others as the ENSDF decay datasets give them (read from the ENSDF
/// JSON of paceENSDF, github.com/AaronMHurst/pace_ensdf, commit 0c9354ce): I-123 13.2230 (19) h, I-131 8.0252 (6) d,
/// Lu-177 6.6443 (9) d, In-111 2.8047 (4) d, Tl-201 3.0420 (16) d. Days and hours are converted with 1 d = 86 400 s.
/// DDEP/LNHB recommended values differ by at most 0.03 % (e.g. Tc-99m 6.0067 h), well inside SPECT quantification
/// uncertainty.</para>
/// <para>Codes: DICOM PS3.16 CID 18 (SRT): Tc-99m C-163A8, I-123 C-114A4, I-131 C-114B1, In-111 C-145A4, Tl-201 C-138A9;
/// CID 18 has no SRT code for Lu-177, which is recognised by its name.</para>
/// </summary>
public static class Radionuclides
{
    private const double Hour = 3600, Day = 86400;

    public static readonly Radionuclide Tc99m = new("Tc-99m", "Technetium", 99, true, 6.0072 * Hour, "6.0072 (9) h", "C-163A8");
    public static readonly Radionuclide I123 = new("I-123", "Iodine", 123, false, 13.2230 * Hour, "13.2230 (19) h", "C-114A4");
    public static readonly Radionuclide I131 = new("I-131", "Iodine", 131, false, 8.0252 * Day, "8.0252 (6) d", "C-114B1");
    public static readonly Radionuclide Lu177 = new("Lu-177", "Lutetium", 177, false, 6.6443 * Day, "6.6443 (9) d", null);
    public static readonly Radionuclide In111 = new("In-111", "Indium", 111, false, 2.8047 * Day, "2.8047 (4) d", "C-145A4");
    public static readonly Radionuclide Tl201 = new("Tl-201", "Thallium", 201, false, 3.0420 * Day, "3.0420 (16) d", "C-138A9");

    public static IReadOnlyList<Radionuclide> All { get; } = [Tc99m, I123, I131, Lu177, In111, Tl201];

    private static readonly Dictionary<string, string> ElementBySymbol = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Tc"] = "Technetium", ["I"] = "Iodine", ["Lu"] = "Lutetium", ["In"] = "Indium", ["Tl"] = "Thallium",
        ["F"] = "Fluorine", ["Ga"] = "Gallium", ["Y"] = "Yttrium", ["Ho"] = "Holmium", ["Re"] = "Rhenium", ["Sm"] = "Samarium",
        ["Cu"] = "Copper", ["Zr"] = "Zirconium", ["Rb"] = "Rubidium", ["C"] = "Carbon", ["N"] = "Nitrogen", ["O"] = "Oxygen",
        ["Xe"] = "Xenon", ["Kr"] = "Krypton", ["Co"] = "Cobalt", ["Cr"] = "Chromium", ["Tb"] = "Terbium", ["Ac"] = "Actinium", ["Ra"] = "Radium",
    };

    /// <summary>A CID 18 code value (e.g. "C-163A8"), or null when it is not one of <see cref="All"/>.</summary>
    public static Radionuclide? FromCode(string? codeValue) =>
        codeValue is null ? null : All.FirstOrDefault(r => string.Equals(r.SrtCode, codeValue.Trim(), StringComparison.OrdinalIgnoreCase));

    // "^99m^Technetium", "Technetium Tc-99m", "99mTc", "Tc99m", "TC-99M", "I-131", "I131 SC[364 and 297]", "Lu177", "177Lu",
    // "Lutetium-177", "Indium 111": a mass number (with m for a metastable state) next to an element name or symbol.
    private static readonly Regex NumberFirst = new(@"(?<![A-Za-z0-9])\^?(?<a>\d{1,3})(?<m>[mM])?\^?[\s-]?(?<el>[A-Za-z]{1,12})", RegexOptions.Compiled | RegexOptions.CultureInvariant);
    private static readonly Regex ElementFirst = new(@"(?<![A-Za-z])(?<el>[A-Za-z]{1,12})[\s-]?(?<a>\d{1,3})(?<m>[mM])?(?![0-9])", RegexOptions.Compiled | RegexOptions.CultureInvariant);

    /// <summary>
    /// Reads a radionuclide from free text as headers write it. Returns the nuclide (when FedRad knows it) and the
    /// spelling found ("Ga-67" for a nuclide that is recognised but has no half-life here), or (null, null) when the text
    /// names none.
    /// </summary>
    public static (Radionuclide? Nuclide, string? Recognised) Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return (null, null);
        foreach (var regex in new[] { NumberFirst, ElementFirst })
            foreach (Match m in regex.Matches(text))
            {
                var el = m.Groups["el"].Value;
                var element = ElementBySymbol.TryGetValue(el, out var name) ? name
                    : ElementBySymbol.Values.FirstOrDefault(v => v.Equals(el, StringComparison.OrdinalIgnoreCase));
                if (element is null) continue;
                var mass = int.Parse(m.Groups["a"].Value, CultureInfo.InvariantCulture);
                var metastable = m.Groups["m"].Success;
                var known = All.FirstOrDefault(r => r.Element == element && r.MassNumber == mass && r.Metastable == metastable);
                var symbol = ElementBySymbol.First(kv => kv.Value == element).Key;
                return (known, $"{symbol}-{mass}{(metastable ? "m" : "")}");
            }
        return (null, null);
    }
}
