using FedRad.Learning.Metrics;
using FedRad.Protocol.V1;
using FedRad.Reports;
using FedRad.Statistics.Coordinator.Harmonisation;
using FedRad.Statistics.Coordinator.Validation;
using ReportStudyDefinition = FedRad.Reports.StudyDefinition;

namespace FedRad.Cli.Reports;

/// <summary>
/// The validation report's data for a completed FedAvg study, from what the coordinator holds: the
/// study definition and its hash, the evaluation round's per-site AUC, and the per-site histograms of
/// predicted probabilities by class that the sites sent (docs/protocol.md). From the histograms come
/// the cohort's positives, the ROC points and DeLong variances of the binned scores.
/// </summary>
public static class StudyValidation
{
    public static ValidationResults From(StudyStatus status, EvaluationDetail detail, DateTimeOffset now)
    {
        var id = status.Spec.StudyId;
        if (status.State != StudyState.Completed)
            throw new ReportInputException($"study '{id}' is {status.State.ToString().ToLowerInvariant()}: a report needs a completed study");
        var study = new ReportStudyDefinition(status.Definition.TrimStart().StartsWith('{') ? "FedRad study definition (JSON)" : "FedRad study definition (YAML)", status.Definition);
        if (study.Sha256 != status.DefinitionSha256)
            throw new ReportInputException($"study '{id}': the definition's SHA-256 {study.Sha256} differs from the one recorded at creation ({status.DefinitionSha256})");

        var bySite = detail.Sites.ToDictionary(s => s.SiteId);
        var cohort = new List<SiteCohortRow>();
        var sites = status.EnrolledSites.Count > 0 ? status.EnrolledSites.ToList() : detail.Sites.Select(s => s.SiteId).ToList();
        var prepared = status.Preparation?.Sites.ToDictionary(x => x.SiteId) ?? [];
        foreach (var site in sites)
            cohort.Add(bySite.TryGetValue(site, out var h)
                ? new SiteCohortRow(site, true, (int)Total(h.Positives, h.Negatives), (int)h.Positives.Sum(),
                    prepared.TryGetValue(site, out var p) && p.Excluded > 0 ? $"{p.Excluded} excluded by the study's inclusion filters" : null)
                : new SiteCohortRow(site, false, null, null, "did not answer the evaluation round"));
        // Sites that refused the study's eligibility check took no part after it (docs/coordinator.md "Preparing a study").
        foreach (var refused in prepared.Values.Where(x => x.Refused.Length > 0 && !sites.Contains(x.SiteId)))
            cohort.Add(new SiteCohortRow(refused.SiteId, false, null, null, $"refused the study's eligibility check: {refused.Refused}"));

        var pooledPos = Sum(detail.Sites.Select(s => s.Positives));
        var pooledNeg = Sum(detail.Sites.Select(s => s.Negatives));
        // The value the coordinator computed (the study's status shows it), to the last bit.
        var pooledHistogram = new ScoreHistogram(pooledPos, pooledNeg);
        var pooledAuc = pooledHistogram.Auc();
        if (!double.IsFinite(pooledAuc)) throw new ReportInputException($"study '{id}': the pooled evaluation has patients of one class only, no AUC");
        var perSite = new List<SiteMetric>();
        var notes = new List<string>
        {
            $"Pooled AUC: from the sum of the sites' histograms of predicted probabilities ({pooledPos.Length} bins of width {1.0 / pooledPos.Length:0.####}); patients of both classes in one bin count as a tie (1/2). Per-site AUC: computed exactly at the site.",
            "95% CIs: DeLong's variance of the binned scores (placement values per bin), pooled and per site; a per-site interval is centred on the site's exact AUC.",
            "ROC curves: sensitivity and specificity at the bin edges of the predicted probability.",
            "Patients evaluated: a site that holds patients out (column split = test) is evaluated on those only, never trained on; a site without held-out patients on all its patients (then on patients it trained on).",
        };
        foreach (var site in sites)
        {
            if (!bySite.TryGetValue(site, out var h)) { perSite.Add(new SiteMetric(site, null, "did not answer the evaluation round")); continue; }
            var binned = new ScoreHistogram(h.Positives.ToArray(), h.Negatives.ToArray());
            if (!double.IsFinite(binned.Auc()) || !double.IsFinite(h.Auc)) { perSite.Add(new SiteMetric(site, null, "patients of one outcome class only: no AUC")); continue; }
            perSite.Add(new SiteMetric(site, Estimate(h.Auc, binned.DeLongVariance()), null));
        }

        var spec = status.Spec;
        var folds = status.LeaveOneSiteOut.Select(f => new LosoFold(f.SiteId,
            double.IsFinite(f.Auc) ? new Metric(f.Auc, Finite(f.AucCiLow), Finite(f.AucCiHigh)) : null, null, null, null,
            f.Note.Length > 0 ? f.Note : $"trained on {string.Join(", ", f.TrainingSites)}")).ToList();
        if (folds.Count > 0)
            notes.Add($"Leave-one-site-out: for each site, the model trained on the other sites alone (the same {spec.Rounds} {spec.Strategy} rounds, training settings and seeds, "
                + "with its own standardisation over those sites) and evaluated on the site left out: AUC computed exactly at that site, 95% CI DeLong on its binned scores.");
        notes.Add("Calibration: observed against predicted probability in groups of width 0.1 made from the same histograms (exact counts; mean predicted at the bins' centres). "
            + "Brier score, calibration intercept and slope, and coefficients with CIs come from exact federated analyses (fedrad analysis run with \"validation\": true), not from a FedAvg study.");

        notes.AddRange(PreparationNotes(status));
        var features = status.Preparation is { SelectedFeatures.Count: > 0 } selection ? selection.SelectedFeatures.ToList() : spec.FeatureNames.ToList();
        return new ValidationResults
        {
            Name = id,
            Study = study,
            Software = SoftwareVersion.Current(),
            GeneratedAt = now,
            Model = new ModelSummary("logistic", $"{spec.LabelColumn} (0/1)", features, (int)(pooledPos.Sum() + pooledNeg.Sum()), (int)pooledPos.Sum(),
                $"L2 {spec.Training.L2} in local training; {spec.Strategy}, {spec.Rounds} rounds; final model {status.FinalModelId}"),
            Cohort = cohort,
            Discrimination = new DiscriminationResults("AUC", "DeLong (binned scores)",
                Estimate(pooledAuc, pooledHistogram.DeLongVariance()),
                perSite, Roc(pooledPos, pooledNeg), detail.Sites.ToDictionary(s => s.SiteId, s => Roc(s.Positives.ToArray(), s.Negatives.ToArray()))),
            Harmonisation = spec.Harmonisation is { Method: "combat" } harmonisation
                ? new HarmonisationSummary("ComBat (parametric empirical Bayes, federated)", "site", harmonisation.Covariates.ToList(),
                    spec.FeatureNames.Except(status.Preparation?.UnadjustedFeatures ?? []).ToList(), status.Preparation?.UnadjustedFeatures.ToList() ?? [])
                : null,
            FeatureDistributions = status.Preparation?.Distributions.Select(Distribution).ToList() ?? [],
            Calibration = pooledPos.Length % 10 != 0 ? null : new CalibrationResults(null, null, null,
                CalibrationCurve.FromScoreHistograms(pooledPos, pooledNeg, detail.Sites.ToDictionary(s => s.SiteId, s => (s.Positives.ToArray(), s.Negatives.ToArray()))),
                $"Patients are grouped by predicted probability in groups of equal width (0.1), merged from the sites' {pooledPos.Length}-bin histograms; counts and observed proportions are exact, "
                + $"the mean predicted probability takes each patient at its bin's centre (within {0.5 / pooledPos.Length:0.####} of the true mean)."),
            PooledScoreBins = pooledPos.Length,
            LeaveOneSiteOut = folds,
            LeaveOneSiteOutNotRun = folds.Count > 0 ? null : "the study definition did not ask for it: validation.leave_one_site_out",
            Notes = notes,
        };
    }

    /// <summary>What the study's preparation did (inclusion, ComBat, selection), for the notes.</summary>
    private static IEnumerable<string> PreparationNotes(StudyStatus status)
    {
        if (status.Preparation is not { } p) yield break;
        var spec = status.Spec;
        if (spec.Cohort is { Inclusion.Count: > 0 } cohort)
            yield return $"Inclusion filters, applied at every site before anything was computed: {string.Join("; ", cohort.Inclusion.Select(Describe))}. " +
                $"Excluded: {string.Join(", ", p.Sites.Where(x => x.Refused.Length == 0).Select(x => $"{x.SiteId} {x.Excluded} of {x.Included + x.Excluded}"))}.";
        if (spec.Harmonisation is { Method: "combat" })
            yield return "Harmonisation: federated ComBat with each site as a batch, equal to sva::ComBat on the pooled data, fitted before standardisation; each site applied its own batch parameters to its features for training and evaluation. Per-site means and SDs before and after:" +
                string.Concat(p.Sites.SelectMany(x => x.Harmonisation.Select(f => FormattableString.Invariant($" {x.SiteId}/{f.Feature} {f.MeanBefore:G4}±{f.SdBefore:G4} → {f.MeanAfter:G4}±{f.SdAfter:G4};"))));
        if (status.LeaveOneSiteOut.Count > 0 && (spec.Harmonisation is not null || spec.FeatureSelection is not null))
            yield return "Leave-one-site-out folds reuse the study's preparation (ComBat parameters and selected features fitted once on all sites' training patients, the site left out included): their AUCs are not fully external.";
        if (spec.FeatureSelection is { } selection && p.FeatureScores.Count > 0)
            yield return $"Feature selection ({selection.Method}, before standardisation, on the {(spec.Harmonisation is null ? "" : "harmonised ")}pooled data): kept {string.Join(", ", p.SelectedFeatures)} " +
                $"of {p.FeatureScores.Count}, the {selection.MaxFeatures} whose pooled AUC is furthest from 0.5. Pooled AUC of each feature alone: " +
                string.Join(", ", spec.FeatureNames.Select(f => FormattableString.Invariant($"{f} {p.FeatureScores[f]:F3}"))) + ".";
    }

    private static string Describe(InclusionFilter f) => f.Column + (f.HasEquals_ ? $" = {f.Equals_}" : f.In.Count > 0 ? $" in {{{string.Join(", ", f.In)}}}"
        : (f.HasMin ? FormattableString.Invariant($" ≥ {f.Min:G}") : "") + (f.HasMax ? FormattableString.Invariant($"{(f.HasMin ? "," : "")} ≤ {f.Max:G}") : ""));

    private static FeatureHistogram Distribution(FeatureDistribution d) => new(d.Feature, d.Edges.ToList(), d.MeanBefore, d.SdBefore,
        double.IsNaN(d.MeanAfter) ? null : d.MeanAfter, double.IsNaN(d.SdAfter) ? null : d.SdAfter,
        d.Sites.Select(x => new SiteHistogram(x.SiteId, x.Count, x.Before.Select(c => c < 0 ? null : (int?)c).ToList(),
            x.After.Count == 0 ? null : x.After.Select(c => c < 0 ? null : (int?)c).ToList())).ToList());

    private static Metric Estimate(double auc, double variance)
    {
        var (low, high) = ScoreHistogram.Ci95(auc, variance);
        return new Metric(auc, Finite(low), Finite(high));
    }

    private static double? Finite(double v) => double.IsFinite(v) ? v : null;

    /// <summary>(sensitivity, specificity) calling positive every patient in bin b or above, at each bin's lower edge.</summary>
    public static IReadOnlyList<RocPoint> Roc(double[] positives, double[] negatives)
    {
        double p = positives.Sum(), n = negatives.Sum();
        if (p < 1 || n < 1) return [];
        var bins = positives.Length;
        var points = new List<RocPoint>();
        double posAtOrAbove = p, negBelow = 0;
        for (var b = 0; b <= bins; b++)
        {
            points.Add(new RocPoint((double)b / bins, posAtOrAbove / p, negBelow / n));
            if (b == bins) break;
            posAtOrAbove -= positives[b];
            negBelow += negatives[b];
        }
        return points;
    }

    private static double Total(IEnumerable<double> a, IEnumerable<double> b) => a.Sum() + b.Sum();

    private static double[] Sum(IEnumerable<IEnumerable<double>> histograms)
    {
        double[]? total = null;
        foreach (var h in histograms)
        {
            var a = h.ToArray();
            total ??= new double[a.Length];
            for (var i = 0; i < a.Length; i++) total[i] += a[i];
        }
        return total ?? [];
    }
}
