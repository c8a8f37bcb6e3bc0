using FedRad.Statistics.Coordinator.Models;
using FedRad.Statistics.Protocol;

namespace FedRad.Statistics.Coordinator.Validation;

/// <summary>External validation of a logistic model trained on all other sites, on the site left out.</summary>
public sealed record LosoLogistic(string Site, RegressionFit? Fit, Estimate? Auc, CalibrationResult? Calibration, string? Note);

/// <summary>External validation of a Cox model trained on all other sites, on the site left out.</summary>
public sealed record LosoCox(string Site, RegressionFit? Fit, Estimate? CIndex, string? Note);

/// <summary>
/// Leave-one-site-out validation: for every site, the model is fitted federatedly on the other
/// sites and its score is evaluated by the left-out site alone (its AUC, Brier score and
/// calibration; or its C-index). A fold that cannot be fitted or evaluated is reported with the
/// reason instead of a value.
/// </summary>
public static class LeaveOneSiteOut
{
    public static async Task<IReadOnlyList<LosoLogistic>> LogisticAsync(Federation federation, IReadOnlyList<string> features, string outcome,
        Penalty? penalty = null, DataSpec? data = null, CancellationToken ct = default)
    {
        data ??= new DataSpec();
        var result = new List<LosoLogistic>();
        foreach (var site in federation.Names)
        {
            if (federation.Sites.Count < 2) break;
            RegressionFit fit;
            try
            {
                fit = await LogisticRegression.FitAsync(federation.Without(site), features, outcome, penalty, data, ct);
            }
            catch (AnalysisFailedException e)
            {
                result.Add(new LosoLogistic(site, null, null, null, $"model trained without site {site} could not be fitted: {e.Message}"));
                continue;
            }
            var held = federation.Only(site);
            var scored = ModelScore.With(data, fit);
            Estimate? estimate;
            try
            {
                estimate = (await Discrimination.AucAsync(held, ModelScore.Column, outcome, scored, ct)).PerSite[site];
            }
            catch (AnalysisFailedException)
            {
                estimate = null;
            }
            if (estimate is null)
            {
                result.Add(new LosoLogistic(site, fit, null, null, $"site {site} cannot be validated: it needs patients of both outcome classes"));
                continue;
            }
            CalibrationResult? calibration = null;
            string? note = null;
            try
            {
                calibration = await Calibration.EvaluateAsync(held, ModelScore.Column, outcome, scored, ct);
            }
            catch (AnalysisFailedException e)
            {
                note = $"calibration at site {site} failed: {e.Message}";
            }
            result.Add(new LosoLogistic(site, fit, estimate, calibration, note));
        }
        return result;
    }

    public static async Task<IReadOnlyList<LosoCox>> CoxAsync(Federation federation, IReadOnlyList<string> features, string time, string @event,
        bool stratifyBySite = false, Penalty? penalty = null, DataSpec? data = null, CancellationToken ct = default)
    {
        data ??= new DataSpec();
        var result = new List<LosoCox>();
        foreach (var site in federation.Names)
        {
            if (federation.Sites.Count < 2) break;
            RegressionFit fit;
            try
            {
                fit = await CoxRegression.FitAsync(federation.Without(site), features, time, @event, stratifyBySite, penalty, data, ct);
            }
            catch (AnalysisFailedException e)
            {
                result.Add(new LosoCox(site, null, null, $"model trained without site {site} could not be fitted: {e.Message}"));
                continue;
            }
            try
            {
                var c = await Discrimination.ConcordanceAsync(federation.Only(site), ModelScore.Column, time, @event, ModelScore.With(data, fit), ct);
                result.Add(c.PerSite[site] is { } estimate
                    ? new LosoCox(site, fit, estimate, null)
                    : new LosoCox(site, fit, null, $"site {site} cannot be validated: it has no comparable pair (no event)"));
            }
            catch (AnalysisFailedException e)
            {
                result.Add(new LosoCox(site, fit, null, $"site {site} cannot be validated: {e.Message}"));
            }
        }
        return result;
    }
}
