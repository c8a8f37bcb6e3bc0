namespace FedRad.Coordinator.Contracts.Model;

public enum LosoFoldState { Pending = 1, Running = 2, Completed = 3, Failed = 4 }

/// <summary>
/// One fold of a study's leave-one-site-out validation: the model trained on <see cref="TrainingSites"/> only and
/// evaluated on <see cref="SiteId"/>. Its rounds are numbered <see cref="FirstRound"/>..<see cref="LastRound"/>, after
/// the pooled study's. AUC is the site's exact AUC; the CI is DeLong's on its binned scores. Aggregates only.
/// </summary>
[GenerateSerializer, Immutable, Alias("FedRad.LosoFold")]
public sealed record LosoFold
{
    [Id(0)] public required string SiteId { get; init; }
    [Id(1)] public required IReadOnlyList<string> TrainingSites { get; init; }
    [Id(2)] public required int FirstRound { get; init; }
    [Id(3)] public required int LastRound { get; init; }
    [Id(4)] public LosoFoldState State { get; init; } = LosoFoldState.Pending;
    [Id(5)] public long N { get; init; }
    [Id(6)] public double Auc { get; init; } = double.NaN;
    [Id(7)] public double AucCiLow { get; init; } = double.NaN;
    [Id(8)] public double AucCiHigh { get; init; } = double.NaN;
    [Id(9)] public double Loss { get; init; } = double.NaN;
    [Id(10)] public string Note { get; init; } = "";
    /// <summary>The fold's latest model: after its last training round, the model evaluated on the site.</summary>
    [Id(11)] public ModelRef? Model { get; init; }
    /// <summary>What the strategy carries between the fold's training rounds.</summary>
    [Id(12)] public ModelRef? ServerState { get; init; }
}
