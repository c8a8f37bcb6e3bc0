using FedRad.Privacy.DifferentialPrivacy;
using FedRad.Privacy.Policy;

namespace FedRad.Privacy.Tests.Policy;

public class SitePolicyTests
{
    internal const string Example = """
        # What hospital-a lets the consortium run on its data.
        site: hospital-a
        studies: [lung-nsclc-*, hn-2025]
        tasks:
          train: [logreg]
          evaluate: [logreg]
          statistics: [moments, "cox.*"]
        min_cohort: 20
        max_rounds: 3
        privacy:
          epsilon: 4
          delta: 1e-5
        manual_approval: false
        """;

    private static TaskDescription Task(string study = "lung-nsclc-2", string kind = "train", string model = "logreg", DpStep? dp = null, int round = 1) =>
        new($"{study}/{round}/{kind}", study, round, kind, model, dp ?? (kind == "train" ? new DpStep(2.0) : null));

    [Fact]
    public void A_policy_file_reads_into_its_rules()
    {
        var p = SitePolicy.Parse(Example);
        Assert.Equal("hospital-a", p.SiteId);
        Assert.Equal(["lung-nsclc-*", "hn-2025"], p.Studies);
        Assert.Equal(["moments", "cox.*"], p.Tasks["statistics"]);
        Assert.Equal(20, p.MinCohort);
        Assert.Equal(3, p.MaxRounds);
        Assert.Equal((4.0, 1e-5, BudgetScope.Site), (p.Privacy!.Epsilon, p.Privacy.Delta, p.Privacy.Scope));
        Assert.Equal(["train"], p.Privacy!.RequiredFor);
        Assert.False(p.ManualApproval);
        // The same rules as JSON.
        var json = SitePolicy.Parse("""{"studies": ["s1"], "tasks": {"evaluate": ["*"]}, "min_cohort": 5, "max_rounds": 10, "manual_approval": true}""", "policy.json");
        Assert.True(json.ManualApproval);
        Assert.Null(json.Privacy);
    }

    [Theory]
    [InlineData("studies: [a]\ntasks: {train: [x]}\nmin_cohort: 5\nmax_rounds: 3\nmax_round: 4\n", 5, "max_round", "unknown key")]
    [InlineData("tasks: {train: [x]}\nmin_cohort: 5\nmax_rounds: 3\n", 1, "studies", "is missing")]
    [InlineData("studies: [a]\ntasks: {train: [x]}\nmin_cohort: ten\nmax_rounds: 3\n", 3, "min_cohort", "'ten' is not a whole number")]
    [InlineData("studies: [a]\ntasks: {train: [x]}\nmin_cohort: 0\nmax_rounds: 3\n", 3, "min_cohort", "must be at least 1")]
    [InlineData("studies: [a]\ntasks:\n  train: [x]\n  trian: [y]\nmin_cohort: 5\nmax_rounds: 3\n", 4, "tasks.trian", "unknown task kind")]
    [InlineData("studies: [a]\ntasks: {train: []}\nmin_cohort: 5\nmax_rounds: 3\n", 2, "tasks.train", "lists no model")]
    [InlineData("studies: [a]\ntasks: {train: [x]}\nmin_cohort: 5\nmax_rounds: 3\nprivacy:\n  epsilon: 2\n  delta: 1.5\n", 7, "privacy.delta", "must be in (0, 1)")]
    [InlineData("studies: [a]\ntasks: {train: [x]}\nmin_cohort: 5\nmax_rounds: 3\nprivacy: {delta: 1e-5}\n", 5, "privacy.epsilon", "is missing")]
    [InlineData("studies: [a]\ntasks: {train: [x]}\nmin_cohort: 5\nmax_rounds: 3\nmanual_approval: yes\n", 5, "manual_approval", "is not true or false")]
    [InlineData("studies: [a b]\ntasks: {train: [x]}\nmin_cohort: 5\nmax_rounds: 3\n", 1, "studies", "is not a study id or pattern")]
    [InlineData("studies: [a]\ntasks: {train: [x]\nmin_cohort: 5\n", 3, "(end of file)", "not valid YAML/JSON")]
    [InlineData("studies: [a]\ntasks:\n  train: [x]\n   evaluate: [y]\nmin_cohort: 5\n", 4, "column", "not valid YAML/JSON")]
    public void A_bad_policy_file_names_the_file_line_and_field(string text, int line, string field, string message)
    {
        var e = Assert.Throws<PolicyFileException>(() => SitePolicy.Parse(text, "site-policy.yaml"));
        Assert.Equal(line, e.Line);
        Assert.StartsWith(field, e.Field);
        Assert.Contains(message, e.Message);
        Assert.StartsWith($"site-policy.yaml line {line}: {field}", e.Message);
    }

    [Fact]
    public void Tasks_outside_the_policy_are_refused_with_the_rule_they_break()
    {
        var p = SitePolicy.Parse(Example);
        Assert.True(p.EvaluateStatic(Task()).Allowed);
        Assert.True(p.EvaluateStatic(Task("hn-2025", "statistics", "cox.stratum")).Allowed);
        Assert.Equal("study 'breast-1' is not among the studies this site allows (lung-nsclc-*, hn-2025)", p.EvaluateStatic(Task("breast-1")).Reason);
        Assert.Equal("task kind 'standardise' is not allowed at this site (allowed: train, evaluate, statistics)", p.EvaluateStatic(Task(kind: "standardise")).Reason);
        Assert.Equal("model 'mlp' is not allowed for 'train' tasks at this site (allowed: logreg)", p.EvaluateStatic(Task(model: "mlp")).Reason);
        Assert.Contains("only with differential privacy (budget ε = 4 at δ = 1E-05), and the task has none",
            p.EvaluateStatic(new TaskDescription("t", "lung-nsclc-2", 1, "train", "logreg")).Reason);
        Assert.Equal("histogram would be computed from 19 patients, below this site's minimum of 20", p.CheckAggregate(19, "histogram").Reason);
        Assert.True(p.CheckAggregate(20, "histogram").Allowed);
    }
}
