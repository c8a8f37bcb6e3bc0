using FedRad.Statistics.Numerics;
using FedRad.Statistics.Protocol;

namespace FedRad.Statistics.Coordinator;

/// <summary>
/// Pooled means, variances and covariances of columns, exact: one round of sums gives the pooled
/// means, a second round of cross-products centred on them gives the pooled (co)variances
/// without the cancellation of raw sums of squares. Federated feature standardisation.
/// </summary>
public sealed record PooledMoments
{
    public required IReadOnlyList<string> Columns { get; init; }
    public required int Count { get; init; }
    public required double[] Mean { get; init; }

    /// <summary>Sum over patients of centred cross-products.</summary>
    public required double[][] CentredCrossProducts { get; init; }

    public double[] SampleSd => Enumerable.Range(0, Columns.Count).Select(j => Math.Sqrt(CentredCrossProducts[j][j] / (Count - 1))).ToArray();

    /// <summary>SD with divisor n (glmnet's standardisation).</summary>
    public double[] PopulationSd => Enumerable.Range(0, Columns.Count).Select(j => Math.Sqrt(CentredCrossProducts[j][j] / Count)).ToArray();

    public double[][] Correlation
    {
        get
        {
            var p = Columns.Count;
            var r = Dense.Zeros(p, p);
            for (var i = 0; i < p; i++)
                for (var j = 0; j < p; j++)
                    r[i][j] = CentredCrossProducts[i][j] / Math.Sqrt(CentredCrossProducts[i][i] * CentredCrossProducts[j][j]);
            return r;
        }
    }

    public static async Task<PooledMoments> ComputeAsync(Federation federation, IReadOnlyList<string> columns, DataSpec? data = null, CancellationToken ct = default)
    {
        var groups = await ComputeGroupsAsync(federation, columns, null, data, ct);
        return groups[0];
    }

    /// <summary>Moments within each class (0, then 1) of a binary column.</summary>
    public static async Task<PooledMoments[]> ByClassAsync(Federation federation, IReadOnlyList<string> columns, string outcome, DataSpec? data = null, CancellationToken ct = default) =>
        await ComputeGroupsAsync(federation, columns, outcome, data, ct);

    private static async Task<PooledMoments[]> ComputeGroupsAsync(Federation federation, IReadOnlyList<string> columns, string? groupBy, DataSpec? data, CancellationToken ct)
    {
        data ??= new DataSpec();
        var p = columns.Count;
        var first = await federation.AskAllAsync(new MomentsRequest { Columns = columns, GroupBy = groupBy, Data = data }, ct);
        var groups = first[0].Groups.Count;
        var counts = new int[groups];
        var means = new double[groups][];
        for (var g = 0; g < groups; g++)
        {
            var sums = new double[p];
            foreach (var a in first)
            {
                counts[g] += a.Groups[g].Count;
                Dense.AddInPlace(sums, a.Groups[g].Sums.ToArray());
            }
            means[g] = sums.Select(s => counts[g] > 0 ? s / counts[g] : 0).ToArray();
        }
        var second = await federation.AskAllAsync(new MomentsRequest { Columns = columns, GroupBy = groupBy, Centres = means, Data = data }, ct);
        var result = new PooledMoments[groups];
        for (var g = 0; g < groups; g++)
        {
            var cross = Dense.Zeros(p, p);
            foreach (var a in second)
                Dense.AddInPlace(cross, a.Groups[g].CentredCrossProducts!.Select(r => r.ToArray()).ToArray());
            result[g] = new PooledMoments { Columns = columns, Count = counts[g], Mean = means[g], CentredCrossProducts = cross };
        }
        return result;
    }

    /// <summary>Stops when a column is constant or a linear combination of others in the pooled data.</summary>
    public void RequireUsableFeatures()
    {
        if (Count < 2) throw new AnalysisFailedException($"only {Count} patient(s) in the pooled data");
        var constant = Columns.Where((_, j) => !(CentredCrossProducts[j][j] > 0)).ToArray();
        if (constant.Length > 0)
            throw new AnalysisFailedException($"feature(s) {string.Join(", ", constant.Select(c => $"'{c}'"))} are constant across all sites (zero variance); remove them");
        var dependent = Dense.FirstDependentColumn(Correlation);
        if (dependent >= 0)
            throw new AnalysisFailedException(
                $"feature '{Columns[dependent]}' is (nearly) a linear combination of {string.Join(", ", Columns.Take(dependent).Select(c => $"'{c}'"))} in the pooled data (collinear features); remove one of them");
    }
}
