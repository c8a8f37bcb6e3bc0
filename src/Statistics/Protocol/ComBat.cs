namespace FedRad.Statistics.Protocol;

/// <summary>
/// First ComBat round: per batch, the blocks of D'D and D'X for the design D = [batch
/// indicators, covariates] and the features X (sva::ComBat solves exactly these normal equations).
/// </summary>
public sealed record ComBatDesignRequest : SiteRequest<ComBatDesignAggregate>
{
    public required IReadOnlyList<string> Features { get; init; }
    public IReadOnlyList<string> Covariates { get; init; } = [];
    public string? BatchColumn { get; init; }
}

/// <summary>
/// Reveals, per batch at this site: its size, the sums of features and covariates, covariate
/// cross-products and covariate-by-feature cross-products (the site's means and covariances);
/// and, for a feature whose value is identical for every patient of the batch, that value (which
/// the batch mean already equals).
/// </summary>
public sealed record ComBatDesignAggregate : SiteAggregate
{
    public required IReadOnlyList<ComBatBatchSums> Batches { get; init; }
}

public sealed record ComBatBatchSums
{
    public required string Batch { get; init; }
    public required int Count { get; init; }
    public required IReadOnlyList<double> FeatureSums { get; init; }
    public required IReadOnlyList<double> CovariateSums { get; init; }

    /// <summary>[covariate][covariate]</summary>
    public required IReadOnlyList<IReadOnlyList<double>> CovariateCross { get; init; }

    /// <summary>[covariate][feature]</summary>
    public required IReadOnlyList<IReadOnlyList<double>> CovariateFeatureCross { get; init; }

    /// <summary>Per feature: the common value when all patients of the batch share it, else null.</summary>
    public required IReadOnlyList<double?> ConstantValues { get; init; }
}

/// <summary>Second ComBat round: residual sums of squares of the pooled design fit.</summary>
public sealed record ComBatResidualRequest : SiteRequest<ComBatResidualAggregate>
{
    public required IReadOnlyList<string> Features { get; init; }
    public IReadOnlyList<string> Covariates { get; init; } = [];
    public string? BatchColumn { get; init; }

    /// <summary>Batch levels in the order of the first rows of <see cref="Coefficients"/>.</summary>
    public required IReadOnlyList<string> BatchLevels { get; init; }

    /// <summary>[design column][feature]: batch effects first, then covariates.</summary>
    public required IReadOnlyList<IReadOnlyList<double>> Coefficients { get; init; }
}

/// <summary>Reveals, per batch and feature, the residual sum of squares around the pooled fit
/// (the batch's within-batch variance).</summary>
public sealed record ComBatResidualAggregate : SiteAggregate
{
    public required IReadOnlyList<ComBatBatchResiduals> Batches { get; init; }
}

public sealed record ComBatBatchResiduals
{
    public required string Batch { get; init; }
    public required int Count { get; init; }
    public required IReadOnlyList<double> ResidualSquares { get; init; }
}
