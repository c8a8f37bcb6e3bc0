using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using FedRad.Learning.Data;
using FedRad.Learning.Metrics;
using FedRad.Learning.Models;
using FedRad.Learning.Synthetic;
using FedRad.Protocol.V1;
using FedRad.SiteAgent.Hosting;
using FedRad.SiteAgent.Tasks;
using FedRad.Tests.Infrastructure;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FedRad.Tests.Admin;

/// <summary>
/// A logistic-regression (FedAvg) study where sites hold patients out with cohort.csv's column <c>split</c>: a real
/// coordinator and four real agents. site-1 and site-2 mark every fourth patient <c>test</c>; site-3 has the column with
/// <c>train</c> and empty cells only (it is evaluated on all its patients); site-4 has a bad value and takes part only in
/// the refusal tests. With one full-batch local epoch per round FedAvg is gradient descent on the pooled likelihood of
/// the training rows, so enough rounds reach R's glm on those rows; the evaluation is checked against pROC on the rows
/// the sites evaluate, scored with the federated model.
/// </summary>
public sealed class HeldOutStudyTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Rounds = 100;
    private const double LearningRate = 4;
    private static readonly string[] Sites = ["site-1", "site-2", "site-3"];
    private const string BadSite = "site-4";
    private TestCoordinator _c = null!;
    private readonly List<IHost> _agents = [];
    private readonly ConcurrentQueue<string> _badSiteLog = new();
    private readonly string _root = Directory.CreateTempSubdirectory("fedrad-heldout-").FullName;

    private string CohortPath(string site) => Path.Combine(_root, site, "cohort.csv");

    public async ValueTask InitializeAsync()
    {
        _c = await TestCoordinator.Start();
        foreach (var profile in SyntheticCohort.Profiles(4, seed: 9))
        {
            var dir = Path.Combine(_root, profile.SiteId);
            SyntheticCohort.WriteSite(profile, dir, seed: 9);
            var lines = File.ReadAllLines(CohortPath(profile.SiteId));
            File.WriteAllLines(CohortPath(profile.SiteId), lines.Select((l, i) => l + "," + (i == 0 ? HoldOut.Column : Split(profile.SiteId, i))));
            var bad = profile.SiteId == BadSite;
            var agent = SiteAgentHost.Build(new SiteAgentOptions { CoordinatorUrl = _c.Url, SiteId = profile.SiteId, DataDirectory = dir },
                l =>
                {
                    l.SetMinimumLevel(LogLevel.Warning);
                    if (bad) l.AddProvider(new QueueLogger(_badSiteLog));
                });
            await agent.StartAsync();
            _agents.Add(agent);
        }
        await _c.WaitForSites(4);
    }

    /// <summary>The split cell of data line <paramref name="i"/> (1 = first patient).</summary>
    private static string Split(string site, int i) => site switch
    {
        "site-3" => i % 3 == 0 ? "" : "train",
        BadSite => i == 7 ? "validation" : "train",
        _ => i % 4 == 0 ? "test" : i % 4 == 1 ? "train" : "",
    };

    public async ValueTask DisposeAsync()
    {
        foreach (var agent in _agents) await agent.StopAsync(CancellationToken.None);
        await _c.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    private static string StudyText(string id, int rounds, string sites, string extra = "") => $"""
        study_id: {id}
        feature_names: [{string.Join(", ", SyntheticCohort.FeatureNames)}]
        label_column: {SyntheticCohort.LabelColumn}
        rounds: {rounds}
        site_ids: [{sites}]
        round_timeout_seconds: 60
        training: {"{"}local_epochs: 1, learning_rate: {LearningRate}, l2: 0, batch_size: 0, seed: 3{"}"}
        {extra}
        """;

    private async Task<StudyStatus> Run(string id, string text, double timeoutSeconds = 300)
    {
        await _c.Admin.CreateStudyAsync(new CreateStudyRequest { Definition = text, DefinitionName = id + ".yaml" });
        await _c.Admin.StartStudyAsync(new StudyRef { StudyId = id });
        return await _c.WaitFor(id, s => s.State is StudyState.Completed or StudyState.Failed, timeoutSeconds);
    }

    [Fact]
    public async Task The_model_equals_glm_on_the_training_rows_and_the_evaluation_equals_pROC_on_the_held_out_rows()
    {
        var status = await Run("heldout", StudyText("heldout", Rounds, string.Join(", ", Sites)));
        Assert.True(status.State == StudyState.Completed, status.FailureReason);
        var model = LogisticRegression.FromWeights(await _c.DownloadModel("site-1", status.FinalModelId));
        var modelFile = Path.Combine(_root, "model.csv");
        File.WriteAllLines(modelFile, ["term,coef,mean,scale", Invariant($"(Intercept),{model.Intercept:R},0,1"),
            .. SyntheticCohort.FeatureNames.Select((f, j) => Invariant($"{f},{model.Coef[j]:R},{model.FeatureMean[j]:R},{model.FeatureScale[j]:R}"))]);
        var r = await Reference(modelFile);

        // (1) Standardisation over the training rows only: the pooled mean and sample SD R computes on them.
        for (var j = 0; j < model.Coef.Length; j++)
        {
            var f = SyntheticCohort.FeatureNames[j];
            Assert.Equal(r[("mean", f)], model.FeatureMean[j], 1e-12);
            Assert.Equal(r[("sd", f)], model.FeatureScale[j], 1e-12);
        }
        // The coefficients equal glm's on the standardised pooled training rows (3.7e-11 measured after 100 rounds); and differ from glm on all rows (each
        // compared on the raw feature scale, which glm's fit does not depend on).
        var ours = new[] { model.Intercept }.Concat(model.Coef).ToArray();
        var terms = new[] { "(Intercept)" }.Concat(SyntheticCohort.FeatureNames).ToArray();
        var toTraining = terms.Select((t, k) => Math.Abs(ours[k] - r[("glm_train", t)])).Max();
        var raw = Raw(model);
        var toAll = terms.Select((t, k) => Math.Abs(raw[k] - r[("glm_all_raw", t)])).Max();
        var rawToTraining = terms.Select((t, k) => Math.Abs(raw[k] - r[("glm_train_raw", t)])).Max();
        output.WriteLine($"largest |coef - glm(training rows)|: {toTraining:E2} (standardised), {rawToTraining:E2} (raw); |coef - glm(all rows)|: {toAll:E2} (raw)");
        Assert.True(toTraining < 1e-8, $"federated model vs glm on the training rows: {toTraining}");
        Assert.True(rawToTraining < 1e-8, $"raw scale: {rawToTraining}");
        Assert.True(toAll > 0.05, $"the model should differ from glm on all rows (test patients included): {toAll}");

        // (2) The evaluation: site-1 and site-2 their test rows, site-3 (no test rows) all its rows.
        var e = status.Evaluation;
        foreach (var site in Sites)
        {
            var s = e.Sites.Single(x => x.SiteId == site);
            Assert.Equal((long)r[("n", site)], s.N);
            // Each site's AUC is exact (computed at the site on its scores).
            Assert.Equal(r[("auc", site)], s.Auc, 1e-12);
        }
        Assert.Equal(Sites.Sum(s => (long)r[("n", s)]), e.PooledN);
        Assert.Equal(TestRows("site-1"), e.Sites.Single(x => x.SiteId == "site-1").N);
        Assert.Equal(File.ReadAllLines(CohortPath("site-3")).Length - 1, e.Sites.Single(x => x.SiteId == "site-3").N);
        // The pooled AUC comes from the merged 100-bin histograms: pairs sharing a bin count 1/2.
        output.WriteLine($"pooled AUC {e.PooledAuc:F6} (histograms), pROC on the evaluated rows {r[("auc", "pooled")]:F6}: difference {Math.Abs(e.PooledAuc - r[("auc", "pooled")]):E2}");
        Assert.Equal(r[("auc", "pooled")], e.PooledAuc, 0.01);
    }

    [Fact]
    public async Task Leave_one_site_out_folds_train_on_the_other_sites_training_rows_and_evaluate_the_held_out_rows_of_the_site_left_out()
    {
        const int rounds = 2;
        var status = await Run("heldout-loso", StudyText("heldout-loso", rounds, string.Join(", ", Sites), "validation: {leave_one_site_out: true}"));
        Assert.True(status.State == StudyState.Completed, status.FailureReason);
        Assert.Equal(Sites, status.LeaveOneSiteOut.Select(f => f.SiteId));
        foreach (var fold in status.LeaveOneSiteOut)
        {
            Assert.Equal("completed", fold.State);
            var test = Load(fold.SiteId);
            var evaluated = test.Rows(HoldOut.EvaluationRows(test.HeldOut));
            Assert.Equal(evaluated.Count, fold.N);
            // The fold centrally: the other sites' training rows standardised and stepped as the rounds do.
            var train = fold.TrainingSites.Select(Load).Select(t => t.Rows(HoldOut.TrainingRows(t.HeldOut))).ToList();
            var x = train.SelectMany(t => t.X).ToArray();
            var y = train.SelectMany(t => t.Labels).ToArray();
            var sums = Standardisation.SiteSums(x);
            var (mean, scale) = Standardisation.Pooled(sums[Standardisation.SumTensor].Values, sums[Standardisation.SumSquaresTensor].Values, x.Length);
            var model = new LogisticRegression(new double[mean.Length], 0, mean, scale);
            for (var round = 1; round <= rounds; round++) model.Train(x, y, epochs: 1, learningRate: LearningRate, l2: 0, batchSize: 0, seed: (ulong)(3 + round));
            Assert.Equal(Auc.Compute(model.PredictProbabilities(evaluated.X), evaluated.Labels), fold.Auc, 1e-12);
        }
        Assert.Equal(TestRows("site-2"), status.LeaveOneSiteOut.Single(f => f.SiteId == "site-2").N);
    }

    [Fact]
    public async Task The_preparation_is_fitted_on_the_training_rows_and_a_bad_split_value_is_refused_naming_the_file_line_and_column()
    {
        var path = CohortPath(BadSite);
        var expected = $"{path}: line 8, column 'split': 'validation' is not train or test";

        // A study with a preparation: the site with the bad value refuses the eligibility check, and the coordinator
        // shows why; the others' eligibility counts and feature AUCs are those of their training rows.
        var prepared = await Run("bad-split-prepared", StudyText("bad-split-prepared", 1, $"site-1, site-2, {BadSite}",
            "min_sites: 2\ncohort: {inclusion: [{column: pt_suvmax, min: -100}]}\nfeature_selection: {method: univariate_auc, max_features: 4}"), 120);
        Assert.True(prepared.State == StudyState.Completed, prepared.FailureReason);
        Assert.Contains(expected, prepared.Preparation.Sites.Single(s => s.SiteId == BadSite).Refused);
        Assert.Equal(["site-1", "site-2"], prepared.EnrolledSites);
        foreach (var site in new[] { "site-1", "site-2" })
            Assert.Equal(Load(site).Count - TestRows(site), prepared.Preparation.Sites.Single(s => s.SiteId == site).Included);
        var auc = await FeatureAucOnTrainingRows("site-1", "site-2");
        Assert.Equal(SyntheticCohort.FeatureNames.Order(), prepared.Preparation.FeatureScores.Keys.Order());
        foreach (var f in SyntheticCohort.FeatureNames) Assert.Equal(auc[f], prepared.Preparation.FeatureScores[f], 1e-12);

        // Without a preparation: the site refuses every task of the study (its log says why) and the rounds close at
        // their deadline without it.
        var plain = await Run("bad-split", StudyText("bad-split", 1, $"site-1, {BadSite}", "min_sites: 1").Replace("round_timeout_seconds: 60", "round_timeout_seconds: 3"), 120);
        Assert.True(plain.State == StudyState.Completed, plain.FailureReason);
        Assert.All(plain.Rounds, r => Assert.Equal(["site-1"], r.Participants));
        Assert.Equal(["site-1"], plain.Evaluation.Sites.Select(s => s.SiteId));
        Assert.Equal(3, _badSiteLog.Count(l => l.Contains("refused: " + expected)));

        // The runner itself, on the plain file and through the inclusion filters.
        var task = new SiteTask { Kind = TaskKind.Evaluate, Model = "logreg", LabelColumn = "label" };
        task.FeatureNames.AddRange(SyntheticCohort.FeatureNames);
        var zero = LogisticRegression.Zero(SyntheticCohort.FeatureNames.Length).ToWeights();
        Assert.Equal(expected, Assert.Throws<CohortFormatException>(() => new LocalTaskRunner(5).Run(task, zero, path)).Message);
        task.Inclusion.Add(new InclusionFilter { Column = "pt_suvmax", Min = -100 });
        Assert.Equal(expected, Assert.Throws<CohortFormatException>(() => new LocalTaskRunner(5).Run(task, zero, path)).Message);
    }

    [Fact]
    public void A_site_whose_patients_are_all_held_out_refuses_to_train_and_its_evaluation_minimum_counts_the_held_out_rows()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("fedrad-heldout-unit-").FullName, "cohort.csv");
        File.WriteAllText(path, "id,a,label,split\np1,1,1,test\np2,2,0,test\np3,3,1,test\np4,4,0,train\np5,5,1,train\np6,6,0,train\np7,7,1,train\n");
        var task = new SiteTask { Kind = TaskKind.Evaluate, Model = "logreg", LabelColumn = "label", FeatureNames = { "a" } };
        var zero = LogisticRegression.Zero(1).ToWeights();
        // Evaluation counts the 3 held-out patients only: below a minimum of 4, although the site has 7.
        Assert.Contains("3 patients held out for evaluation, below this site's minimum of 4",
            Assert.Throws<TaskRefusedException>(() => new LocalTaskRunner(4).Run(task, zero, path)).Message);
        Assert.Equal(3, new LocalTaskRunner(3).Run(task, zero, path).SampleCount);
        var standardise = new SiteTask(task) { Kind = TaskKind.Standardise };
        var sums = new LocalTaskRunner(3).Run(standardise, zero, path);
        Assert.Equal((4, 4.0 + 5 + 6 + 7), (sums.SampleCount, sums.Payload[Standardisation.SumTensor].Values[0]));

        File.WriteAllText(path, "id,a,label,split\np1,1,1,test\np2,2,0,test\n");
        Assert.Contains("every patient is held out", Assert.Throws<TaskRefusedException>(() => new LocalTaskRunner(1).Run(standardise, zero, path)).Message);
    }

    private CohortTable Load(string site) => CohortTable.Load(CohortPath(site), SyntheticCohort.FeatureNames, SyntheticCohort.LabelColumn);

    private long TestRows(string site) => Load(site).HeldOut.Count(h => h);

    /// <summary>The model on the raw feature scale: intercept b − Σ w μ / s, slopes w / s.</summary>
    private static double[] Raw(LogisticRegression m) =>
        [m.Intercept - m.Coef.Select((w, j) => w * m.FeatureMean[j] / m.FeatureScale[j]).Sum(), .. m.Coef.Select((w, j) => w / m.FeatureScale[j])];

    /// <summary>
    /// R: the training rows' mean and SD; glm on the standardised training rows, and on the raw training and all rows;
    /// the federated model's scores on the rows each site evaluates, with pROC's AUC per site and pooled.
    /// </summary>
    private async Task<Dictionary<(string, string), double>> Reference(string modelFile)
    {
        var script = $$"""
            suppressMessages(library(pROC))
            sites <- c({{string.Join(", ", Sites.Select(s => $"\"{s}\""))}})
            feats <- c({{string.Join(", ", SyntheticCohort.FeatureNames.Select(f => $"\"{f}\""))}})
            d <- do.call(rbind, lapply(sites, function(s) {
              t <- read.csv(file.path("{{_root}}", s, "cohort.csv"), colClasses = c(split = "character")); t$id <- NULL; t$site <- s; t }))
            out <- function(kind, key, v) cat(sprintf("%s,%s,%.17g\n", kind, key, v), sep = "")
            train <- d[d$split != "test", ]
            mu <- colMeans(train[feats]); s <- apply(train[feats], 2, sd)
            for (f in feats) { out("mean", f, mu[[f]]); out("sd", f, s[[f]]) }
            z <- as.data.frame(scale(train[feats], center = mu, scale = s)); z$label <- train$label
            fit <- glm(label ~ ., data = z, family = binomial, control = glm.control(epsilon = 1e-14, maxit = 100))
            for (k in names(coef(fit))) out("glm_train", k, coef(fit)[[k]])
            raw <- glm(reformulate(feats, "label"), data = train, family = binomial, control = glm.control(epsilon = 1e-14, maxit = 100))
            for (k in names(coef(raw))) out("glm_train_raw", k, coef(raw)[[k]])
            all <- glm(reformulate(feats, "label"), data = d, family = binomial, control = glm.control(epsilon = 1e-14, maxit = 100))
            for (k in names(coef(all))) out("glm_all_raw", k, coef(all)[[k]])
            m <- read.csv("{{modelFile}}")
            score <- function(t) plogis(m$coef[1] + as.matrix(sweep(sweep(t[feats], 2, m$mean[-1]), 2, m$scale[-1], "/")) %*% m$coef[-1])[, 1]
            auc1 <- function(y, p) as.numeric(auc(roc(y, p, levels = c(0, 1), direction = "<", quiet = TRUE)))
            ev <- do.call(rbind, lapply(sites, function(x) { t <- d[d$site == x, ]; if (any(t$split == "test")) t[t$split == "test", ] else t }))
            ev$p <- score(ev)
            for (x in sites) { t <- ev[ev$site == x, ]; out("n", x, nrow(t)); out("auc", x, auc1(t$label, t$p)) }
            out("auc", "pooled", auc1(ev$label, ev$p))
            """;
        var stdout = await Rscript(script);
        return stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(','))
            .ToDictionary(p => (p[0], p[1]), p => double.Parse(p[2], CultureInfo.InvariantCulture));
    }

    /// <summary>R: pROC's AUC of every feature alone on the pooled training rows of <paramref name="sites"/>.</summary>
    private async Task<Dictionary<string, double>> FeatureAucOnTrainingRows(params string[] sites)
    {
        var script = $$"""
            suppressMessages(library(pROC))
            d <- do.call(rbind, lapply(c({{string.Join(", ", sites.Select(s => $"\"{s}\""))}}), function(s)
              read.csv(file.path("{{_root}}", s, "cohort.csv"), colClasses = c(split = "character"))))
            d <- d[d$split != "test", ]
            for (f in c({{string.Join(", ", SyntheticCohort.FeatureNames.Select(f => $"\"{f}\""))}}))
              cat(sprintf("%s,%.17g\n", f, as.numeric(auc(roc(d$label, d[[f]], levels = c(0, 1), direction = "<", quiet = TRUE)))))
            """;
        var stdout = await Rscript(script);
        return stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(','))
            .ToDictionary(p => p[0], p => double.Parse(p[1], CultureInfo.InvariantCulture));
    }

    private static async Task<string> Rscript(string script)
    {
        var psi = new ProcessStartInfo("Rscript", ["-e", script]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var r = Process.Start(psi)!;
        var stdout = await r.StandardOutput.ReadToEndAsync();
        var error = await r.StandardError.ReadToEndAsync();
        await r.WaitForExitAsync();
        Assert.True(r.ExitCode == 0, $"Rscript failed: {error}");
        return stdout;
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    /// <summary>Keeps the bad site's log lines, where its refusals are.</summary>
    private sealed class QueueLogger(ConcurrentQueue<string> lines) : ILoggerProvider, ILogger
    {
        public ILogger CreateLogger(string categoryName) => this;
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Enqueue(formatter(state, exception));
        public void Dispose() { }
    }
}
