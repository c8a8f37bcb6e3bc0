using System.Globalization;
using System.Net;
using System.Text;

namespace FedRad.Reports.Svg;

/// <summary>
/// A chart drawn as inline SVG: a data area with linear x and y scales, axes with round ticks, and
/// the few marks the report needs (lines, steps, bands, points, error bars, text, legend). Written
/// directly rather than through a plotting library so that the report needs no native graphics
/// library or fonts on the machine that writes it, and its text stays searchable.
/// </summary>
internal sealed class SvgPlot
{
    private readonly StringBuilder _body = new();
    private readonly string _title;
    private readonly double _x0, _x1, _y0, _y1;

    public SvgPlot(string title, double width, double height, (double Lo, double Hi) x, (double Lo, double Hi) y,
        double left = 56, double right = 16, double top = 30, double bottom = 46)
    {
        _title = title;
        Width = width;
        Height = height;
        (_x0, _x1, _y0, _y1) = (x.Lo, x.Hi, y.Lo, y.Hi);
        if (!(_x1 > _x0)) _x1 = _x0 + 1;
        if (!(_y1 > _y0)) _y1 = _y0 + 1;
        Left = left;
        Right = width - right;
        Top = top;
        Bottom = height - bottom;
    }

    public double Width { get; }
    public double Height { get; }

    /// <summary>The data area in pixels.</summary>
    public double Left { get; }
    public double Right { get; }
    public double Top { get; }
    public double Bottom { get; }

    public double X(double v) => Left + (v - _x0) / (_x1 - _x0) * (Right - Left);
    public double Y(double v) => Bottom - (v - _y0) / (_y1 - _y0) * (Bottom - Top);

    public static readonly string[] Palette = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#999933", "#882255"];

    /// <summary>Colour and dash of the i-th series: the colour-blind-safe palette, then dashed repeats.</summary>
    public static (string Colour, string? Dash) Series(int i) => (Palette[i % Palette.Length], (i / Palette.Length) switch { 0 => null, 1 => "6 3", _ => "2 2" });

    public void Axes(string xLabel, string yLabel, Func<double, string>? format = null, IReadOnlyList<double>? xTicks = null, IReadOnlyList<double>? yTicks = null)
    {
        format ??= v => v.ToString("G4", CultureInfo.InvariantCulture);
        Raw($"<rect x=\"{N(Left)}\" y=\"{N(Top)}\" width=\"{N(Right - Left)}\" height=\"{N(Bottom - Top)}\" fill=\"none\" stroke=\"#888\" stroke-width=\"0.8\"/>");
        foreach (var t in xTicks ?? Ticks(_x0, _x1))
        {
            var px = X(t);
            Raw($"<line x1=\"{N(px)}\" y1=\"{N(Top)}\" x2=\"{N(px)}\" y2=\"{N(Bottom)}\" stroke=\"#eee\"/>");
            Raw($"<line x1=\"{N(px)}\" y1=\"{N(Bottom)}\" x2=\"{N(px)}\" y2=\"{N(Bottom + 4)}\" stroke=\"#888\"/>");
            Text(px, Bottom + 16, format(t), "middle", 11);
        }
        foreach (var t in yTicks ?? Ticks(_y0, _y1))
        {
            var py = Y(t);
            Raw($"<line x1=\"{N(Left)}\" y1=\"{N(py)}\" x2=\"{N(Right)}\" y2=\"{N(py)}\" stroke=\"#eee\"/>");
            Raw($"<line x1=\"{N(Left - 4)}\" y1=\"{N(py)}\" x2=\"{N(Left)}\" y2=\"{N(py)}\" stroke=\"#888\"/>");
            Text(Left - 6, py + 4, format(t), "end", 11);
        }
        Text((Left + Right) / 2, Bottom + 34, xLabel, "middle", 12);
        Raw($"<text transform=\"translate({N(Left - 42)},{N((Top + Bottom) / 2)}) rotate(-90)\" text-anchor=\"middle\" font-size=\"12\">{Escape(yLabel)}</text>");
    }

    /// <summary>A line through data points; null points break it.</summary>
    public void Line(IEnumerable<(double X, double Y)?> points, string colour, double width = 1.6, string? dash = null)
    {
        var segment = new List<(double, double)>();
        foreach (var p in points.Append(null))
        {
            if (p is { } q) { segment.Add((X(q.X), Y(q.Y))); continue; }
            if (segment.Count > 1)
                Raw($"<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"{N(width)}\"{(dash is null ? "" : $" stroke-dasharray=\"{dash}\"")} points=\"{string.Join(" ", segment.Select(s => $"{N(s.Item1)},{N(s.Item2)}"))}\"/>");
            segment.Clear();
        }
    }

    public void Line(IEnumerable<(double X, double Y)> points, string colour, double width = 1.6, string? dash = null) =>
        Line(points.Select(p => ((double, double)?)p), colour, width, dash);

    /// <summary>A filled polygon in data coordinates (confidence bands).</summary>
    public void Band(IReadOnlyList<(double X, double Y)> outline, string colour, double opacity = 0.15)
    {
        if (outline.Count < 3) return;
        Raw($"<polygon fill=\"{colour}\" fill-opacity=\"{N(opacity)}\" stroke=\"none\" points=\"{string.Join(" ", outline.Select(p => $"{N(X(p.X))},{N(Y(p.Y))}"))}\"/>");
    }

    public void Point(double x, double y, string colour, double radius = 3.5, string shape = "circle")
    {
        var (px, py) = (X(x), Y(y));
        if (shape == "diamond")
            Raw($"<polygon fill=\"{colour}\" points=\"{N(px - radius * 1.6)},{N(py)} {N(px)},{N(py - radius * 1.3)} {N(px + radius * 1.6)},{N(py)} {N(px)},{N(py + radius * 1.3)}\"/>");
        else if (shape == "square")
            Raw($"<rect fill=\"{colour}\" x=\"{N(px - radius)}\" y=\"{N(py - radius)}\" width=\"{N(2 * radius)}\" height=\"{N(2 * radius)}\"/>");
        else Raw($"<circle fill=\"{colour}\" cx=\"{N(px)}\" cy=\"{N(py)}\" r=\"{N(radius)}\"/>");
    }

    /// <summary>A straight segment in data coordinates.</summary>
    public void Segment(double x1, double y1, double x2, double y2, string colour, double width = 1, string? dash = null) =>
        Raw($"<line x1=\"{N(X(x1))}\" y1=\"{N(Y(y1))}\" x2=\"{N(X(x2))}\" y2=\"{N(Y(y2))}\" stroke=\"{colour}\" stroke-width=\"{N(width)}\"{(dash is null ? "" : $" stroke-dasharray=\"{dash}\"")}/>");

    /// <summary>Text at pixel coordinates.</summary>
    public void Text(double px, double py, string text, string anchor = "start", double size = 12, string colour = "#222", string weight = "normal") =>
        Raw($"<text x=\"{N(px)}\" y=\"{N(py)}\" text-anchor=\"{anchor}\" font-size=\"{N(size)}\" fill=\"{colour}\"{(weight == "normal" ? "" : $" font-weight=\"{weight}\"")}>{Escape(text)}</text>");

    /// <summary>A legend box at the given pixel corner (top-left).</summary>
    public void Legend(double px, double py, IReadOnlyList<(string Label, string Colour, string? Dash)> items)
    {
        if (items.Count == 0) return;
        var width = 34 + items.Max(i => i.Label.Length) * 6.3;
        Raw($"<rect x=\"{N(px)}\" y=\"{N(py)}\" width=\"{N(width)}\" height=\"{N(items.Count * 16 + 8)}\" fill=\"white\" fill-opacity=\"0.85\" stroke=\"#ccc\"/>");
        for (var i = 0; i < items.Count; i++)
        {
            var y = py + 14 + i * 16;
            Raw($"<line x1=\"{N(px + 6)}\" y1=\"{N(y - 4)}\" x2=\"{N(px + 26)}\" y2=\"{N(y - 4)}\" stroke=\"{items[i].Colour}\" stroke-width=\"2.5\"{(items[i].Dash is null ? "" : $" stroke-dasharray=\"{items[i].Dash}\"")}/>");
            Text(px + 30, y, items[i].Label, "start", 11);
        }
    }

    public void Raw(string element) => _body.Append(element).Append('\n');

    public string ToSvg()
    {
        var s = new StringBuilder();
        s.Append($"<svg viewBox=\"0 0 {N(Width)} {N(Height)}\" width=\"{N(Width)}\" height=\"{N(Height)}\" role=\"img\" aria-label=\"{Escape(_title)}\" font-family=\"DejaVu Sans, Arial, Helvetica, sans-serif\">\n");
        s.Append($"<title>{Escape(_title)}</title>\n");
        s.Append($"<rect width=\"{N(Width)}\" height=\"{N(Height)}\" fill=\"white\"/>\n");
        s.Append($"<text x=\"{N(Width / 2)}\" y=\"18\" text-anchor=\"middle\" font-size=\"13\" font-weight=\"bold\">{Escape(_title)}</text>\n");
        s.Append(_body);
        s.Append("</svg>");
        return s.ToString();
    }

    /// <summary>About five round ticks (1, 2, 2.5, 5 times a power of ten) within [lo, hi].</summary>
    public static IReadOnlyList<double> Ticks(double lo, double hi, int target = 5)
    {
        if (!(hi > lo)) return [lo];
        var raw = (hi - lo) / target;
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        var step = new[] { 1, 2, 2.5, 5, 10 }.Select(m => m * magnitude).First(s => s >= raw * 0.999);
        var ticks = new List<double>();
        for (var t = Math.Ceiling(lo / step - 1e-9) * step; t <= hi + step * 1e-9; t += step) ticks.Add(Math.Abs(t) < step * 1e-9 ? 0 : t);
        return ticks;
    }

    public static string N(double v) => Math.Round(v, 2).ToString("0.##", CultureInfo.InvariantCulture);

    public static string Escape(string text) => WebUtility.HtmlEncode(text);
}
