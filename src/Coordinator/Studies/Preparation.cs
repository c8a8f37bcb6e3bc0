using System.Text.Json;
using FedRad.Coordinator.Contracts.Model;
using FedRad.Statistics.Coordinator;
using FedRad.Statistics.Coordinator.Harmonisation;
using FedRad.Statistics.Coordinator.Selection;
using FedRad.Statistics.Protocol;

namespace FedRad.Coordinator.Studies;

/// <summary>
/// A study's preparation before its standardisation round (docs/coordinator.md "Preparing a study"), run with the
/// exact statistics engine over the study's own cohorts (each site applies the inclusion filters itself):
/// 1. eligibility: every site checks its columns and minimum counts and reports how many patients its filters excluded;
/// 2. harmonisation: federated ComBat with each site as a batch (equal to sva::ComBat on the pooled data), then each
///    site's feature means and SDs before and after;
/// 3. feature selection on the harmonised pooled data (univariate_auc: the exact pooled AUC of every feature alone).
/// Selection comes before standardisation: the AUC does not change under a per-feature linear rescaling, and the
/// standardisation round then only covers the features the model uses.
/// </summary>
public static class Preparation
{
    /// <summary>
    /// Runs the preparation. A site that refuses the eligibility check, or does not answer it in time, takes no further
    /// part (as a site that refuses a round's task); the rest go on when they are at least <paramref name="minSites"/>,
    /// else it fails. After that every eligible site must answer.
    /// </summary>
    public static async Task<PreparationResult> RunAsync(Federation all, StudyDefinition study, int minSites, CancellationToken ct = default)
    {
        var features = study.FeatureNames;
        var covariates = study.Harmonisation?.Covariates ?? [];
        var request = new EligibilityRequest
        {
            Columns = [.. features, .. covariates], Outcome = study.LabelColumn, Harmonise = study.Harmonisation is not null,
        };
        var answers = await Task.WhenAll(all.Names.Select(async site =>
        {
            try { return (site, (await all.Only(site).AskAllAsync(request, ct))[0], ""); }
            catch (SiteRefusedException e) { return (site, (EligibilityAggregate?)null, e.Refusal.Reason); }
            catch (AnalysisFailedException e) { return (site, (EligibilityAggregate?)null, e.Message); } // did not answer in time
        }));
        var eligible = answers.Where(a => a.Item2 is not null).Select(a => a.site).ToList();
        if (eligible.Count < Math.Max(1, minSites))
            throw new AnalysisFailedException($"{eligible.Count} of {answers.Length} sites have an eligible cohort, below the minimum of {minSites}: "
                + string.Join("; ", answers.Where(a => a.Item3.Length > 0).Select(a => $"site {a.site}: {a.Item3}")));
        var federation = new Federation(all.Sites.Where(s => eligible.Contains(s.Site)));

        ComBatResult? combat = null;
        var shifts = new Dictionary<string, IReadOnlyList<FeatureShift>>();
        IReadOnlyList<FeatureHistogram> distributions = [];
        if (study.Harmonisation is not null)
        {
            combat = await ComBat.FitAsync(federation, features, covariates, batchColumn: null, ct);
            distributions = await FeatureDistributions.ComputeAsync(federation, features, combat.Adjustment, ct);
            foreach (var site in federation.Names)
            {
                var only = federation.Only(site);
                var before = await PooledMoments.ComputeAsync(only, features, ct: ct);
                var after = await PooledMoments.ComputeAsync(only, features, new DataSpec { Harmonisation = combat.Adjustment }, ct);
                var (sdBefore, sdAfter) = (before.SampleSd, after.SampleSd);
                shifts[site] = features.Select((f, j) => new FeatureShift(f, before.Mean[j], sdBefore[j], after.Mean[j], sdAfter[j])).ToList();
            }
        }

        var selected = features;
        var scores = new Dictionary<string, double>();
        if (study.FeatureSelection is { } selection)
        {
            if (selection.Method != "univariate_auc") throw new AnalysisFailedException($"feature selection method '{selection.Method}' is not run by studies");
            var data = combat is null ? null : new DataSpec { Harmonisation = combat.Adjustment };
            foreach (var (f, auc) in await UnivariateTests.FeatureAucAsync(federation, features, study.LabelColumn, data, ct)) scores[f] = auc;
            selected = SelectByAuc(features, scores, selection.MaxFeatures);
        }

        return new PreparationResult
        {
            State = PreparationState.Completed,
            SelectedFeatures = selected,
            FeatureScores = scores,
            Unadjusted = combat?.Unadjusted ?? [],
            HarmonisationJson = combat is null ? "" : JsonSerializer.Serialize(combat.Adjustment, ProtocolJson.Options),
            DistributionsJson = combat is null ? "" : JsonSerializer.Serialize(distributions, ProtocolJson.Options),
            Sites = answers.Select(a => a.Item2 is { } e
                ? new SitePreparation(a.site, e.Count, e.Excluded ?? 0, shifts.GetValueOrDefault(a.site, []))
                : new SitePreparation(a.site, 0, 0, [], a.Item3)).ToList(),
        };
    }

    /// <summary>
    /// The <paramref name="max"/> features whose pooled AUC is furthest from 0.5 (discrimination in either direction;
    /// ties: the study's order), listed in the study's order.
    /// </summary>
    public static IReadOnlyList<string> SelectByAuc(IReadOnlyList<string> features, IReadOnlyDictionary<string, double> auc, int max)
    {
        var chosen = features.Select((f, i) => (f, i)).OrderByDescending(x => Math.Abs(auc[x.f] - 0.5)).ThenBy(x => x.i).Take(max).Select(x => x.f).ToHashSet();
        return features.Where(chosen.Contains).ToList();
    }

    /// <summary>The fitted adjustment as a site receives it: only that site's own batch parameters.</summary>
    public static ComBatAdjustment ForSite(ComBatAdjustment all, string site) =>
        all with { Batches = all.Batches.Where(b => b.Batch == site).ToList() };

    /// <summary>A site's own adjustment as JSON for its tasks ("" without harmonisation).</summary>
    public static string ForSite(string harmonisationJson, string site) =>
        harmonisationJson.Length == 0 ? "" : JsonSerializer.Serialize(ForSite(Adjustment(harmonisationJson), site), ProtocolJson.Options);

    public static IReadOnlyList<FeatureHistogram> Distributions(string json) =>
        json.Length == 0 ? [] : JsonSerializer.Deserialize<List<FeatureHistogram>>(json, ProtocolJson.Options) ?? [];

    public static ComBatAdjustment Adjustment(string json) =>
        JsonSerializer.Deserialize<ComBatAdjustment>(json, ProtocolJson.Options) ?? throw new JsonException("empty harmonisation");
}
