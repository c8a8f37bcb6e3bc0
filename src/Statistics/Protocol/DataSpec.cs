namespace FedRad.Statistics.Protocol;

/// <summary>
/// How a site prepares its table before answering: first the ComBat adjustment (when given) is
/// applied to the features it lists, then each score is evaluated as an extra column that the
/// request may name like any other column. Sent to every site alike; each site picks the
/// parameters of its own batches.
/// </summary>
public sealed record DataSpec
{
    public ComBatAdjustment? Harmonisation { get; init; }

    public IReadOnlyList<LinearPredictor> Scores { get; init; } = [];
}

/// <summary>A named linear predictor <c>Intercept + sum(Coefficients[j] * Features[j])</c>, e.g.
/// a fitted model's linear predictor that validation ranks or calibrates.</summary>
public sealed record LinearPredictor
{
    public required string Name { get; init; }
    public required IReadOnlyList<string> Features { get; init; }
    public required IReadOnlyList<double> Coefficients { get; init; }
    public double Intercept { get; init; }
}

/// <summary>
/// Fitted ComBat parameters (pooled estimates; no patient value): for feature g, a patient in
/// batch b with covariates c becomes
/// <c>((x - m)/s - GammaStar[b][g]) / sqrt(DeltaStar[b][g]) * s + m</c> with
/// <c>m = GrandMean[g] + sum_k c[k] * CovariateCoefficients[k][g]</c> and <c>s = PooledSd[g]</c>.
/// Features constant within some batch are not listed and stay as they are (as in sva::ComBat).
/// </summary>
public sealed record ComBatAdjustment
{
    public required IReadOnlyList<string> Features { get; init; }
    public IReadOnlyList<string> Covariates { get; init; } = [];

    /// <summary>Column that holds each patient's batch; null: the site itself is the batch.</summary>
    public string? BatchColumn { get; init; }

    public required IReadOnlyList<double> GrandMean { get; init; }
    public required IReadOnlyList<double> PooledSd { get; init; }

    /// <summary>[covariate][feature] coefficients of the preserved covariates.</summary>
    public IReadOnlyList<IReadOnlyList<double>> CovariateCoefficients { get; init; } = [];

    public required IReadOnlyList<BatchParameters> Batches { get; init; }
}

/// <summary>Empirical-Bayes location (gamma*) and scale (delta*) of one batch, per feature.</summary>
public sealed record BatchParameters
{
    public required string Batch { get; init; }
    public required IReadOnlyList<double> GammaStar { get; init; }
    public required IReadOnlyList<double> DeltaStar { get; init; }
}
