using System.Security.Cryptography;
using System.Text;
using FedRad.Coordinator.Studies;
using FedRad.Protocol.V1;

namespace FedRad.Tests.Admin;

/// <summary>Study definition files: what is executed maps onto the engine's definition; every problem is named with its line and field.</summary>
public sealed class StudyFileTests
{
    private const string Full = """
        # Lung PFS, four hospitals
        study_id: lung-pfs-2027
        description: PET radiomics of NSCLC, 2-year progression
        model: logreg
        feature_names: [pt_suvmax, pt_mtv, pt_glcm_entropy]
        label_column: pfs_2y
        rounds: 12
        site_ids: [hospital-a, hospital-b, hospital-c]
        min_sites: 2
        round_timeout_seconds: 900
        strategy: fedprox
        strategy_parameters: {proximal_mu: 0.05}
        training: {local_epochs: 4, learning_rate: 0.05, l2: 0.002, batch_size: 16, seed: 11}
        imaging:
          preset: pet-suv-fbs0.25-3d
          roi: GTV
          roi_source: rtstruct
        cohort:
          inclusion:
            - {column: stage, in: [III, IV]}
            - {column: age, min: 18, max: 90}
        harmonisation: {method: combat, batch_by: site, covariates: [age]}
        feature_selection: {method: univariate_auc, max_features: 2}
        privacy:
          min_cohort: 10
          secure_aggregation: true
          differential_privacy: {epsilon: 3, delta: 1.0e-5, clip_norm: 1.5, noise: central}
        validation: {pooled: true, per_site: true, leave_one_site_out: false}
        """;

    [Fact]
    public void A_full_study_file_maps_its_executed_fields_and_records_the_text_with_the_hash_of_its_bytes()
    {
        var d = StudyFile.Parse(Full, "study.yaml", new Dictionary<string, string>());

        Assert.Equal("lung-pfs-2027", d.StudyId);
        Assert.Equal(["pt_suvmax", "pt_mtv", "pt_glcm_entropy"], d.FeatureNames);
        Assert.Equal("pfs_2y", d.LabelColumn);
        Assert.Equal(12, d.Rounds);
        Assert.Equal(["hospital-a", "hospital-b", "hospital-c"], d.SiteIds);
        Assert.Equal(2, d.MinSites);
        Assert.Equal(900, d.RoundTimeoutSeconds);
        Assert.Equal("fedprox", d.Strategy);
        Assert.Equal(0.05, d.StrategyParameters["proximal_mu"]);
        Assert.Equal(4, d.Training.LocalEpochs);
        Assert.Equal(0.05, d.Training.LearningRate);
        Assert.Equal(0.002, d.Training.L2);
        Assert.Equal(16, d.Training.BatchSize);
        Assert.Equal(11UL, d.Training.Seed);
        Assert.True(d.Standardise);
        Assert.Equal("GTV", d.Imaging!.Roi);
        Assert.Equal(File.ReadAllText(Path.Combine(RepoRoot(), "configs", "pet-suv-fbs0.25-3d.yaml")), d.Imaging.SettingsYaml);
        // The study preparation: inclusion filters, ComBat, selection.
        Assert.Equal(2, d.Inclusion.Count);
        Assert.Equal(("stage", "III|IV", (double?)null), (d.Inclusion[0].Column, string.Join("|", d.Inclusion[0].AnyOf), d.Inclusion[0].Min));
        Assert.Equal(("age", (double?)18, (double?)90, (string?)null), (d.Inclusion[1].Column, d.Inclusion[1].Min, d.Inclusion[1].Max, d.Inclusion[1].EqualTo));
        Assert.Equal(["age"], d.Harmonisation!.Covariates);
        Assert.Equal(new FedRad.Coordinator.Contracts.Model.FeatureSelectionSettings("univariate_auc", 2), d.FeatureSelection);
        // and travels through the admin protocol unchanged
        var back = StudyMapping.FromSpec(StudyMapping.ToSpec(d));
        Assert.Equal(d.Inclusion.Select(f => (f.Column, f.EqualTo, string.Join("|", f.AnyOf), f.Min, f.Max)), back.Inclusion.Select(f => (f.Column, f.EqualTo, string.Join("|", f.AnyOf), f.Min, f.Max)));
        Assert.Equal(d.Harmonisation.Covariates, back.Harmonisation!.Covariates);
        Assert.Equal(d.FeatureSelection, back.FeatureSelection);
        // The privacy section is executed: it travels to the rounds and the sites.
        Assert.Equal(10, d.Privacy!.MinCohort);
        Assert.True(d.Privacy.SecureAggregation);
        Assert.Equal(new FedRad.Coordinator.Contracts.Model.DifferentialPrivacySettings { Epsilon = 3, Delta = 1e-5, ClipNorm = 1.5, Noise = "central" }, d.Privacy.DifferentialPrivacy);
        var spec = StudyMapping.ToSpec(d);
        Assert.Equal(10, spec.Privacy.MinCohort);
        Assert.Equal("central", spec.Privacy.DifferentialPrivacy.Noise);
        Assert.Equal(d.Privacy, StudyMapping.FromSpec(spec).Privacy);
        // Recorded verbatim; the hash is the file's: SHA-256 of its bytes.
        Assert.Equal(Full, d.DefinitionText);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Full))), d.DefinitionSha256);
    }

    [Fact]
    public void Privacy_settings_the_engine_cannot_run_are_refused_naming_the_field()
    {
        const string robust = """
            study_id: s
            feature_names: [a, b]
            strategy: median
            strategy_parameters: {norm_outlier_factor: 5}
            privacy:
              secure_aggregation: true
            """;
        var e = Assert.Throws<StudyFileException>(() => StudyFile.Parse(robust, "s.yaml", new Dictionary<string, string>()));
        var strategy = Assert.Single(e.Problems, p => p.Field == "strategy");
        Assert.Equal(3, strategy.Line);
        Assert.Contains("strategy 'median' cannot run with privacy.secure_aggregation", strategy.Message);
        Assert.Contains("needs every site's own update", strategy.Message);
        var norm = Assert.Single(e.Problems, p => p.Field == "strategy_parameters.norm_outlier_factor");
        Assert.Contains("hides", norm.Message);

        const string central = """
            study_id: s
            feature_names: [a, b]
            privacy:
              differential_privacy: {epsilon: 2, noise: central}
            """;
        var c = Assert.Throws<StudyFileException>(() => StudyFile.Parse(central, "c.yaml", new Dictionary<string, string>()));
        var noise = Assert.Single(c.Problems);
        Assert.Equal("privacy.differential_privacy.noise", noise.Field);
        Assert.Contains("needs privacy.secure_aggregation: true", noise.Message);

        foreach (var name in new[] { "trimmed-mean", "krum", "fedadam" })
            Assert.Contains(StudyRules.Problems(StudyFile.Parse("study_id: s\nfeature_names: [a, b]\n", "ok.yaml", new Dictionary<string, string>())
                with { Strategy = name, Privacy = new FedRad.Coordinator.Contracts.Model.StudyPrivacy { SecureAggregation = true } }), p => p.Field == "strategy");
    }

    [Fact]
    public void The_study_epsilon_becomes_the_smallest_noise_multiplier_that_keeps_its_rounds_within_it()
    {
        var d = StudyFile.Parse("study_id: s\nfeature_names: [a, b]\nrounds: 10\nprivacy:\n  differential_privacy: {epsilon: 2, delta: 1.0e-5, clip_norm: 0.5}\n", "dp.yaml", new Dictionary<string, string>());
        Assert.Equal(0, d.Privacy!.DifferentialPrivacy!.NoiseMultiplier);
        var dp = StudyRules.WithCalibratedNoise(d).Privacy!.DifferentialPrivacy!;
        // Independently: ε of 10 Gaussian mechanisms at σ (RDP 10α/2σ², converted with Balle et al. 2020) over the dp_accounting orders.
        Assert.True(ReferenceEpsilon(dp.NoiseMultiplier, 1e-5, 10) <= 2 + 1e-9);
        Assert.True(ReferenceEpsilon(dp.NoiseMultiplier * 0.999, 1e-5, 10) > 2, $"σ = {dp.NoiseMultiplier} is not the smallest");
        Assert.Equal(0.5, dp.ClipNorm);
        Assert.Equal("local", dp.Noise);
    }

    /// <summary>ε(δ) of k Gaussian mechanisms with noise multiplier σ, written out here apart from the RdpAccountant.</summary>
    internal static double ReferenceEpsilon(double sigma, double delta, int k)
    {
        double[] orders = [.. Enumerable.Range(1, 99).Select(x => 1 + x / 10.0), .. Enumerable.Range(11, 53).Select(x => (double)x), 128, 256, 512, 1024];
        return orders.Min(a => Math.Max(0, k * a / (2 * sigma * sigma) + Math.Log(1 - 1 / a) - Math.Log(delta * a) / (a - 1)));
    }

    [Fact]
    public void Leave_one_site_out_is_refused_with_differential_privacy_whose_budget_covers_the_study_rounds_only()
    {
        var e = Assert.Throws<StudyFileException>(() => StudyFile.Parse(Full.Replace("leave_one_site_out: false", "leave_one_site_out: true"), "study.yaml", new Dictionary<string, string>()));
        Assert.Contains("field validation.leave_one_site_out: leave-one-site-out validation trains each site again in every fold that keeps it, beyond the rounds privacy.differential_privacy is calibrated for", e.Message);
        var withoutDp = Full.Replace("leave_one_site_out: false", "leave_one_site_out: true").Replace("  differential_privacy: {epsilon: 3, delta: 1.0e-5, clip_norm: 1.5, noise: central}\n", "");
        Assert.True(StudyFile.Parse(withoutDp, "study.yaml", new Dictionary<string, string>()).LeaveOneSiteOut);
    }

    [Fact]
    public void Every_problem_is_reported_at_once_with_its_line_and_field()
    {
        const string bad = """
            study_id: bad study
            model: svm
            feature_names: [a, b, a]
            rounds: 0
            roundz: 3
            training:
              learning_rate: fast
            site_ids: [x]
            min_sites: 2
            privacy:
              differential_privacy: {epsilon: -1}
            cohort:
              inclusion:
                - {column: age}
            validation: {per_site: false}
            """;
        var e = Assert.Throws<StudyFileException>(() => StudyFile.Parse(bad, "bad.yaml", new Dictionary<string, string>()));
        string At(int line, string field) => Assert.Single(e.Problems, p => p.Line == line && p.Field == field).ToString();

        Assert.Contains("must be 1-64 characters", At(1, "study_id"));
        Assert.Contains("model 'svm' is unknown", At(2, "model"));
        Assert.Contains("lists 'a' twice", At(3, "feature_names"));
        Assert.Contains("rounds must be 1..10000, got 0", At(4, "rounds"));
        Assert.Contains("unknown field 'roundz'", At(5, "roundz"));
        Assert.Contains("must be a number, got 'fast'", At(7, "training.learning_rate"));
        Assert.Contains("min_sites 2 exceeds the 1 listed sites", At(9, "min_sites"));
        Assert.Contains("epsilon must be > 0", At(11, "privacy.differential_privacy.epsilon"));
        Assert.Contains("give a condition", At(14, "cohort.inclusion[0]"));
        Assert.Contains("cannot be turned off", At(15, "validation.per_site"));
        Assert.StartsWith("bad.yaml: invalid study definition (10 problems)", e.Message);
        Assert.Contains("bad.yaml: line 7, field training.learning_rate: must be a number, got 'fast'", e.Message);
    }

    [Fact]
    public void A_syntax_error_names_its_line()
    {
        var e = Assert.Throws<StudyFileException>(() => StudyFile.Parse("study_id: s\nfeature_names: [a, b\nrounds: 3\n", "broken.yaml", new Dictionary<string, string>()));
        var p = Assert.Single(e.Problems);
        Assert.Equal("(syntax)", p.Field);
        Assert.InRange(p.Line, 2, 4);
    }

    [Fact]
    public void Imaging_settings_come_from_the_file_next_to_the_study_or_a_preset_and_are_checked()
    {
        const string text = "study_id: img\nfeature_names: [f]\nimaging: {settings_file: missing.yaml, roi: GTV}\n";
        var missing = Assert.Throws<StudyFileException>(() => StudyFile.Parse(text, "s.yaml", new Dictionary<string, string>()));
        Assert.Contains("line 3, field imaging.settings_file: settings file 'missing.yaml' was not found", missing.Message);

        var broken = Assert.Throws<StudyFileException>(() => StudyFile.Parse(text, "s.yaml", new Dictionary<string, string> { ["missing.yaml"] = "discretisation: 7\n" }));
        Assert.Contains("field imaging.settings_file", broken.Message);

        var preset = Assert.Throws<StudyFileException>(() => StudyFile.Parse("study_id: img\nfeature_names: [f]\nimaging: {preset: nope}\n", "s.yaml", new Dictionary<string, string>()));
        Assert.Contains("unknown preset 'nope' (known: ct-hu-fbs25-3d,", preset.Message);

        var threshold = Assert.Throws<StudyFileException>(() => StudyFile.Parse("study_id: img\nfeature_names: [f]\nimaging: {preset: pet-suv-fbs0.25-3d, roi_source: pet_threshold}\n", "s.yaml", new Dictionary<string, string>()));
        Assert.Contains("roi_source pet_threshold needs pet_threshold_method: fixed", threshold.Message);
    }

    [Fact]
    public void Delta_radiomics_names_two_manifest_timepoints_and_features_of_the_delta_table()
    {
        const string good = "study_id: d\nfeature_names: [delta_diff_nm_lesion_stat_mean, baseline_nm_lesion_stat_mean]\nimaging: {preset: spect-suv-fbs0.25-3d, roi: Lesion, delta_baseline: day1, delta_follow_up: day4}\n";
        var d = StudyFile.Parse(good, "d.yaml", new Dictionary<string, string>());
        Assert.Equal(("day1", "day4"), (d.Imaging!.DeltaBaseline, d.Imaging.DeltaFollowUp));
        var spec = StudyMapping.ToSpec(d);
        Assert.Equal(("day1", "day4"), (spec.Imaging.DeltaBaseline, spec.Imaging.DeltaFollowUp));
        Assert.Equal(d.Imaging, StudyMapping.FromSpec(spec).Imaging);

        const string bad = """
            study_id: d
            feature_names: [nm_lesion_stat_mean, delta_rel_nm_lesion_stat_mean]
            imaging:
              preset: spect-suv-fbs0.25-3d
              roi: Lesion
              delta_baseline: day1
            """;
        var e = Assert.Throws<StudyFileException>(() => StudyFile.Parse(bad, "d.yaml", new Dictionary<string, string>()));
        Assert.Contains("line 3, field imaging.delta_follow_up: delta radiomics needs both imaging.delta_baseline and imaging.delta_follow_up", e.Message);
        Assert.Contains("line 2, field feature_names: feature 'nm_lesion_stat_mean' is not a column of a delta radiomics study's table; name each feature with one of delta_diff_*, delta_rel_*, baseline_*, follow_up_*", e.Message);
        Assert.Equal(2, e.Problems.Count);

        var same = Assert.Throws<StudyFileException>(() => StudyFile.Parse(good.Replace("day4", "day1"), "d.yaml", new Dictionary<string, string>()));
        Assert.Contains("field imaging.delta_follow_up: delta radiomics compares two different timepoints; delta_baseline and delta_follow_up are both 'day1'", same.Message);

        var noDelta = Assert.Throws<StudyFileException>(() => StudyFile.Parse("study_id: d\nfeature_names: [delta_diff_nm_lesion_stat_mean]\nimaging: {preset: spect-suv-fbs0.25-3d, roi: Lesion}\n", "d.yaml", new Dictionary<string, string>()));
        Assert.Contains("feature 'delta_diff_nm_lesion_stat_mean' is a delta radiomics column: the study needs imaging.delta_baseline and imaging.delta_follow_up", noDelta.Message);
    }

    [Fact]
    public void A_study_created_from_a_spec_records_the_spec_as_json_which_reads_back_as_the_same_study()
    {
        var spec = new StudySpec { StudyId = "from-spec", Model = "logreg", LabelColumn = "y", Rounds = 3, MinSites = 2, RoundTimeoutSeconds = 30, Strategy = "fedavg" };
        spec.FeatureNames.AddRange(["f1", "f2"]);
        spec.SiteIds.AddRange(["a", "b"]);
        spec.Cohort = new CohortSelection { Inclusion = { new InclusionFilter { Column = "age", Min = 50 }, new InclusionFilter { Column = "stage", In = { "III", "IV" } } } };
        spec.Harmonisation = new StudyHarmonisation { Method = "combat", Covariates = { "sex" } };
        spec.FeatureSelection = new StudyFeatureSelection { Method = "univariate_auc", MaxFeatures = 1 };
        var definition = StudyMapping.FromSpec(spec);
        var text = StudyMapping.SpecText(StudyMapping.ToSpec(definition));

        var read = StudyFile.Parse(text, "spec.json", new Dictionary<string, string>());
        Assert.Equal(definition with
        {
            DefinitionText = text, DefinitionSha256 = read.DefinitionSha256, FeatureNames = read.FeatureNames, SiteIds = read.SiteIds,
            StrategyParameters = read.StrategyParameters, Inclusion = read.Inclusion, Harmonisation = read.Harmonisation,
        }, read);
        Assert.Equal(definition.FeatureNames, read.FeatureNames);
        Assert.Equal(definition.SiteIds, read.SiteIds);
        Assert.Equal(["age:50:", "stage::III|IV"], read.Inclusion.Select(f => $"{f.Column}:{f.Min}:{string.Join("|", f.AnyOf)}"));
        Assert.Equal(["sex"], read.Harmonisation!.Covariates);
    }

    [Fact]
    public void Preparation_sections_that_studies_cannot_run_are_refused_with_their_line()
    {
        const string bad = """
            study_id: prep
            feature_names: [f1, f2, f3]
            harmonisation: {method: combat, batch_by: scanner, covariates: [f2]}
            feature_selection: {method: univariate_auc, max_features: 4}
            """;
        var e = Assert.Throws<StudyFileException>(() => StudyFile.Parse(bad, "prep.yaml", new Dictionary<string, string>()));
        string At(int line, string field) => Assert.Single(e.Problems, p => p.Line == line && p.Field == field).ToString();
        Assert.Contains("batch_by must be site, got 'scanner'", At(3, "harmonisation.batch_by"));
        Assert.Contains("covariate 'f2' is a feature", At(3, "harmonisation.covariates"));
        Assert.Contains("max_features must be 1..3 (the number of feature_names), got 4", At(4, "feature_selection.max_features"));

        var lasso = Assert.Throws<StudyFileException>(() => StudyFile.Parse("study_id: l\nfeature_names: [a]\nfeature_selection: {method: lasso, max_features: 1}\n", "l.yaml", new Dictionary<string, string>()));
        Assert.Contains("line 3, field feature_selection.method: lasso is not run by studies yet", lasso.Message);
        var count = Assert.Throws<StudyFileException>(() => StudyFile.Parse("study_id: l\nfeature_names: [a]\nfeature_selection: {method: univariate_auc}\n", "l.yaml", new Dictionary<string, string>()));
        Assert.Contains("univariate_auc needs max_features", count.Message);
    }

    internal static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "FedRad.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new DirectoryNotFoundException("FedRad.sln not found above the test's folder");
    }
}
