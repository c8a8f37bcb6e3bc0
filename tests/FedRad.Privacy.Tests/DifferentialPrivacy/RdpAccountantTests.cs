using FedRad.Privacy.DifferentialPrivacy;
using MathNet.Numerics.Distributions;

namespace FedRad.Privacy.Tests.DifferentialPrivacy;

/// <summary>
/// The accountant against outside references: the closed form of the Gaussian mechanism, the
/// published test values of Google's dp_accounting and of Opacus, and the exact (ε, δ) curve of
/// the Gaussian mechanism (Balle and Wang 2018), which any RDP bound must lie above.
/// </summary>
public class RdpAccountantTests
{
    [Theory]
    [InlineData(1.5, 0.8)]
    [InlineData(2, 1.0)]
    [InlineData(3.14159, 2.71828)]
    [InlineData(32, 5)]
    [InlineData(1024, 0.3)]
    public void Without_sampling_the_rdp_is_alpha_over_two_sigma_squared_and_adds_up(double alpha, double sigma)
    {
        Assert.Equal(alpha / (2 * sigma * sigma), RdpAccountant.SampledGaussianRdp(1.0, sigma, alpha), 1e-15);
        var accountant = new RdpAccountant([alpha]);
        accountant.Compose(new DpStep(sigma, 1.0, Count: 7));
        accountant.Compose(new DpStep(sigma));
        Assert.Equal(8 * alpha / (2 * sigma * sigma), accountant.Rdp[0], 1e-12);
    }

    /// <summary>
    /// tensorflow/privacy, tensorflow_privacy/privacy/analysis/rdp_accountant_test.py, test_compute_rdp:
    /// compute_rdp(q = 0.01, σ = 2.5, 50 steps) at orders 1.5, 2.5, 5, 50, 100 (places = 5), and
    /// compute_rdp(0.1, 2, 10 steps, α = 5) = 0.07737. Orders 1.5 and 2.5 exercise the fractional series.
    /// </summary>
    [Theory]
    [InlineData(0.01, 2.5, 50, 1.5, 0.00065)]
    [InlineData(0.01, 2.5, 50, 2.5, 0.001085)]
    [InlineData(0.01, 2.5, 50, 5, 0.00218075)]
    [InlineData(0.01, 2.5, 50, 50, 0.023846)]
    [InlineData(0.01, 2.5, 50, 100, 167.416307)]
    [InlineData(0.1, 2, 10, 5, 0.07737)]
    public void Subsampled_gaussian_rdp_matches_tensorflow_privacy(double q, double sigma, int steps, double alpha, double expected)
    {
        var accountant = new RdpAccountant([alpha]);
        accountant.Compose(new DpStep(sigma, q, steps));
        Assert.Equal(expected, accountant.Rdp[0], 5e-6);
    }

    /// <summary>
    /// google/differential-privacy dp_accounting 0.4.4+, rdp_privacy_accountant_test.py,
    /// test_compute_rdp_poisson_sampled_gaussian (rtol 1e-4), for the orders where it computes the
    /// exact value. At α = 1.5 it publishes 6.70579741e-04 instead of 0.4.3's 6.5007e-04: since 0.4.4
    /// it adds the absolute values of the alternating fractional-order terms, an upper bound; FedRad
    /// keeps the signs (the exact value, as Opacus and TF Privacy), which the next test integrates.
    /// </summary>
    [Theory]
    [InlineData(2.5, 1.08548710e-03)]
    [InlineData(5, 2.18075656e-03)]
    [InlineData(50, 2.38460375e-02)]
    [InlineData(100, 1.67416308e02)]
    public void Subsampled_gaussian_rdp_matches_dp_accounting(double alpha, double expected)
    {
        var accountant = new RdpAccountant([alpha]);
        accountant.Compose(new DpStep(2.5, 0.01, Count: 50));
        Assert.Equal(expected, accountant.Rdp[0], expected * 1e-4);
    }

    /// <summary>
    /// log A_α against its definition, A_α = E_{z~N(0,σ²)}[((1 − q) + q·exp((2z − 1)/(2σ²)))^α],
    /// integrated numerically (composite Simpson on ±40σ, A − 1 integrated directly so that
    /// tiny values keep their digits). Parameters from dp_accounting's test_compute_log_a_equals_mp.
    /// </summary>
    [Theory]
    [InlineData(0.01, 2.5, 1.5)]
    [InlineData(1e-4, 1.0, 1.5)]
    [InlineData(1e-3, 1.0, 2)]
    [InlineData(0.01, 10, 20)]
    [InlineData(0.1, 100, 20.5)]
    [InlineData(0.05, 0.8, 3.7)]
    [InlineData(0.2, 1.2, 12.3)]
    public void Rdp_series_matches_the_integral_that_defines_it(double q, double sigma, double alpha)
    {
        double Integrand(double z)
        {
            var density = Math.Exp(-z * z / (2 * sigma * sigma)) / (Math.Sqrt(2 * Math.PI) * sigma);
            var ratioMinusOne = q * LogSpace.ExpM1((2 * z - 1) / (2 * sigma * sigma));
            return density * LogSpace.ExpM1(alpha * LogSpace.LogP1(ratioMinusOne));
        }
        const int intervals = 400_000;
        double lo = -40 * sigma, hi = 40 * sigma, h = (hi - lo) / intervals;
        var sum = Integrand(lo) + Integrand(hi);
        for (var i = 1; i < intervals; i++) sum += (i % 2 == 1 ? 4 : 2) * Integrand(lo + i * h);
        var logA = LogSpace.LogP1(sum * h / 3);

        var rdp = RdpAccountant.SampledGaussianRdp(q, sigma, alpha);
        Assert.Equal(logA / (alpha - 1), rdp, Math.Abs(rdp) * 1e-6);
    }

    /// <summary>
    /// pytorch/opacus, opacus/tests/accountants_test.py, test_rdp_accountant: σ = 1.5, q = 0.04,
    /// int(90 / 0.04) = 2250 steps, δ = 1e-5, Opacus's default orders → ε = 7.32911117143 (7 places).
    /// </summary>
    [Fact]
    public void Epsilon_of_dp_sgd_matches_opacus()
    {
        double[] opacusOrders = [.. Enumerable.Range(1, 99).Select(x => 1 + x / 10.0), .. Enumerable.Range(12, 52).Select(x => (double)x)];
        var accountant = new RdpAccountant(opacusOrders);
        accountant.Compose(new DpStep(1.5, 0.04, Count: 2250));
        Assert.Equal(7.32911117143, accountant.Epsilon(1e-5).Epsilon, 1e-7);
    }

    /// <summary>dp_accounting test_compute_epsilon_delta_pure_dp: RDP 1.1 at orders 2..32, δ = 1e-5 → ε = 1.32783806176 at order 32.</summary>
    [Fact]
    public void The_conversion_matches_dp_accounting_for_a_constant_rdp()
    {
        double[] orders = [.. Enumerable.Range(2, 31).Select(x => (double)x)];
        var spent = RdpAccountant.EpsilonFromRdp(orders, orders.Select(_ => 1.1).ToArray(), 1e-5);
        Assert.Equal(1.32783806176, spent.Epsilon, 1e-10);
        Assert.Equal(32, spent.Order);
    }

    /// <summary>dp_accounting test_compute_epsilon_delta_gaussian: σ = 4.530877117 gives (1, 1e-6)-DP on a fine order grid.</summary>
    [Fact]
    public void The_gaussian_mechanism_calibrated_for_epsilon_one_gives_epsilon_one()
    {
        var accountant = new RdpAccountant([.. Enumerable.Range(1001, 98999).Select(i => 0.001 * i)]);
        accountant.Compose(new DpStep(4.530877117));
        Assert.Equal(1.0, accountant.Epsilon(1e-6).Epsilon, 1e-7);
    }

    /// <summary>
    /// k rounds of the Gaussian mechanism are one Gaussian mechanism with μ = √k/σ, whose exact
    /// δ(ε) = Φ(−ε/μ + μ/2) − e^ε Φ(−ε/μ − μ/2) (Balle and Wang 2018, Thm 8). The RDP ε is an
    /// upper bound of the exact ε, and a tight one (within 25 % here).
    /// </summary>
    [Theory]
    [InlineData(1.0, 1, 1e-5)]
    [InlineData(2.0, 10, 1e-5)]
    [InlineData(5.0, 100, 1e-6)]
    public void Rdp_epsilon_bounds_the_exact_gaussian_epsilon_tightly(double sigma, int rounds, double delta)
    {
        var accountant = new RdpAccountant();
        accountant.Compose(new DpStep(sigma, Count: rounds));
        var rdpEpsilon = accountant.Epsilon(delta).Epsilon;

        var mu = Math.Sqrt(rounds) / sigma;
        double Delta(double e) => Normal.CDF(0, 1, -e / mu + mu / 2) - Math.Exp(e) * Normal.CDF(0, 1, -e / mu - mu / 2);
        double lo = 0, hi = 100;
        for (var i = 0; i < 200; i++) { var mid = (lo + hi) / 2; if (Delta(mid) > delta) lo = mid; else hi = mid; }
        Assert.InRange(rdpEpsilon, hi, 1.25 * hi);
    }
}
