namespace FedRad.Privacy.DifferentialPrivacy;

/// <summary>
/// Where the noise is added. <see cref="Local"/>: each site adds the full noise to its own clipped
/// update, so even the coordinator sees only noisy updates. <see cref="Central"/>: the noise of
/// one Gaussian mechanism on the sum, split among the sites under secure aggregation (each adds
/// variance σ²C²/t, t the secure-aggregation threshold), so the coordinator only ever sees the
/// noisy sum and nobody, the coordinator included, knows the un-noised sum.
/// </summary>
public enum DpMode { Local, Central }

/// <summary>Per-round site-level DP: L2 clip norm C and noise multiplier σ (noise standard deviation σ·C).</summary>
public sealed record DpSettings(DpMode Mode, double ClipNorm, double NoiseMultiplier)
{
    public void Validate()
    {
        if (!(ClipNorm > 0) || !double.IsFinite(ClipNorm)) throw new ArgumentException($"clip norm {ClipNorm} must be positive and finite");
        if (!(NoiseMultiplier > 0) || !double.IsFinite(NoiseMultiplier)) throw new ArgumentException($"noise multiplier {NoiseMultiplier} must be positive and finite");
    }
}

/// <summary>What the site did to its update, for its log and the accountant.</summary>
public sealed record PrivatizedUpdate(double NormBeforeClipping, bool Clipped, double NoiseStandardDeviation, DpStep Step);

/// <summary>
/// The Gaussian mechanism on a site's model update (the difference between its locally trained
/// weights and the global model). The unit of privacy is a site's contribution to a round
/// (add/remove adjacency: the site's clipped update or none), so the L2 sensitivity of the sum is
/// C, and one round is one Gaussian mechanism with noise multiplier σ: RDP α/(2σ²), or the
/// subsampled bound when the coordinator samples sites with rate q. Under this adjacency the
/// guarantee covers every patient of the site at once. With DP the coordinator averages the noisy
/// deltas with equal weights (DP-FedAvg, McMahan et al. 2018): the sample counts, which are
/// themselves data-dependent, are not sent.
/// </summary>
public static class GaussianMechanism
{
    /// <summary>Scales <paramref name="update"/> to L2 norm at most <paramref name="clipNorm"/>; returns the norm before.</summary>
    public static double ClipL2(Span<double> update, double clipNorm)
    {
        var sumSquares = 0.0;
        foreach (var v in update)
        {
            if (!double.IsFinite(v)) throw new ArgumentException("the update holds a non-finite value; it cannot be clipped");
            sumSquares += v * v;
        }
        var norm = Math.Sqrt(sumSquares);
        if (norm > clipNorm)
        {
            var factor = clipNorm / norm;
            for (var i = 0; i < update.Length; i++) update[i] *= factor;
        }
        return norm;
    }

    /// <summary>
    /// Standard deviation of the noise one site adds: σC in local mode; σC/√t in central mode, so
    /// that the sum over any s ≥ t surviving sites carries variance sσ²C²/t ≥ σ²C².
    /// </summary>
    public static double SiteNoiseStandardDeviation(DpSettings settings, int? secAggThreshold)
    {
        settings.Validate();
        if (settings.Mode == DpMode.Local) return settings.NoiseMultiplier * settings.ClipNorm;
        if (secAggThreshold is not { } t || t < 1)
            throw new ArgumentException("central DP needs secure aggregation: without it the coordinator would see every site's update with only a fraction of the noise");
        return settings.NoiseMultiplier * settings.ClipNorm / Math.Sqrt(t);
    }

    /// <summary>Clips the update and adds this site's share of the noise, in place.</summary>
    public static PrivatizedUpdate Privatize(Span<double> update, DpSettings settings, int? secAggThreshold, GaussianSampler sampler, double samplingRate = 1.0)
    {
        var std = SiteNoiseStandardDeviation(settings, secAggThreshold);
        var norm = ClipL2(update, settings.ClipNorm);
        for (var i = 0; i < update.Length; i++) update[i] += std * sampler.Next();
        return new PrivatizedUpdate(norm, norm > settings.ClipNorm, std, new DpStep(settings.NoiseMultiplier, samplingRate));
    }
}
