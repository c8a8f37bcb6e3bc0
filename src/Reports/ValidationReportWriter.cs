using System.Text;
using System.Text.Json;

namespace FedRad.Reports;

/// <summary>
/// Writes a validation report into a folder: report.html (self-contained), one CSV per table and
/// validation-results.json (the <see cref="ValidationResults"/> it was made from). Everything is
/// checked and rendered in memory first and the files appear together (written to a temporary
/// folder beside the target, then moved in), so a report that cannot be made leaves nothing behind.
/// </summary>
public static class ValidationReportWriter
{
    public const string HtmlFile = "report.html";
    public const string JsonFile = "validation-results.json";

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.Strict,
    };

    /// <summary>Writes the report; returns the paths written. Throws <see cref="ReportInputException"/>
    /// (before touching the folder) when the results cannot make a report.</summary>
    public static IReadOnlyList<string> Write(ValidationResults results, string directory)
    {
        Validate(results);
        var files = new Dictionary<string, string>(CsvTables.For(results));
        files[HtmlFile] = HtmlReport.Render(results, files.Keys.ToArray());
        try
        {
            files[JsonFile] = JsonSerializer.Serialize(results, Json);
        }
        catch (ArgumentException e)
        {
            // strict number handling: NaN or infinity somewhere in the results
            throw new ReportInputException($"no report written for '{results.Name}': the results hold a value that is not a number ({e.Message})");
        }

        var target = Path.GetFullPath(directory);
        if (File.Exists(target)) throw new ReportInputException($"{directory} is a file; give a folder for the report");
        var parent = Path.GetDirectoryName(target.TrimEnd(Path.DirectorySeparatorChar)) ?? target;
        Directory.CreateDirectory(parent);
        var staging = Path.Combine(parent, $".{Path.GetFileName(target.TrimEnd(Path.DirectorySeparatorChar))}.writing-{Guid.NewGuid():N}");
        try
        {
            Directory.CreateDirectory(staging);
            foreach (var (name, content) in files) File.WriteAllText(Path.Combine(staging, name), content, new UTF8Encoding(false));
            if (!Directory.Exists(target)) Directory.Move(staging, target);
            else
            {
                // an existing folder (a report written before): replace the report's files, keep anything else
                foreach (var name in files.Keys) File.Move(Path.Combine(staging, name), Path.Combine(target, name), overwrite: true);
                Directory.Delete(staging);
            }
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, true);
        }
        return files.Keys.Order(StringComparer.Ordinal).Select(n => Path.Combine(target, n)).ToArray();
    }

    /// <summary>What a report cannot do without; every problem is named at once.</summary>
    public static void Validate(ValidationResults r)
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(r.Name)) problems.Add("the study has no name");
        if (string.IsNullOrWhiteSpace(r.Study.Text)) problems.Add("the study definition is empty");
        if (!r.Cohort.Any(c => c.Included)) problems.Add("no site is included in the cohort");
        var unnamed = r.Cohort.FirstOrDefault(c => string.IsNullOrWhiteSpace(c.Site));
        if (unnamed is not null) problems.Add("a cohort row has no site name");
        foreach (var c in r.Cohort.Where(c => c.Included && c.Patients is null)) problems.Add($"site {c.Site} is included but its number of patients is missing");
        var d = r.Discrimination;
        if (!double.IsFinite(d.Pooled.Value)) problems.Add($"the pooled {d.Measure} is not a number: is the study finished?");
        foreach (var s in d.PerSite.Where(s => s.Value is { } v && !double.IsFinite(v.Value))) problems.Add($"the {d.Measure} of site {s.Site} is not a number (give null and a note instead)");
        foreach (var f in r.LeaveOneSiteOut.Where(f => f.Metric is { } v && !double.IsFinite(v.Value))) problems.Add($"the leave-one-site-out {d.Measure} of site {f.Site} is not a number");
        foreach (var c in r.Coefficients.Where(c => !double.IsFinite(c.Estimate))) problems.Add($"the coefficient of '{c.Term}' is not a number");
        if (problems.Count > 0) throw new ReportInputException($"no report written for '{r.Name}': " + string.Join("; ", problems));
    }
}
