using MathNet.Numerics.Distributions;

namespace FedRad.Statistics.Coordinator.Models;

/// <summary>Elastic-net penalty in glmnet's scaling (alpha = 1: lasso, alpha = 0: ridge).</summary>
public sealed record Penalty(double Lambda, double Alpha)
{
    public void Validate()
    {
        if (!(Lambda >= 0) || !double.IsFinite(Lambda)) throw new AnalysisFailedException($"penalty: lambda must be a finite number >= 0 (got {Lambda})");
        if (!(Alpha >= 0 && Alpha <= 1)) throw new AnalysisFailedException($"penalty: alpha must lie in [0, 1] (got {Alpha})");
    }
}

/// <summary>
/// A fitted regression model. Unpenalised fits carry Wald standard errors, z, two-sided p-values
/// and 95% confidence intervals (as R's summary() and confint.default()); penalised fits carry
/// none (like glmnet), so those are null.
/// </summary>
public sealed record RegressionFit
{
    public required string Model { get; init; }
    public required IReadOnlyList<string> Names { get; init; }
    public required double[] Coefficients { get; init; }
    public double[]? StandardErrors { get; init; }
    public required double LogLikelihood { get; init; }
    public required int Count { get; init; }

    /// <summary>Positive outcomes (logistic) or events (Cox).</summary>
    public required int Cases { get; init; }

    public required int Iterations { get; init; }
    public Penalty? Penalty { get; init; }

    public double[]? Z => StandardErrors?.Select((se, j) => Coefficients[j] / se).ToArray();
    public double[]? P => Z?.Select(z => 2 * Normal.CDF(0, 1, -Math.Abs(z))).ToArray();
    public double[]? CiLow => StandardErrors?.Select((se, j) => Coefficients[j] - Z975 * se).ToArray();
    public double[]? CiHigh => StandardErrors?.Select((se, j) => Coefficients[j] + Z975 * se).ToArray();

    public double Coefficient(string name) => Coefficients[IndexOf(name)];

    public int IndexOf(string name)
    {
        for (var j = 0; j < Names.Count; j++) if (Names[j] == name) return j;
        throw new KeyNotFoundException($"no coefficient '{name}'");
    }

    internal static readonly double Z975 = Normal.InvCDF(0, 1, 0.975);
}
