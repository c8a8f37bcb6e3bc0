using MathNet.Numerics;

namespace FedRad.Privacy.DifferentialPrivacy;

/// <summary>
/// One use of the (Poisson-)subsampled Gaussian mechanism, repeated <paramref name="Count"/> times:
/// noise standard deviation = <paramref name="NoiseMultiplier"/> × sensitivity, each record (here:
/// each site's update) included with probability <paramref name="SamplingRate"/>.
/// </summary>
public sealed record DpStep(double NoiseMultiplier, double SamplingRate = 1.0, int Count = 1)
{
    public void Validate()
    {
        if (!(NoiseMultiplier > 0) || !double.IsFinite(NoiseMultiplier)) throw new ArgumentException($"noise multiplier {NoiseMultiplier} must be positive and finite");
        if (!(SamplingRate > 0 && SamplingRate <= 1)) throw new ArgumentException($"sampling rate {SamplingRate} must be in (0, 1]");
        if (Count < 1) throw new ArgumentException($"step count {Count} must be positive");
    }
}

/// <summary>ε at a given δ and the Rényi order that gave it.</summary>
public sealed record PrivacySpent(double Epsilon, double Delta, double Order);

/// <summary>
/// Rényi-DP accountant for the subsampled Gaussian mechanism (Mironov 2017; Mironov, Talwar and
/// Zhang 2019, "Rényi Differential Privacy of the Sampled Gaussian Mechanism", section 3.3). RDP
/// adds up over rounds at every order α of a fixed grid; ε for a δ is the minimum over the grid of
/// the conversion of Balle et al. 2020 ("Hypothesis testing interpretations and Rényi DP", Thm 21;
/// also Canonne, Kamath and Steinke 2020, Prop 12):
///   ε(α) = RDP(α) + log(1 − 1/α) − log(δ·α)/(α − 1),
/// which is never worse than the classic RDP(α) + log(1/δ)/(α − 1) of Mironov 2017 (Prop 3). The
/// same conversion as Opacus and Google's dp_accounting, whose published values the tests reproduce.
/// </summary>
public sealed class RdpAccountant
{
    /// <summary>The order grid of Google's dp_accounting: 1.1 … 10.9 by 0.1, 11 … 63, 128, 256, 512, 1024.</summary>
    public static IReadOnlyList<double> DefaultOrders { get; } =
        [.. Enumerable.Range(1, 99).Select(x => 1 + x / 10.0), .. Enumerable.Range(11, 53).Select(x => (double)x), 128, 256, 512, 1024];

    private readonly double[] orders;
    private readonly double[] rdp;

    public RdpAccountant(IReadOnlyList<double>? orders = null)
    {
        this.orders = [.. orders ?? DefaultOrders];
        if (this.orders.Length == 0 || this.orders.Any(a => !(a > 1))) throw new ArgumentException("Rényi orders must be greater than 1", nameof(orders));
        rdp = new double[this.orders.Length];
    }

    public IReadOnlyList<double> Orders => orders;

    /// <summary>The accumulated RDP at each order.</summary>
    public IReadOnlyList<double> Rdp => rdp;

    public void Compose(DpStep step)
    {
        step.Validate();
        for (var i = 0; i < orders.Length; i++) rdp[i] += step.Count * SampledGaussianRdp(step.SamplingRate, step.NoiseMultiplier, orders[i]);
    }

    public RdpAccountant Copy()
    {
        var copy = new RdpAccountant(orders);
        rdp.CopyTo(copy.rdp, 0);
        return copy;
    }

    public PrivacySpent Epsilon(double delta) => EpsilonFromRdp(orders, rdp, delta);

    /// <summary>The conversion of Balle et al. 2020 at each order, minimised over the orders.</summary>
    internal static PrivacySpent EpsilonFromRdp(IReadOnlyList<double> orders, IReadOnlyList<double> rdp, double delta)
    {
        if (!(delta > 0 && delta < 1)) throw new ArgumentException($"δ = {delta} must be in (0, 1)", nameof(delta));
        var best = new PrivacySpent(double.PositiveInfinity, delta, double.NaN);
        for (var i = 0; i < orders.Count; i++)
        {
            var a = orders[i];
            // Below this the KL bound δ ≤ sqrt(1 − exp(−RDP)) already gives ε = 0.
            var epsilon = delta * delta + LogSpace.ExpM1(-rdp[i]) > 0
                ? 0
                : rdp[i] + LogSpace.LogP1(-1 / a) - Math.Log(delta * a) / (a - 1);
            if (epsilon < best.Epsilon) best = new PrivacySpent(Math.Max(0, epsilon), delta, a);
        }
        return best;
    }

    /// <summary>
    /// RDP at order α of the Gaussian mechanism with noise multiplier σ applied to a Poisson sample
    /// of rate q: α/(2σ²) without sampling (q = 1), otherwise log(A_α)/(α − 1) with A_α the
    /// α-th moment of the likelihood ratio of the mixture (1 − q)·N(0, σ²) + q·N(1, σ²) to N(0, σ²).
    /// </summary>
    public static double SampledGaussianRdp(double q, double sigma, double alpha)
    {
        if (q == 0) return 0;
        if (sigma == 0 || double.IsPositiveInfinity(alpha)) return double.PositiveInfinity;
        if (q == 1) return alpha / (2 * sigma * sigma);
        var logA = Math.Abs(alpha - Math.Round(alpha)) < 1e-12 ? LogAIntegerOrder(q, sigma, (int)Math.Round(alpha)) : LogAFractionalOrder(q, sigma, alpha);
        return logA / (alpha - 1);
    }

    /// <summary>Integer α: A_α = Σ_k C(α,k) (1−q)^(α−k) q^k exp((k² − k)/(2σ²)), every term positive.</summary>
    private static double LogAIntegerOrder(double q, double sigma, int alpha)
    {
        var logA = double.NegativeInfinity;
        for (var k = 0; k <= alpha; k++)
        {
            var term = SpecialFunctions.BinomialLn(alpha, k) + k * Math.Log(q) + (alpha - k) * Math.Log(1 - q) + (k * (double)k - k) / (2 * sigma * sigma);
            logA = LogSpace.Add(logA, term);
        }
        return logA;
    }

    /// <summary>
    /// Fractional α: the integral splits at z₀ = σ² log(1/q − 1) + 1/2, where the binomial series of
    /// the likelihood ratio converges on each side (Mironov, Talwar and Zhang 2019, section 3.3):
    ///   A₁ = Σ_i C(α,i) q^i (1−q)^(α−i) exp((i² − i)/(2σ²)) · ½ erfc((i − z₀)/(√2 σ))
    ///   A₂ = Σ_i C(α,i) q^(α−i) (1−q)^i exp(((α−i)² − (α−i))/(2σ²)) · ½ erfc((z₀ − (α − i))/(√2 σ))
    /// C(α,i) is the generalised binomial coefficient; its sign alternates for i &gt; α + 1, so
    /// positive and negative terms are summed separately in log space.
    /// </summary>
    private static double LogAFractionalOrder(double q, double sigma, double alpha)
    {
        var z0 = sigma * sigma * Math.Log(1 / q - 1) + 0.5;
        double positive = double.NegativeInfinity, negative = double.NegativeInfinity;
        var logBinomial = 0.0; // log |C(α, i)|
        for (var i = 0; ; i++)
        {
            if (i > 0) logBinomial += Math.Log(Math.Abs(alpha - i + 1)) - Math.Log(i);
            var negativeCoefficient = i > Math.Floor(alpha) + 1 && (i - (int)Math.Floor(alpha) - 1) % 2 == 1;
            var j = alpha - i;
            var t1 = logBinomial + i * Math.Log(q) + j * Math.Log(1 - q) + (i * (double)i - i) / (2 * sigma * sigma)
                     + Math.Log(0.5) + LogErfc((i - z0) / (Math.Sqrt(2) * sigma));
            var t2 = logBinomial + j * Math.Log(q) + i * Math.Log(1 - q) + (j * j - j) / (2 * sigma * sigma)
                     + Math.Log(0.5) + LogErfc((z0 - j) / (Math.Sqrt(2) * sigma));
            if (negativeCoefficient) negative = LogSpace.Add(negative, LogSpace.Add(t1, t2));
            else positive = LogSpace.Add(positive, LogSpace.Add(t1, t2));
            // A_α ≥ 1, so terms below e^-40 no longer matter once past the order.
            if (i > alpha && Math.Max(t1, t2) < -40) break;
            if (i > 100_000) throw new ArithmeticException($"RDP series did not converge at α = {alpha}, q = {q}, σ = {sigma}");
        }
        return positive + Math.Log(-LogSpace.ExpM1(negative - positive));
    }

    /// <summary>log(erfc(x)), accurate where erfc underflows (asymptotic expansion beyond x = 20).</summary>
    internal static double LogErfc(double x)
    {
        if (x < 20) return Math.Log(SpecialFunctions.Erfc(x));
        var r = 1 / (x * x);
        return -x * x - Math.Log(x * Math.Sqrt(Math.PI)) + Math.Log(1 - r / 2 * (1 - 1.5 * r * (1 - 2.5 * r * (1 - 3.5 * r))));
    }
}
