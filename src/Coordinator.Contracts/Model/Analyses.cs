namespace FedRad.Coordinator.Contracts.Model;

/// <summary>An exact federated statistical analysis across registered sites.</summary>
[GenerateSerializer, Immutable, Alias("FedRad.AnalysisDefinition")]
public sealed record AnalysisDefinition
{
    [Id(0)] public required string AnalysisId { get; init; }
    [Id(1)] public required IReadOnlyList<string> SiteIds { get; init; }
    /// <summary>The plan (FedRad.Statistics FitOptions) as JSON.</summary>
    [Id(2)] public required string PlanJson { get; init; }
    [Id(3)] public int RequestTimeoutSeconds { get; init; } = 300;
}

public enum AnalysisState { Running = 1, Completed = 2, Failed = 3 }

[GenerateSerializer, Immutable, Alias("FedRad.AnalysisView")]
public sealed record AnalysisView
{
    [Id(0)] public required AnalysisDefinition Definition { get; init; }
    [Id(1)] public required AnalysisState State { get; init; }
    [Id(2)] public string ResultJson { get; init; } = "";
    [Id(3)] public string Error { get; init; } = "";
    [Id(4)] public IReadOnlyList<string> Progress { get; init; } = [];
    [Id(5)] public int Requests { get; init; }
}

/// <summary>A site's answer to one statistics request: an aggregate, or a refusal, as JSON.</summary>
[GenerateSerializer, Immutable, Alias("FedRad.StatisticsAnswer")]
public sealed record StatisticsAnswer([property: Id(0)] string Json, [property: Id(1)] bool Refused);

/// <summary>Where a secure sum stands: still running (neither set), its unmasked sum over <see cref="Contributors"/>, or why it failed.</summary>
[GenerateSerializer, Immutable, Alias("FedRad.SecureSumOutcome")]
public sealed record SecureSumOutcome(
    [property: Id(0)] double[]? Sum,
    [property: Id(1)] string? Error,
    [property: Id(2)] IReadOnlyList<string> Contributors);
