using System.Globalization;
using System.Text;
using System.Text.Json;
using FedRad.Radiomics.Features;

namespace FedRad.Radiomics.Output;

/// <summary>
/// Writes feature sets in the long form (feature, ibsi_code, aggregation_code, value; CSV or JSON) and the wide
/// form (one row per ROI, one column per feature). Numbers use the invariant culture and round-trip precision;
/// undefined values are written as NaN (CSV) or null with the reason (JSON).
/// </summary>
public static class FeatureWriter
{
    public const string LongHeader = "feature,ibsi_code,aggregation_code,value";

    /// <summary>Long CSV. <paramref name="ids"/> adds leading identifier columns (e.g. patient_id, modality) to every row.</summary>
    public static void WriteLongCsv(TextWriter writer, FeatureSet features, IReadOnlyList<(string Column, string Value)>? ids = null, bool header = true)
    {
        if (header) writer.WriteLine(ids is null || ids.Count == 0 ? LongHeader : string.Join(',', ids.Select(i => Csv(i.Column)).Append(LongHeader)));
        var prefix = ids is null || ids.Count == 0 ? "" : string.Join(',', ids.Select(i => Csv(i.Value))) + ",";
        foreach (var r in features.ToLongRows())
            writer.WriteLine($"{prefix}{Csv(r.Feature)},{r.IbsiCode},{r.AggregationCode},{Number(r.Value)}");
    }

    /// <summary>Long JSON: an array of {feature, ibsi_code, aggregation_code, value, nan_reason}.</summary>
    public static void WriteLongJson(Stream stream, FeatureSet features)
    {
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        json.WriteStartArray();
        foreach (var v in features.Values)
        {
            json.WriteStartObject();
            json.WriteString("feature", v.Feature);
            json.WriteString("ibsi_code", v.IbsiCode);
            json.WriteString("aggregation_code", v.Aggregation.IbsiCode());
            if (double.IsFinite(v.Value)) json.WriteNumber("value", v.Value); else json.WriteNull("value");
            if (v.NanReason is not null) json.WriteString("nan_reason", v.NanReason);
            json.WriteEndObject();
        }
        json.WriteEndArray();
    }

    /// <summary>
    /// Wide CSV: identifier columns, then the union of feature columns in first-seen order; a feature a row lacks is empty.
    /// </summary>
    public static void WriteWideCsv(TextWriter writer, IReadOnlyList<(IReadOnlyList<(string Column, string Value)> Ids, OrderedDictionary<string, double> Row)> rows)
    {
        var idColumns = rows.SelectMany(r => r.Ids.Select(i => i.Column)).Distinct().ToList();
        var featureColumns = new List<string>();
        var seen = new HashSet<string>();
        foreach (var (_, row) in rows)
            foreach (var c in row.Keys)
                if (seen.Add(c)) featureColumns.Add(c);
        writer.WriteLine(string.Join(',', idColumns.Concat(featureColumns).Select(Csv)));
        foreach (var (ids, row) in rows)
        {
            var idMap = ids.ToDictionary(i => i.Column, i => i.Value);
            var cells = idColumns.Select(c => Csv(idMap.GetValueOrDefault(c, "")))
                .Concat(featureColumns.Select(c => row.TryGetValue(c, out var v) ? Number(v) : ""));
            writer.WriteLine(string.Join(',', cells));
        }
    }

    public static string Number(double v) => double.IsNaN(v) ? "NaN" : v.ToString("R", CultureInfo.InvariantCulture);

    public static string Csv(string s) =>
        s.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;

    /// <summary>Reads a long CSV written by <see cref="WriteLongCsv"/> (no identifier columns) back into rows.</summary>
    public static List<LongRow> ReadLongCsv(TextReader reader, string source)
    {
        var header = reader.ReadLine();
        if (header != LongHeader) throw new InvalidDataException($"{source}: line 1 is '{header}', expected '{LongHeader}'");
        var rows = new List<LongRow>();
        var lineNo = 1;
        for (var line = reader.ReadLine(); line is not null; line = reader.ReadLine())
        {
            lineNo++;
            var f = line.Split(',');
            if (f.Length != 4 || !double.TryParse(f[3], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
                throw new InvalidDataException($"{source}: line {lineNo} is not 'feature,ibsi_code,aggregation_code,value': '{line}'");
            rows.Add(new LongRow(f[0], f[1], f[2], value));
        }
        return rows;
    }
}
