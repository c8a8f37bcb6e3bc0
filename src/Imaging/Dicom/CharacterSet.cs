using System.Text;

namespace FedRad.Dicom;

/// <summary>
/// Decodes text of SH, LO, ST, LT, UC, UT and PN with the data set's Specific Character Set (0008,0005), PS3.3 C.12.1.1.2.
/// Single-byte sets (ISO_IR 100 Latin-1 and the other ISO 8859 parts), ISO_IR 192 (UTF-8), GB18030 and GBK are decoded;
/// ISO 2022 code extensions with escape sequences between several sets are not, and fall back to Latin-1 with a warning.
/// </summary>
public sealed class CharacterSet
{
    static CharacterSet() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    public static readonly CharacterSet Default = new(Encoding.Latin1, null);

    public Encoding Encoding { get; }
    /// <summary>Set when the declared character set could not be honoured exactly.</summary>
    public string? Warning { get; }

    private CharacterSet(Encoding encoding, string? warning)
    {
        Encoding = encoding;
        Warning = warning;
    }

    public static CharacterSet FromTerms(IReadOnlyList<string> terms)
    {
        var cleaned = terms.Select(t => t.Trim()).ToList();
        var distinct = cleaned.Where(t => t.Length > 0).Distinct().ToList();
        if (distinct.Count == 0) return Default;
        if (distinct.Count > 1)
        {
            // Several code elements mean ISO 2022 escape-sequence switching (mostly Japanese/Korean).
            var first = Lookup(distinct[0].Replace("ISO 2022 ", "ISO_"));
            return new CharacterSet(first ?? Encoding.Latin1,
                $"Specific Character Set '{string.Join('\\', cleaned)}' uses ISO 2022 code extensions, which FedRad does not decode; text read as {(first ?? Encoding.Latin1).WebName}");
        }
        var term = distinct[0];
        var encoding = Lookup(term.StartsWith("ISO 2022 ", StringComparison.Ordinal) ? "ISO_" + term[9..] : term);
        return encoding is null
            ? new CharacterSet(Encoding.Latin1, $"Specific Character Set '{term}' is unknown; text read as Latin-1")
            : new CharacterSet(encoding, null);
    }

    private static Encoding? Lookup(string term) => term switch
    {
        "ISO_IR 6" or "ISO_IR6" => Encoding.Latin1,   // ASCII; Latin-1 keeps stray 8-bit bytes visible instead of '?'
        "ISO_IR 100" => Encoding.Latin1,
        "ISO_IR 192" => new UTF8Encoding(false, false),
        "ISO_IR 101" => Encoding.GetEncoding("iso-8859-2"),
        "ISO_IR 109" => Encoding.GetEncoding("iso-8859-3"),
        "ISO_IR 110" => Encoding.GetEncoding("iso-8859-4"),
        "ISO_IR 144" => Encoding.GetEncoding("iso-8859-5"),
        "ISO_IR 127" => Encoding.GetEncoding("iso-8859-6"),
        "ISO_IR 126" => Encoding.GetEncoding("iso-8859-7"),
        "ISO_IR 138" => Encoding.GetEncoding("iso-8859-8"),
        "ISO_IR 148" => Encoding.GetEncoding("iso-8859-9"),
        "ISO_IR 203" => Encoding.GetEncoding("iso-8859-15"),
        "ISO_IR 166" => Encoding.GetEncoding("windows-874"),
        "ISO_IR 13" => Encoding.GetEncoding("shift_jis"),
        "GB18030" => Encoding.GetEncoding("GB18030"),
        "GBK" => Encoding.GetEncoding("GBK"),
        _ => null,
    };

    public string Decode(ReadOnlySpan<byte> bytes) => Encoding.GetString(bytes);
}
