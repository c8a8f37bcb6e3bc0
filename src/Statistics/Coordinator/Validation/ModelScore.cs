using FedRad.Statistics.Coordinator.Models;
using FedRad.Statistics.Protocol;

namespace FedRad.Statistics.Coordinator.Validation;

/// <summary>A fitted model's linear predictor as a score column the sites evaluate themselves.</summary>
public static class ModelScore
{
    /// <summary>Column name of the score in requests; chosen so that it cannot clash with a table's columns in practice.</summary>
    public const string Column = "fedrad::score";

    public static LinearPredictor Of(RegressionFit fit)
    {
        var intercept = fit.Model == "logistic" ? 1 : 0;
        return new LinearPredictor
        {
            Name = Column,
            Features = fit.Names.Skip(intercept).ToArray(),
            Coefficients = fit.Coefficients.Skip(intercept).ToArray(),
            Intercept = intercept == 1 ? fit.Coefficients[0] : 0,
        };
    }

    /// <summary>The data spec with the model's score added.</summary>
    public static DataSpec With(DataSpec data, RegressionFit fit) =>
        data with { Scores = [.. data.Scores.Where(s => s.Name != Column), Of(fit)] };
}
