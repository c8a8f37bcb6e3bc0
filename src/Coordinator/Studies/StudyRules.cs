using System.Text.RegularExpressions;
using FedRad.Coordinator.Aggregation;
using FedRad.Coordinator.Contracts.Model;
using FedRad.Learning.Models;

namespace FedRad.Coordinator.Studies;

/// <summary>Checks a study definition before anything runs; every message names the field.</summary>
public static partial class StudyRules
{
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    public static partial Regex IdPattern();

    public static void Validate(StudyDefinition d)
    {
        var problems = new List<string>();
        if (!IdPattern().IsMatch(d.StudyId)) problems.Add($"study_id '{d.StudyId}' must be 1-64 characters of letters, digits, '.', '_' or '-'");
        if (!ModelCatalog.Names.Contains(d.Model)) problems.Add($"model '{d.Model}' is unknown (known: {string.Join(", ", ModelCatalog.Names)})");
        if (d.FeatureNames.Count == 0) problems.Add("feature_names is empty");
        var dup = d.FeatureNames.GroupBy(f => f).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null) problems.Add($"feature_names lists '{dup.Key}' twice");
        if (d.FeatureNames.Any(string.IsNullOrWhiteSpace)) problems.Add("feature_names has an empty name");
        if (string.IsNullOrWhiteSpace(d.LabelColumn)) problems.Add("label_column is empty");
        if (d.Rounds is < 1 or > 10_000) problems.Add($"rounds must be 1..10000, got {d.Rounds}");
        if (d.MinSites < 1) problems.Add($"min_sites must be at least 1, got {d.MinSites}");
        if (d.SiteIds.Count > 0 && d.MinSites > d.SiteIds.Count) problems.Add($"min_sites {d.MinSites} exceeds the {d.SiteIds.Count} listed sites");
        if (d.SiteIds.Any(s => !IdPattern().IsMatch(s))) problems.Add("site_ids contains an invalid site id");
        if (d.RoundTimeoutSeconds is < 1 or > 7 * 24 * 3600) problems.Add($"round_timeout_seconds must be 1..604800, got {d.RoundTimeoutSeconds}");
        try
        {
            var strategy = Strategies.Create(d.Strategy, StrategyOptions.FromParameters(d.StrategyParameters));
            if (d.SiteIds.Count > 0 && d.SiteIds.Count < strategy.MinimumUpdates)
                problems.Add($"strategy '{d.Strategy}' needs at least {strategy.MinimumUpdates} sites per round, the study lists {d.SiteIds.Count}");
        }
        catch (ArgumentException e) { problems.Add(e.Message); }
        var t = d.Training;
        if (t.LocalEpochs is < 1 or > 1000) problems.Add($"training.local_epochs must be 1..1000, got {t.LocalEpochs}");
        if (!(t.LearningRate > 0 && t.LearningRate <= 10)) problems.Add($"training.learning_rate must be in (0, 10], got {t.LearningRate}");
        if (!(t.L2 >= 0 && double.IsFinite(t.L2))) problems.Add($"training.l2 must be a finite value >= 0, got {t.L2}");
        if (t.BatchSize < 0) problems.Add($"training.batch_size must be >= 0 (0 = full batch), got {t.BatchSize}");
        if (problems.Count > 0) throw new ArgumentException("invalid study definition: " + string.Join("; ", problems));
    }
}
