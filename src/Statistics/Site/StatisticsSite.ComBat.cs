using FedRad.Statistics.Protocol;

namespace FedRad.Statistics.Site;

public sealed partial class StatisticsSite
{
    private ComBatDesignAggregate ComBatDesign(PreparedTable data, ComBatDesignRequest r)
    {
        var x = r.Features.Select(data.Raw).ToArray();
        var c = r.Covariates.Select(data.Raw).ToArray();
        var batches = data.Batches(r.BatchColumn);
        RequireBatches(data, batches);
        var result = new List<ComBatBatchSums>();
        foreach (var batch in batches.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            var rows = Enumerable.Range(0, data.RowCount).Where(i => batches[i] == batch).ToArray();
            double Sum(double[] v) => rows.Sum(i => v[i]);
            double Cross(double[] a, double[] b) => rows.Sum(i => a[i] * b[i]);
            result.Add(new ComBatBatchSums
            {
                Batch = batch,
                Count = rows.Length,
                FeatureSums = x.Select(Sum).ToArray(),
                CovariateSums = c.Select(Sum).ToArray(),
                CovariateCross = c.Select(a => (IReadOnlyList<double>)c.Select(b => Cross(a, b)).ToArray()).ToArray(),
                CovariateFeatureCross = c.Select(a => (IReadOnlyList<double>)x.Select(b => Cross(a, b)).ToArray()).ToArray(),
                ConstantValues = x.Select(v => rows.All(i => v[i] == v[rows[0]]) ? v[rows[0]] : (double?)null).ToArray(),
            });
        }
        return new ComBatDesignAggregate { Site = Name, Count = data.RowCount, Batches = result };
    }

    private ComBatResidualAggregate ComBatResiduals(PreparedTable data, ComBatResidualRequest r)
    {
        var x = r.Features.Select(data.Raw).ToArray();
        var c = r.Covariates.Select(data.Raw).ToArray();
        var batches = data.Batches(r.BatchColumn);
        RequireBatches(data, batches);
        var nb = r.BatchLevels.Count;
        var result = new List<ComBatBatchResiduals>();
        foreach (var batch in batches.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            var level = r.BatchLevels.ToList().IndexOf(batch);
            if (level < 0) throw data.Refuse(RefusalCause.InvalidData, $"batch '{batch}' is not among the harmonisation's batches");
            var rows = Enumerable.Range(0, data.RowCount).Where(i => batches[i] == batch).ToArray();
            var squares = new double[x.Length];
            for (var g = 0; g < x.Length; g++)
                foreach (var i in rows)
                {
                    var fitted = r.Coefficients[level][g];
                    for (var k = 0; k < c.Length; k++) fitted += c[k][i] * r.Coefficients[nb + k][g];
                    var e = x[g][i] - fitted;
                    squares[g] += e * e;
                }
            result.Add(new ComBatBatchResiduals { Batch = batch, Count = rows.Length, ResidualSquares = squares });
        }
        return new ComBatResidualAggregate { Site = Name, Count = data.RowCount, Batches = result };
    }
}
