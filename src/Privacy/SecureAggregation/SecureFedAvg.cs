namespace FedRad.Privacy.SecureAggregation;

/// <summary>
/// FedAvg under secure aggregation: each site contributes [n·w₁, …, n·w_k, n] and the coordinator
/// divides the unmasked sum by its last element, so it learns the weighted mean and the total
/// number of patients but no site's weights or count.
/// </summary>
public static class SecureFedAvg
{
    public static double[] Contribution(ReadOnlySpan<double> weights, long sampleCount)
    {
        if (sampleCount <= 0) throw new ArgumentOutOfRangeException(nameof(sampleCount), sampleCount, "a contribution needs at least one patient");
        var v = new double[weights.Length + 1];
        for (var i = 0; i < weights.Length; i++) v[i] = sampleCount * weights[i];
        v[^1] = sampleCount;
        return v;
    }

    public static (double[] Mean, double TotalSamples) Average(ReadOnlySpan<double> sum)
    {
        var total = sum[^1];
        if (!(total >= 1)) throw new SecAggException(SecAggFailure.Inconsistent, $"the summed sample count is {total}; the sum is not a FedAvg contribution");
        var mean = new double[sum.Length - 1];
        for (var i = 0; i < mean.Length; i++) mean[i] = sum[i] / total;
        return (mean, total);
    }
}
