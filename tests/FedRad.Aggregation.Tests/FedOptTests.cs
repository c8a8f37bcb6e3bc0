using FedRad.Coordinator.Aggregation;
using static FedRad.Aggregation.Tests.Models;

namespace FedRad.Aggregation.Tests;

/// <summary>
/// FedAdam, FedYogi, FedAdagrad against Algorithm 2 of Reddi et al. (2021) worked by hand over two rounds.
/// Global x = [1, −2]; round 1: w₁ = [2, −2] (n = 1), w₂ = [4, −1] (n = 3): mean [3.5, −1.25], Δ = [2.5, 0.75].
/// Round 2: two sites of n = 2 at x + [−1, 0.5] and x + [0.5, 0.5]: Δ = [−0.25, 0.5].
/// η = 0.1, β₁ = 0.9, β₂ = 0.99, τ = 0.01 (v starts at τ² = 1e−4, m at 0).
/// </summary>
public sealed class FedOptTests
{
    private static readonly StrategyOptions O = new() { ServerLearningRate = 0.1, Beta1 = 0.9, Beta2 = 0.99, Tau = 0.01 };

    private static (double[] X1, double[] X2) TwoRounds(string strategy)
    {
        var s = Strategies.Create(strategy, O);
        var r1 = s.BeginRound(W(1, -2));
        Assert.True(r1.Add(W(2, -2), 1, "a").Accepted);
        Assert.True(r1.Add(W(4, -1), 3, "b").Accepted);
        var x1 = r1.Finish();
        var r2 = s.BeginRound(x1, r1.NextServerState);
        var g = Values(x1);
        r2.Add(W(g[0] - 1, g[1] + 0.5), 2, "a");
        r2.Add(W(g[0] + 0.5, g[1] + 0.5), 2, "b");
        return (g, Values(r2.Finish()));
    }

    [Fact]
    public void FedAdam_follows_the_paper_over_two_rounds()
    {
        var (x1, x2) = TwoRounds("fedadam");
        // Round 1, coordinate 0: m = 0.1·2.5 = 0.25; v = 0.99·1e−4 + 0.01·6.25 = 0.062599; x = 1 + 0.1·0.25/(√0.062599 + 0.01) = 1.0960807…
        // coordinate 1: m = 0.075; v = 0.000099 + 0.005625 = 0.005724; x = −2 + 0.1·0.075/(√0.005724 + 0.01) = −1.9124416…
        Assert.Equal(1.0960807059529103, x1[0], 12);
        Assert.Equal(-1.9124416056932199, x1[1], 12);
        // Round 2: m = [0.9·0.25 − 0.025, 0.9·0.075 + 0.05] = [0.2, 0.1175]; v = [0.99·0.062599 + 0.01·0.0625, 0.99·0.005724 + 0.01·0.25].
        Assert.Equal(1.172945855167266, x2[0], 12);
        Assert.Equal(-1.7953749021168433, x2[1], 12);
    }

    [Fact]
    public void FedYogi_follows_the_paper_including_the_sign_flip()
    {
        var (x1, x2) = TwoRounds("fedyogi");
        // Round 1: v − Δ² < 0 so v grows by (1 − β₂)Δ²: v = [1e−4 + 0.0625, 1e−4 + 0.005625].
        Assert.Equal(1.0960799680255744, x1[0], 12);
        Assert.Equal(-1.9124483603305231, x1[1], 12);
        // Round 2, coordinate 0: v = 0.0626 > Δ² = 0.0625 so v shrinks: 0.0626 − 0.01·0.0625 = 0.061975.
        Assert.Equal(1.1733156159254021, x2[0], 12);
        Assert.Equal(-1.7957556240352615, x2[1], 12);
    }

    [Fact]
    public void FedAdagrad_follows_the_paper_over_two_rounds()
    {
        var (x1, x2) = TwoRounds("fedadagrad");
        // Round 1: v = 1e−4 + Δ² = [6.2501, 0.5626]; x = [1 + 0.1·0.25/(2.50002 + 0.01), −2 + 0.1·0.075/(0.750067 + 0.01)].
        Assert.Equal(1.00996007999968, x1[0], 12);
        Assert.Equal(-1.9901324444839472, x1[1], 12);
        // Round 2: v = [6.2501 + 0.0625, 0.5626 + 0.25] = [6.3126, 0.8126].
        Assert.Equal(1.017888757404655, x2[0], 12);
        Assert.Equal(-1.9772408031001285, x2[1], 12);
    }

    [Fact]
    public void Server_state_carries_both_moments_and_is_refused_for_another_model()
    {
        var s = Strategies.Create("fedadam", O);
        var r1 = s.BeginRound(W(1, -2));
        r1.Add(W(2, -2), 1);
        r1.Add(W(4, -1), 3);
        r1.Finish();
        var state = r1.NextServerState!;
        Assert.Equal([0.25, 0.075], state[FedOpt.FirstMomentPrefix + "w"].Values, (a, b) => Math.Abs(a - b) < 1e-15);
        Assert.Equal(0.062599, state[FedOpt.SecondMomentPrefix + "w"].Values[0], 15);
        var e = Assert.Throws<ArgumentException>(() => s.BeginRound(W(1, 2, 3), state));
        Assert.Contains("fedopt.m/w", e.Message);
    }

    [Fact]
    public void Without_state_a_round_starts_from_zero_first_moment_and_tau_squared_second_moment()
    {
        // Two independent first rounds from the same global model give the same result: nothing leaks between them.
        var s = Strategies.Create("fedadam", O);
        double[] Once()
        {
            var r = s.BeginRound(W(1, -2));
            r.Add(W(2, -2), 1);
            r.Add(W(4, -1), 3);
            return Values(r.Finish());
        }
        Assert.Equal(Once(), Once());
    }
}
