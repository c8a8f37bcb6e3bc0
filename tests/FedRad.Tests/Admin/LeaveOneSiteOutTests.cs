using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using FedRad.Learning.Data;
using FedRad.Learning.Metrics;
using FedRad.Learning.Models;
using FedRad.Learning.Synthetic;
using FedRad.Protocol.V1;
using FedRad.SiteAgent.Hosting;
using FedRad.Tests.Infrastructure;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FedRad.Tests.Admin;

/// <summary>
/// Leave-one-site-out validation executed by a FedAvg study: a real coordinator and three real agents; after the
/// pooled evaluation round each site is left out once. With one full-batch local epoch per round, FedAvg's
/// sample-weighted average is a gradient step on the pooled likelihood of the training sites, so enough rounds reach
/// the centralised fit: each fold's AUC on the site left out equals the same gradient steps taken on the other sites'
/// pooled rows, and is checked against R's glm fitted on those rows and evaluated on that site (pROC, with its DeLong CI).
/// </summary>
public sealed class LeaveOneSiteOutTests : IAsyncLifetime
{
    private const int Rounds = 30;
    private TestCoordinator _c = null!;
    private readonly List<IHost> _agents = [];
    private readonly string _root = Directory.CreateTempSubdirectory("fedrad-loso-").FullName;

    public async ValueTask InitializeAsync()
    {
        _c = await TestCoordinator.Start();
        foreach (var profile in SyntheticCohort.Profiles(3, seed: 9))
        {
            var dir = Path.Combine(_root, profile.SiteId);
            SyntheticCohort.WriteSite(profile, dir, seed: 9);
            var agent = SiteAgentHost.Build(new SiteAgentOptions { CoordinatorUrl = _c.Url, SiteId = profile.SiteId, DataDirectory = dir },
                l => l.SetMinimumLevel(LogLevel.Warning));
            await agent.StartAsync();
            _agents.Add(agent);
        }
        await _c.WaitForSites(3);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var agent in _agents) await agent.StopAsync(CancellationToken.None);
        await _c.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task Each_fold_trains_without_its_site_and_its_AUC_there_equals_a_centralised_fit_on_the_other_sites()
    {
        var text = $"""
            study_id: loso
            feature_names: [{string.Join(", ", SyntheticCohort.FeatureNames)}]
            label_column: {SyntheticCohort.LabelColumn}
            rounds: {Rounds}
            site_ids: [site-1, site-2, site-3]
            round_timeout_seconds: 60
            training: {"{"}local_epochs: 1, learning_rate: 2, l2: 0, batch_size: 0, seed: 3{"}"}
            validation: {"{"}leave_one_site_out: true{"}"}
            """;
        var created = await _c.Admin.CreateStudyAsync(new CreateStudyRequest { Definition = text, DefinitionName = "loso.yaml" });
        Assert.True(created.Spec.LeaveOneSiteOut);
        await _c.Admin.StartStudyAsync(new StudyRef { StudyId = "loso" });
        var status = await _c.WaitFor("loso", s => s.State is StudyState.Completed or StudyState.Failed, 600);
        Assert.True(status.State == StudyState.Completed, status.FailureReason);

        // The pooled study's own rounds are unchanged: standardisation, training, evaluation; the folds come after.
        Assert.Equal(Enumerable.Range(0, Rounds + 2), status.Rounds.Select(r => r.Round));
        var folds = status.LeaveOneSiteOut;
        Assert.Equal(["site-1", "site-2", "site-3"], folds.Select(f => f.SiteId));
        var reference = await GlmReference();
        foreach (var fold in folds)
        {
            Assert.Equal("completed", fold.State);
            Assert.Equal(new[] { "site-1", "site-2", "site-3" }.Where(s => s != fold.SiteId), fold.TrainingSites);
            Assert.Equal(Rounds + 1, fold.LastRound - fold.FirstRound);
            Assert.True(fold.FirstRound > Rounds + 1);
            var site = File.ReadAllLines(Path.Combine(_root, fold.SiteId, "cohort.csv")).Length - 1;
            Assert.Equal(site, fold.N);

            var (auc, low, high) = reference[fold.SiteId];
            // The same gradient steps taken centrally on the other sites' pooled rows give the same model, so the same AUC.
            Assert.Equal(Centralised(fold.TrainingSites, fold.SiteId), fold.Auc, 1e-12);
            // R's converged fit differs after 30 steps by a few discordant pairs at most (0, 1.0e-4 and 2.7e-4 measured).
            Assert.True(Math.Abs(auc - fold.Auc) < 5e-4, $"{fold.SiteId}: fold AUC {fold.Auc}, glm on the other sites {auc}");
            // DeLong on the site's 100-bin histogram against pROC's on the exact scores.
            Assert.True(Math.Abs(low - fold.AucCiLow) < 0.01 && Math.Abs(high - fold.AucCiHigh) < 0.01,
                $"{fold.SiteId}: CI [{fold.AucCiLow}, {fold.AucCiHigh}], pROC [{low}, {high}]");
            Assert.InRange(fold.Auc, fold.AucCiLow, fold.AucCiHigh);
            Assert.NotEmpty(fold.ModelId);
            Assert.NotEqual(status.FinalModelId, fold.ModelId);
        }

        // The dashboard's data carries the folds as the status does.
        using var http = new HttpClient();
        var overview = JsonDocument.Parse(await http.GetStringAsync($"{_c.HttpUrl}/dashboard/api/overview")).RootElement;
        var study = overview.GetProperty("studies").EnumerateArray().Single(s => s.GetProperty("spec").GetProperty("studyId").GetString() == "loso");
        var shown = study.GetProperty("leaveOneSiteOut").EnumerateArray().ToList();
        Assert.Equal(folds.Select(f => f.Auc), shown.Select(f => f.GetProperty("auc").GetDouble()));
        Assert.Equal(folds.Select(f => f.AucCiLow), shown.Select(f => f.GetProperty("aucCiLow").GetDouble()));
    }

    [Fact]
    public async Task A_study_without_leave_one_site_out_runs_no_fold_and_one_that_cannot_train_without_a_site_is_refused()
    {
        var plain = $"""
            study_id: no-loso
            feature_names: [{string.Join(", ", SyntheticCohort.FeatureNames)}]
            rounds: 2
            site_ids: [site-1, site-2, site-3]
            """;
        await _c.Admin.CreateStudyAsync(new CreateStudyRequest { Definition = plain, DefinitionName = "plain.yaml" });
        await _c.Admin.StartStudyAsync(new StudyRef { StudyId = "no-loso" });
        var status = await _c.WaitFor("no-loso", s => s.State is StudyState.Completed or StudyState.Failed, 60);
        Assert.Equal(StudyState.Completed, status.State);
        Assert.Empty(status.LeaveOneSiteOut);
        Assert.Equal(3, status.Rounds.Last().Round);

        // Krum (f = 0) needs 3 updates a round: a fold would train on 2 sites.
        var krum = plain.Replace("no-loso", "krum-loso") + "\nstrategy: krum\nstrategy_parameters: {krum_f: 0}\nvalidation: {leave_one_site_out: true}\n";
        var refused = await Assert.ThrowsAsync<Grpc.Core.RpcException>(async () =>
        {
            await _c.Admin.CreateStudyAsync(new CreateStudyRequest { Definition = krum, DefinitionName = "krum.yaml" });
            await _c.Admin.StartStudyAsync(new StudyRef { StudyId = "krum-loso" });
        });
        Assert.Contains("leave-one-site-out validation trains without each site", refused.Status.Detail);
        Assert.Equal(StudyState.Created, (await _c.Admin.GetStudyAsync(new StudyRef { StudyId = "krum-loso" })).State);

        var single = await Assert.ThrowsAsync<Grpc.Core.RpcException>(async () => await _c.Admin.CreateStudyAsync(new CreateStudyRequest
        {
            Definition = plain.Replace("no-loso", "one-site").Replace("[site-1, site-2, site-3]", "[site-1]") + "\nvalidation: {leave_one_site_out: true}\n",
            DefinitionName = "one.yaml",
        }));
        Assert.Contains("field validation.leave_one_site_out: leave-one-site-out validation needs at least two sites", single.Status.Detail);
    }

    /// <summary>
    /// Centrally, what the fold does federated: the training sites' pooled mean and SD, then full-batch gradient steps
    /// (one per round) on their pooled rows; the AUC of its predictions on the site left out.
    /// </summary>
    private double Centralised(IEnumerable<string> trainingSites, string leftOut)
    {
        CohortTable Load(string site) => CohortTable.Load(Path.Combine(_root, site, "cohort.csv"), SyntheticCohort.FeatureNames, SyntheticCohort.LabelColumn);
        var train = trainingSites.Select(Load).ToList();
        var x = train.SelectMany(t => t.X).ToArray();
        var y = train.SelectMany(t => t.Labels).ToArray();
        var sums = Standardisation.SiteSums(x);
        var (mean, scale) = Standardisation.Pooled(sums[Standardisation.SumTensor].Values, sums[Standardisation.SumSquaresTensor].Values, x.Length);
        var model = new LogisticRegression(new double[mean.Length], 0, mean, scale);
        for (var round = 1; round <= Rounds; round++) model.Train(x, y, epochs: 1, learningRate: 2, l2: 0, batchSize: 0, seed: (ulong)(3 + round));
        var test = Load(leftOut);
        return Auc.Compute(model.PredictProbabilities(test.X), test.Labels);
    }

    /// <summary>R: glm on the pooled rows of the other sites, its predictions on the site left out, pROC's AUC and DeLong CI.</summary>
    private async Task<Dictionary<string, (double Auc, double Low, double High)>> GlmReference()
    {
        var script = $$"""
            suppressMessages(library(pROC))
            sites <- c("site-1", "site-2", "site-3")
            d <- lapply(sites, function(s) { t <- read.csv(file.path("{{_root.Replace("\\", "/")}}", s, "cohort.csv")); t$id <- NULL; t })
            for (k in seq_along(sites)) {
              train <- do.call(rbind, d[-k]); test <- d[[k]]
              f <- glm({{SyntheticCohort.LabelColumn}} ~ ., data = train, family = binomial)
              r <- roc(test${{SyntheticCohort.LabelColumn}}, predict(f, newdata = test, type = "response"), levels = c(0, 1), direction = "<", quiet = TRUE)
              ci <- ci.auc(r, method = "delong")
              cat(sprintf("%s %.17g %.17g %.17g\n", sites[k], as.numeric(auc(r)), ci[1], ci[3]))
            }
            """;
        var psi = new ProcessStartInfo("Rscript", ["-e", script]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var r = Process.Start(psi)!;
        var output = await r.StandardOutput.ReadToEndAsync();
        var error = await r.StandardError.ReadToEndAsync();
        await r.WaitForExitAsync();
        Assert.True(r.ExitCode == 0, $"Rscript failed: {error}");
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' '))
            .ToDictionary(p => p[0], p => (D(p[1]), D(p[2]), D(p[3])));
    }

    private static double D(string s) => double.Parse(s, CultureInfo.InvariantCulture);
}
