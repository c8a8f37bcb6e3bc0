using FedRad.Statistics.Protocol;

namespace FedRad.Statistics.Site;

public sealed partial class StatisticsSite
{
    /// <summary>Fitted probabilities closer than this to 0 or 1 count as separated (glm.fit's threshold).</summary>
    private const double SeparationEpsilon = 10 * 2.220446049250313e-16;

    private LogisticAggregate Logistic(PreparedTable data, LogisticRequest r)
    {
        var x = Columns(data, r.Features);
        var y = data.Binary(r.Outcome);
        var positives = RequireClasses(data, y, r.Outcome);
        var offset = r.Offset is null ? null : data.Column(r.Offset);
        var p = x.Length + 1;
        if (r.Coefficients.Count != p)
            throw data.Refuse(RefusalCause.InvalidData, $"logistic: {r.Coefficients.Count} coefficients for {x.Length} features and an intercept");

        var logLik = 0.0;
        var gradient = r.Derivatives ? new double[p] : null;
        var information = r.Derivatives ? Numerics.Dense.Zeros(p, p) : null;
        var separated = 0;
        var nearly = 0;
        var row = new double[p];
        var beta = r.Coefficients.ToArray();
        for (var i = 0; i < data.RowCount; i++)
        {
            row[0] = 1;
            for (var j = 1; j < p; j++) row[j] = x[j - 1][i];
            var eta = Numerics.Dense.Dot(beta, row) + (offset?[i] ?? 0);
            // log(1 + e^eta) without overflow
            var log1pExp = eta > 0 ? eta + Math.Log(1 + Math.Exp(-eta)) : Math.Log(1 + Math.Exp(eta));
            logLik += y[i] * eta - log1pExp;
            var mu = 1 / (1 + Math.Exp(-eta));
            if (mu < SeparationEpsilon || mu > 1 - SeparationEpsilon) separated++;
            if (mu < 1e-8 || mu > 1 - 1e-8) nearly++;
            if (gradient is null) continue;
            var w = mu * (1 - mu);
            for (var j = 0; j < p; j++)
            {
                gradient[j] += (y[i] - mu) * row[j];
                for (var k = j; k < p; k++) information![j][k] += w * row[j] * row[k];
            }
        }
        if (information is not null)
            for (var j = 0; j < p; j++)
                for (var k = 0; k < j; k++) information[j][k] = information[k][j];
        return new LogisticAggregate
        {
            Site = Name, Count = data.RowCount, Positives = positives, LogLikelihood = logLik,
            Gradient = gradient, Information = information, NumericallySeparated = separated, NearlySeparated = nearly,
        };
    }

    private BrierAggregate Brier(PreparedTable data, BrierRequest r)
    {
        var score = data.Column(r.Score);
        var y = data.Binary(r.Outcome);
        RequireClasses(data, y, r.Outcome);
        var sum = 0.0;
        for (var i = 0; i < y.Length; i++)
        {
            var e = y[i] - 1 / (1 + Math.Exp(-score[i]));
            sum += e * e;
        }
        return new BrierAggregate { Site = Name, Count = y.Length, SquaredErrorSum = sum };
    }
}
