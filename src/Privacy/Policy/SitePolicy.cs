using System.Globalization;
using System.Text.RegularExpressions;
using FedRad.Privacy.DifferentialPrivacy;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace FedRad.Privacy.Policy;

/// <summary>
/// A task as the site sees it before running it. <paramref name="Kind"/>: train, evaluate,
/// statistics or standardise; <paramref name="Model"/>: the model family, or for statistics the
/// analysis request kind (e.g. "moments", "cox.stratum"). <paramref name="Privacy"/>: the
/// differential-privacy step the task would spend, when it adds noise.
/// </summary>
public sealed record TaskDescription(string TaskId, string StudyId, int Round, string Kind, string Model, DpStep? Privacy = null);

public enum PolicyVerdict { Allowed, Refused, AwaitingApproval }

public sealed record PolicyDecision(PolicyVerdict Verdict, string Reason)
{
    public bool Allowed => Verdict == PolicyVerdict.Allowed;
    public static PolicyDecision Allow(string reason) => new(PolicyVerdict.Allowed, reason);
    public static PolicyDecision Refuse(string reason) => new(PolicyVerdict.Refused, reason);
}

/// <summary>Whose privacy budget a DP step spends: one for everything the site runs, or one per study.</summary>
public enum BudgetScope { Site, Study }

public sealed record PrivacyPolicy(double Epsilon, double Delta, BudgetScope Scope, IReadOnlyList<string> RequiredFor);

/// <summary>
/// The site's own rules (Vantage6/Fed-BioMed style node sovereignty), read from a YAML or JSON file
/// kept at the site: which studies may run, which task kinds with which models, the minimum number
/// of patients behind any aggregate, the maximum rounds per study, the differential-privacy budget
/// and whether an operator approves each task by hand. A task outside the policy is refused with
/// the rule it broke. See docs/privacy.md for the file format.
/// </summary>
public sealed partial class SitePolicy
{
    /// <summary>Task kinds a policy may name (extend when the protocol gains one).</summary>
    public static IReadOnlyList<string> KnownTaskKinds { get; } = ["train", "evaluate", "statistics", "standardise"];

    public string? SiteId { get; private init; }
    public IReadOnlyList<string> Studies { get; private init; } = [];
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Tasks { get; private init; } = new Dictionary<string, IReadOnlyList<string>>();
    public int MinCohort { get; private init; }
    public int MaxRounds { get; private init; }
    public PrivacyPolicy? Privacy { get; private init; }
    public bool ManualApproval { get; private init; }
    public string Source { get; private init; } = "";

    public static SitePolicy Load(string path)
    {
        if (!File.Exists(path)) throw new PolicyFileException(path, 0, "(file)", "policy file not found");
        return Parse(File.ReadAllText(path), path);
    }

    public static SitePolicy Parse(string text, string source = "policy.yaml")
    {
        var stream = new YamlStream();
        try { stream.Load(new StringReader(text)); }
        catch (YamlException e) { throw new PolicyFileException(source, (int)e.Start.Line, $"column {e.Start.Column}", $"not valid YAML/JSON: {e.Message}"); }
        catch (InvalidOperationException)
        {
            // YamlDotNet's parser gives up this way when the text ends inside a flow collection.
            var lastLine = text.TrimEnd('\n').Split('\n').Length;
            throw new PolicyFileException(source, lastLine, "(end of file)", "not valid YAML/JSON: the file ends early (an unclosed { } or [ ]?)");
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
            throw new PolicyFileException(source, 1, "(document)", "the file is empty or not a mapping (studies, tasks, min_cohort, max_rounds, ...)");
        var r = new Reader(source);
        r.Keys(root, "", ["site", "studies", "tasks", "min_cohort", "max_rounds", "privacy", "manual_approval"]);

        var site = r.Text(root, "site", "site");
        if (site is not null && !Pki.SiteIdentity.IsValidSiteId(site)) throw r.Error(r.Child(root, "site")!, "site", $"'{site}' is not a valid site id");

        var studies = r.List(root, "studies", "studies") ?? throw r.Error(root, "studies", "is missing: list the study ids (or patterns with * and ?) this site takes part in");
        foreach (var (pattern, node) in studies)
            if (!StudyPattern().IsMatch(pattern)) throw r.Error(node, "studies", $"'{pattern}' is not a study id or pattern (letters, digits, '.', '_', '-', '*', '?')");

        var tasksNode = r.Map(root, "tasks", "tasks") ?? throw r.Error(root, "tasks", $"is missing: map each allowed task kind ({string.Join(", ", KnownTaskKinds)}) to its allowed models");
        var tasks = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var (keyNode, _) in tasksNode.Children)
        {
            var kind = ((YamlScalarNode)keyNode).Value ?? "";
            if (!KnownTaskKinds.Contains(kind)) throw r.Error(keyNode, $"tasks.{kind}", $"unknown task kind (known: {string.Join(", ", KnownTaskKinds)})");
            var models = r.List(tasksNode, kind, $"tasks.{kind}")!;
            if (models.Count == 0) throw r.Error(keyNode, $"tasks.{kind}", "lists no model: remove the kind to forbid it, or list models (\"*\" for any)");
            tasks[kind] = models.Select(m => m.Value).ToList();
        }

        var minCohort = r.Integer(root, "min_cohort", "min_cohort", minimum: 1) ?? throw r.Error(root, "min_cohort", "is missing: the smallest number of patients behind any aggregate this site sends");
        var maxRounds = r.Integer(root, "max_rounds", "max_rounds", minimum: 1) ?? throw r.Error(root, "max_rounds", "is missing: the most rounds of one study this site runs");

        PrivacyPolicy? privacy = null;
        if (r.Map(root, "privacy", "privacy") is { } p)
        {
            r.Keys(p, "privacy.", ["epsilon", "delta", "scope", "required_for"]);
            var epsilon = r.Number(p, "epsilon", "privacy.epsilon") ?? throw r.Error(p, "privacy.epsilon", "is missing: the site's ε budget");
            if (!(epsilon > 0)) throw r.Error(r.Child(p, "epsilon")!, "privacy.epsilon", $"must be positive, got {epsilon}");
            var delta = r.Number(p, "delta", "privacy.delta") ?? throw r.Error(p, "privacy.delta", "is missing: the δ at which ε is reported (e.g. 1e-5)");
            if (!(delta > 0 && delta < 1)) throw r.Error(r.Child(p, "delta")!, "privacy.delta", $"must be in (0, 1), got {delta}");
            var scopeText = r.Text(p, "scope", "privacy.scope") ?? "site";
            var scope = scopeText switch
            {
                "site" => BudgetScope.Site,
                "study" => BudgetScope.Study,
                _ => throw r.Error(r.Child(p, "scope")!, "privacy.scope", $"'{scopeText}' is not 'site' (one budget for all studies) or 'study'"),
            };
            var required = r.List(p, "required_for", "privacy.required_for")?.Select(x => x.Value).ToList() ?? ["train"];
            if (required.FirstOrDefault(k => !KnownTaskKinds.Contains(k)) is { } bad) throw r.Error(r.Child(p, "required_for")!, "privacy.required_for", $"unknown task kind '{bad}'");
            privacy = new PrivacyPolicy(epsilon, delta, scope, required);
        }

        var manual = r.Text(root, "manual_approval", "manual_approval") switch
        {
            null or "false" => false,
            "true" => true,
            var other => throw r.Error(r.Child(root, "manual_approval")!, "manual_approval", $"'{other}' is not true or false"),
        };
        return new SitePolicy
        {
            SiteId = site, Studies = studies.Select(s => s.Value).ToList(), Tasks = tasks, MinCohort = minCohort, MaxRounds = maxRounds,
            Privacy = privacy, ManualApproval = manual, Source = source,
        };
    }

    /// <summary>
    /// Checks a task against the rules that do not depend on what already ran (study, kind, model,
    /// DP parameters present when required). <see cref="SiteGuard"/> adds rounds, budget and approval.
    /// </summary>
    public PolicyDecision EvaluateStatic(TaskDescription task)
    {
        if (!Studies.Any(p => Glob(p).IsMatch(task.StudyId)))
            return PolicyDecision.Refuse($"study '{task.StudyId}' is not among the studies this site allows ({string.Join(", ", Studies)})");
        if (!Tasks.TryGetValue(task.Kind, out var models))
            return PolicyDecision.Refuse($"task kind '{task.Kind}' is not allowed at this site (allowed: {string.Join(", ", Tasks.Keys)})");
        if (!models.Any(m => Glob(m).IsMatch(task.Model)))
            return PolicyDecision.Refuse($"model '{task.Model}' is not allowed for '{task.Kind}' tasks at this site (allowed: {string.Join(", ", models)})");
        if (Privacy is { } dp && dp.RequiredFor.Contains(task.Kind) && task.Privacy is null)
            return PolicyDecision.Refuse(string.Create(CultureInfo.InvariantCulture,
                $"this site runs '{task.Kind}' tasks only with differential privacy (budget ε = {dp.Epsilon:G4} at δ = {dp.Delta:G3}), and the task has none"));
        return PolicyDecision.Allow($"study '{task.StudyId}', {task.Kind} of '{task.Model}' allowed by {Path.GetFileName(Source)}");
    }

    /// <summary>Whether an aggregate over <paramref name="patients"/> patients may leave the site.</summary>
    public PolicyDecision CheckAggregate(int patients, string aggregate) => patients >= MinCohort
        ? PolicyDecision.Allow($"{aggregate}: {patients} patients")
        : PolicyDecision.Refuse($"{aggregate} would be computed from {patients} patients, below this site's minimum of {MinCohort}");

    private static Regex Glob(string pattern) =>
        new("^" + Regex.Escape(pattern).Replace("\\*", ".*").Replace("\\?", ".") + "$", RegexOptions.CultureInvariant);

    [GeneratedRegex(@"^[A-Za-z0-9._*?-]{1,128}$")]
    private static partial Regex StudyPattern();

    /// <summary>Reads nodes of one file, failing with file, line and field.</summary>
    private sealed class Reader(string source)
    {
        public PolicyFileException Error(YamlNode node, string field, string message) => new(source, (int)node.Start.Line, field, message);

        public YamlNode? Child(YamlMappingNode map, string key) => map.Children.TryGetValue(new YamlScalarNode(key), out var v) ? v : null;

        public void Keys(YamlMappingNode map, string prefix, string[] allowed)
        {
            foreach (var (key, _) in map.Children)
            {
                var name = (key as YamlScalarNode)?.Value ?? "?";
                if (!allowed.Contains(name)) throw Error(key, prefix + name, $"unknown key (allowed here: {string.Join(", ", allowed)})");
            }
        }

        public string? Text(YamlMappingNode map, string key, string field)
        {
            var node = Child(map, key);
            if (node is null) return null;
            if (node is not YamlScalarNode s) throw Error(node, field, "needs a single value");
            return string.IsNullOrWhiteSpace(s.Value) ? throw Error(node, field, "is empty") : s.Value.Trim();
        }

        public YamlMappingNode? Map(YamlMappingNode map, string key, string field) => Child(map, key) switch
        {
            null => null,
            YamlMappingNode m => m,
            var other => throw Error(other, field, "needs a mapping of keys"),
        };

        public List<(string Value, YamlNode Node)>? List(YamlMappingNode map, string key, string field)
        {
            var node = Child(map, key);
            if (node is null) return null;
            if (node is not YamlSequenceNode seq) throw Error(node, field, "needs a list, e.g. [a, b]");
            return seq.Children.Select((item, i) => item is YamlScalarNode { Value: { Length: > 0 } v }
                ? (v.Trim(), item)
                : throw Error(item, $"{field}[{i}]", "needs a single non-empty value")).ToList();
        }

        public double? Number(YamlMappingNode map, string key, string field)
        {
            var text = Text(map, key, field);
            if (text is null) return null;
            return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v)
                ? v : throw Error(Child(map, key)!, field, $"'{text}' is not a number");
        }

        public int? Integer(YamlMappingNode map, string key, string field, int minimum)
        {
            var text = Text(map, key, field);
            if (text is null) return null;
            if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v)) throw Error(Child(map, key)!, field, $"'{text}' is not a whole number");
            return v >= minimum ? v : throw Error(Child(map, key)!, field, $"must be at least {minimum}, got {v}");
        }
    }
}

/// <summary>A policy file that cannot be used, with the file, line and field at fault.</summary>
public sealed class PolicyFileException(string file, int line, string field, string message)
    : Exception($"{file}{(line > 0 ? $" line {line}" : "")}: {field}: {message}")
{
    public string File { get; } = file;
    public int Line { get; } = line;
    public string Field { get; } = field;
}
