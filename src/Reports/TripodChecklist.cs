namespace FedRad.Reports;

/// <summary>
/// The TRIPOD items (Collins et al., 2015, development and validation of a multivariable
/// prediction model) that a generated report can speak to, each with what this report shows or
/// what the authors still have to add. Items about background, discussion and funding are the
/// authors' alone and are not listed.
/// </summary>
public static class TripodChecklist
{
    public static IReadOnlyList<TripodItem> For(ValidationResults r)
    {
        var survival = r.Model.IsSurvival;
        var excluded = r.Cohort.Count(c => !c.Included);
        var items = new List<TripodItem>
        {
            new("1", "Title: development and/or validation, target population, outcome", "partly reported",
                "Title names the analysis; the authors name the population and outcome"),
            new("4a", "Source of data and study design", "partly reported",
                $"Cohort: {r.Cohort.Count} site(s) of a federated study; the authors describe the design (e.g. retrospective cohorts)"),
            new("4b", "Key study dates", "not covered", "The authors give recruitment and follow-up dates"),
            new("5a", "Setting and number of centres", "reported", "Cohort (one row per site)"),
            new("5b", "Eligibility criteria", excluded > 0 ? "partly reported" : "not covered",
                "Sites' own inclusion criteria are the authors' to state" + (excluded > 0 ? "; sites left out and why: Cohort" : "")),
            new("6a", "Outcome definition", "partly reported", $"Model: outcome {r.Model.Outcome}; the authors define it clinically"),
            new("7a", "Predictors: definition and measurement", "partly reported",
                "Model and Harmonisation list the features and their harmonisation; the authors give the imaging and extraction protocol"),
            new("8", "Sample size", "reported", "Cohort: patients and " + (survival ? "events" : "positive outcomes") + " per site and pooled"),
            new("9", "Missing data", "reported", "Complete data are required: a site with a missing value in an analysis column refuses and is reported in the notes"),
            new("10a", "Handling of predictors", r.Harmonisation is null ? "partly reported" : "reported",
                r.Harmonisation is null ? "Model: features used as they are (no harmonisation)" : "Harmonisation: " + r.Harmonisation.Method + " by " + r.Harmonisation.BatchBy),
            new("10b", "Type of model, model building, predictor selection", "reported", $"Model: {r.Model.Kind}, penalty {r.Model.Penalty}"),
            new("10d", "Measures of model performance", "reported",
                survival ? "Discrimination (Harrell's C), Kaplan-Meier by risk group" : "Discrimination (AUC, DeLong CI), Calibration (intercept, slope, plot), Brier score"),
            new("11", "Risk groups", (survival ? r.KaplanMeier is not null : r.Calibration?.Curve is not null) ? "reported" : "not covered",
                survival ? "Survival: pooled risk tertiles (or halves) of the linear predictor" : "Calibration: pooled risk deciles (or coarser) of the predicted risk"),
            new("12", "Development vs validation", r.LeaveOneSiteOut.Count > 0 ? "reported" : "not covered",
                "Leave-one-site-out: each site validates the model fitted on the others"),
            new("13a", "Flow of participants", excluded > 0 ? "reported" : "partly reported", "Cohort: included and excluded sites with reasons; per-patient flow stays at the sites"),
            new("13b", "Characteristics of participants", r.FeatureDistributions.Count > 0 ? "partly reported" : "not covered",
                "Feature distributions per site; the authors add clinical characteristics"),
            new("14a", "Number of participants and outcome events", "reported", "Cohort"),
            new("15a", "Full prediction model: all coefficients and intercept", r.Coefficients.Count > 0 ? "reported" : "not covered", "Model coefficients"),
            new("15b", "How to use the prediction model", r.Coefficients.Count > 0 ? "reported" : "not covered", "Model coefficients: the linear predictor"),
            new("16", "Model performance with confidence intervals", "reported",
                survival ? "Discrimination, Survival by risk group, Leave-one-site-out" : "Discrimination, Calibration, Leave-one-site-out"),
            new("17", "Model updating", "not applicable", "The model is developed in this analysis, not updated"),
        };
        return items;
    }
}
