using FedRad.Statistics.Coordinator.Models;
using FedRad.Statistics.Protocol;

namespace FedRad.Statistics.Coordinator.Validation;

/// <param name="Brier">Mean squared difference between outcome and predicted probability.</param>
/// <param name="Intercept">Calibration-in-the-large: intercept of glm(y ~ offset(lp), binomial).</param>
/// <param name="Slope">Calibration slope: coefficient of lp in glm(y ~ lp, binomial).</param>
public sealed record CalibrationResult(double Brier, double Intercept, double Slope);

public static class Calibration
{
    /// <summary>Calibration of a logistic linear predictor <paramref name="score"/> against the 0/1 <paramref name="outcome"/>.</summary>
    public static async Task<CalibrationResult> EvaluateAsync(Federation federation, string score, string outcome, DataSpec data, CancellationToken ct = default)
    {
        var brier = await federation.AskAllAsync(new BrierRequest { Score = score, Outcome = outcome, Data = data }, ct);
        var count = brier.Sum(b => b.Count);
        var inTheLarge = await LogisticRegression.FitAsync(federation, [], outcome, score, data, count, "calibration intercept", ct);
        var slope = await LogisticRegression.FitAsync(federation, [score], outcome, null, data, count, "calibration slope", ct);
        return new CalibrationResult(brier.Sum(b => b.SquaredErrorSum) / count, inTheLarge.Coefficients[0], slope.Coefficients[1]);
    }
}
