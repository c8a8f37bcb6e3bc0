using System.Globalization;

namespace FedRad.Dicom;

/// <summary>
/// DA, TM and DT values (PS3.5 6.2) as <see cref="DateTime"/>/<see cref="TimeSpan"/>. Local clock times, as DICOM
/// stores them; a DT time-zone suffix (&amp;ZZXX) is applied when present so that two DTs compare correctly.
/// </summary>
public static class DicomDateTime
{
    /// <summary>YYYYMMDD (also the retired YYYY.MM.DD).</summary>
    public static DateTime? ParseDate(string? da)
    {
        if (string.IsNullOrWhiteSpace(da)) return null;
        var s = da.Trim().Replace(".", "");
        return DateTime.TryParseExact(s, "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) ? d : null;
    }

    /// <summary>HH, HHMM, HHMMSS, HHMMSS.FFFFFF (also the retired HH:MM:SS.frac).</summary>
    public static TimeSpan? ParseTime(string? tm)
    {
        if (string.IsNullOrWhiteSpace(tm)) return null;
        var s = tm.Trim().Replace(":", "");
        var dot = s.IndexOf('.');
        var whole = dot >= 0 ? s[..dot] : s;
        var fraction = dot >= 0 ? s[dot..] : "";
        if (whole.Length is not (2 or 4 or 6) || !whole.All(char.IsAsciiDigit)) return null;
        int h = int.Parse(whole[..2], CultureInfo.InvariantCulture);
        int m = whole.Length >= 4 ? int.Parse(whole[2..4], CultureInfo.InvariantCulture) : 0;
        int sec = whole.Length == 6 ? int.Parse(whole[4..6], CultureInfo.InvariantCulture) : 0;
        if (h > 23 || m > 59 || sec > 60) return null;
        var frac = 0.0;
        if (fraction.Length > 1 && !double.TryParse("0" + fraction, NumberStyles.Float, CultureInfo.InvariantCulture, out frac)) return null;
        return new TimeSpan(h, m, sec) + TimeSpan.FromTicks((long)Math.Round(frac * TimeSpan.TicksPerSecond));
    }

    /// <summary>YYYY[MM[DD[HH[MM[SS[.F]]]]]][&amp;ZZXX]; the offset, if any, is removed so the result is UTC.</summary>
    public static DateTime? ParseDateTime(string? dt)
    {
        if (string.IsNullOrWhiteSpace(dt)) return null;
        var s = dt.Trim();
        TimeSpan? offset = null;
        var signAt = s.IndexOfAny(['+', '-'], 4);
        if (signAt > 0)
        {
            var z = s[(signAt + 1)..];
            if (z.Length == 4 && int.TryParse(z[..2], CultureInfo.InvariantCulture, out var zh) && int.TryParse(z[2..], CultureInfo.InvariantCulture, out var zm))
                offset = (s[signAt] == '-' ? -1 : 1) * new TimeSpan(zh, zm, 0);
            else return null;
            s = s[..signAt];
        }
        var dot = s.IndexOf('.');
        var digits = dot >= 0 ? s[..dot] : s;
        if (digits.Length < 4 || digits.Length % 2 != 0 || !digits.All(char.IsAsciiDigit)) return null;
        var date = ParseDate(digits[..4] + (digits.Length >= 6 ? digits[4..6] : "01") + (digits.Length >= 8 ? digits[6..8] : "01"));
        if (date is null) return null;
        var time = digits.Length > 8 ? ParseTime(digits[8..] + (dot >= 0 ? s[dot..] : "")) : TimeSpan.Zero;
        if (time is null) return null;
        var result = date.Value + time.Value;
        return offset is { } o ? result - o : result;
    }

    /// <summary>A DA and a TM combined; null when either is missing or malformed.</summary>
    public static DateTime? Combine(string? da, string? tm) =>
        ParseDate(da) is { } d && ParseTime(tm) is { } t ? d + t : null;
}
