namespace FedRad.Privacy.DifferentialPrivacy;

/// <summary>
/// The smallest noise multiplier σ for which <c>steps</c> rounds of the Gaussian mechanism (sampling
/// rate 1: every selected site's update, no amplification claimed) stay within (ε, δ) by the
/// <see cref="RdpAccountant"/>. A study states the ε it may spend; the coordinator turns it into σ
/// once, when the study is created, and every site's guard checks the same σ against its own budget.
/// </summary>
public static class NoiseCalibration
{
    public static double NoiseMultiplier(double epsilon, double delta, int steps)
    {
        if (!(epsilon > 0) || !double.IsFinite(epsilon)) throw new ArgumentException($"ε {epsilon} must be positive and finite");
        if (!(delta > 0 && delta < 1)) throw new ArgumentException($"δ {delta} must be in (0, 1)");
        if (steps < 1) throw new ArgumentException($"{steps} steps: at least one is needed");
        // ε(σ) falls as σ grows; bisect on log σ between bounds that bracket the target.
        double low = 1e-2, high = 1e4;
        if (Epsilon(high, delta, steps) > epsilon)
            throw new ArgumentException($"ε = {epsilon} at δ = {delta} over {steps} rounds would need a noise multiplier above {high}");
        if (Epsilon(low, delta, steps) <= epsilon) return low;
        for (var i = 0; i < 80; i++)
        {
            var mid = Math.Sqrt(low * high);
            if (Epsilon(mid, delta, steps) > epsilon) low = mid;
            else high = mid;
        }
        return high; // the side that keeps ε within the budget
    }

    /// <summary>ε at δ after <paramref name="steps"/> rounds with noise multiplier <paramref name="sigma"/> (sampling rate 1).</summary>
    public static double Epsilon(double sigma, double delta, int steps)
    {
        if (steps == 0) return 0;
        var accountant = new RdpAccountant();
        accountant.Compose(new DpStep(sigma, 1.0, steps));
        return accountant.Epsilon(delta).Epsilon;
    }
}
