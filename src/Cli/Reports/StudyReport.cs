using System.Text.Json;
using System.Text.Json.Serialization;
using FedRad.Protocol.V1;

namespace FedRad.Cli.Reports;

/// <summary>The machine-readable result of a study: report.json.</summary>
public sealed record StudyReport(
    [property: JsonPropertyName("study_id")] string StudyId,
    [property: JsonPropertyName("state")] string State,
    [property: JsonPropertyName("sites")] IReadOnlyList<SiteReport> Sites,
    [property: JsonPropertyName("rounds")] IReadOnlyList<RoundReport> Rounds,
    [property: JsonPropertyName("pooled")] PooledReport Pooled,
    [property: JsonPropertyName("duration_s")] double DurationSeconds)
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static StudyReport From(StudyStatus status, double durationSeconds) => new(
        status.Spec.StudyId,
        status.State.ToString().ToLowerInvariant(),
        status.Evaluation?.Sites.Select(s => new SiteReport(s.SiteId, s.N, s.Auc, s.Loss)).ToList() ?? [],
        status.Rounds.Where(r => r.Kind == TaskKind.Train)
            .Select(r => new RoundReport(r.Round, r.Loss, r.Participants.Count, r.State, r.CloseReason)).ToList(),
        new PooledReport(status.Evaluation?.PooledN ?? 0, status.Evaluation?.PooledAuc ?? double.NaN, status.Evaluation?.PooledLoss ?? double.NaN),
        Math.Round(durationSeconds, 3));

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public void Write(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(path, ToJson());
    }
}

public sealed record SiteReport(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("n")] long N,
    [property: JsonPropertyName("auc")] double Auc,
    [property: JsonPropertyName("loss")] double Loss);

public sealed record RoundReport(
    [property: JsonPropertyName("round")] int Round,
    [property: JsonPropertyName("loss")] double Loss,
    [property: JsonPropertyName("participants")] int Participants,
    [property: JsonPropertyName("state")] string State,
    [property: JsonPropertyName("close_reason")] string CloseReason);

public sealed record PooledReport(
    [property: JsonPropertyName("n")] long N,
    [property: JsonPropertyName("auc")] double Auc,
    [property: JsonPropertyName("loss")] double Loss);
