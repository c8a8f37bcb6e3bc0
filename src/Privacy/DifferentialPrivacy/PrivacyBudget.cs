using System.Globalization;

namespace FedRad.Privacy.DifferentialPrivacy;

/// <summary>Whether a further step fits the budget, with the numbers behind the answer.</summary>
public sealed record BudgetDecision(bool Allowed, double EpsilonSpent, double EpsilonAfter, string Reason);

/// <summary>
/// A site's (ε, δ) budget and the steps already spent from it. <see cref="CanRun"/> answers before
/// a round whether running it keeps ε at δ within the budget; <see cref="Record"/> spends a round
/// that ran and returns ε so far, to be reported after every round.
/// </summary>
public sealed class PrivacyBudget
{
    private readonly RdpAccountant accountant;
    private readonly List<DpStep> steps = [];

    public PrivacyBudget(double epsilon, double delta, IReadOnlyList<double>? orders = null)
    {
        if (!(epsilon > 0) || !double.IsFinite(epsilon)) throw new ArgumentException($"ε budget {epsilon} must be positive and finite");
        if (!(delta > 0 && delta < 1)) throw new ArgumentException($"δ {delta} must be in (0, 1)");
        Epsilon = epsilon;
        Delta = delta;
        accountant = new RdpAccountant(orders);
    }

    public double Epsilon { get; }
    public double Delta { get; }
    public IReadOnlyList<DpStep> Steps => steps;

    public PrivacySpent Spent => steps.Count == 0 ? new PrivacySpent(0, Delta, double.NaN) : accountant.Epsilon(Delta);

    public BudgetDecision CanRun(DpStep next)
    {
        next.Validate();
        var after = accountant.Copy();
        after.Compose(next);
        var spent = Spent.Epsilon;
        var then = after.Epsilon(Delta).Epsilon;
        var numbers = string.Create(CultureInfo.InvariantCulture,
            $"ε would go from {spent:0.###} to {then:0.###} at δ = {Delta:G3} (noise multiplier {next.NoiseMultiplier:G4}, sampling rate {next.SamplingRate:G4}, {next.Count} step(s)); the budget is ε = {Epsilon:G4}");
        return then <= Epsilon
            ? new BudgetDecision(true, spent, then, numbers)
            : new BudgetDecision(false, spent, then, "privacy budget exceeded: " + numbers);
    }

    /// <summary>Spends a step that ran (asked with <see cref="CanRun"/> first): what ran is always counted.</summary>
    public PrivacySpent Record(DpStep step)
    {
        step.Validate();
        accountant.Compose(step);
        steps.Add(step);
        return Spent;
    }
}
