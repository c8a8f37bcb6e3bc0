namespace FedRad.Statistics.Protocol;

/// <summary>
/// Log-likelihood, gradient and information (minus the Hessian) of the logistic model
/// <c>logit P(y=1) = Coefficients[0] + sum_j Coefficients[j+1] * Features[j] (+ Offset)</c>
/// at the given coefficients.
/// </summary>
public sealed record LogisticRequest : SiteRequest<LogisticAggregate>
{
    public required IReadOnlyList<string> Features { get; init; }
    public required string Outcome { get; init; }

    /// <summary>Column added to the linear predictor with coefficient 1 (calibration-in-the-large).</summary>
    public string? Offset { get; init; }

    /// <summary>Intercept first, then one per feature.</summary>
    public required IReadOnlyList<double> Coefficients { get; init; }

    /// <summary>False: log-likelihood only (line searches).</summary>
    public bool Derivatives { get; init; } = true;
}

/// <summary>
/// Reveals: number of patients and of positives; the log-likelihood, the gradient X'(y - p) and
/// the information X'WX at the requested coefficients. At zero coefficients these are, up to
/// known factors, the sums of features over positives and over all patients and the
/// uncentred cross-products, i.e. the site's class means and second moments; nothing finer.
/// Also the numbers of patients whose fitted probability is numerically 0 or 1, or nearly so (separation checks).
/// </summary>
public sealed record LogisticAggregate : SiteAggregate
{
    public required int Positives { get; init; }
    public required double LogLikelihood { get; init; }
    public IReadOnlyList<double>? Gradient { get; init; }
    public IReadOnlyList<IReadOnlyList<double>>? Information { get; init; }
    public int NumericallySeparated { get; init; }

    /// <summary>Patients whose fitted probability is within 1e-8 of 0 or 1 (diagnoses separation
    /// when the fit breaks down before probabilities reach exactly 0 or 1).</summary>
    public int NearlySeparated { get; init; }
}

/// <summary>Sum of squared differences between the 0/1 outcome and the predicted probability
/// <c>1/(1+exp(-Score))</c> (Brier score).</summary>
public sealed record BrierRequest : SiteRequest<BrierAggregate>
{
    public required string Score { get; init; }
    public required string Outcome { get; init; }
}

/// <summary>Reveals the number of patients and the sum of squared prediction errors.</summary>
public sealed record BrierAggregate : SiteAggregate
{
    public required double SquaredErrorSum { get; init; }
}
