using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using FedRad.Learning.Metrics;
using FedRad.Learning.Synthetic;
using FedRad.Protocol.V1;
using FedRad.SiteAgent.Hosting;
using FedRad.Tests.Infrastructure;
using Grpc.Core;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FedRad.Tests.Admin;

/// <summary>
/// The admin API on a real in-process coordinator with three real site agents: study files, refusals
/// that leave nothing half-started, cancellation, the model registry and the evaluation aggregates.
/// </summary>
public sealed class AdminApiTests : IAsyncLifetime
{
    private TestCoordinator _c = null!;
    private readonly List<IHost> _agents = [];
    private readonly string _root = Directory.CreateTempSubdirectory("fedrad-admin-").FullName;

    public async ValueTask InitializeAsync()
    {
        _c = await TestCoordinator.Start();
        foreach (var profile in SyntheticCohort.Profiles(3))
        {
            var dir = Path.Combine(_root, profile.SiteId);
            SyntheticCohort.WriteSite(profile, dir);
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
    }

    private static string StudyFile(string id, int rounds, string sites = "[site-1, site-2, site-3]", bool leaveOneSiteOut = true) => $"""
        study_id: {id}
        feature_names: [{string.Join(", ", SyntheticCohort.FeatureNames)}]
        label_column: {SyntheticCohort.LabelColumn}
        rounds: {rounds}
        site_ids: {sites}
        min_sites: 1
        round_timeout_seconds: 60
        training: {"{"}local_epochs: 2, learning_rate: 0.1, l2: 0.001, batch_size: 32, seed: 3{"}"}
        validation: {"{"}leave_one_site_out: {(leaveOneSiteOut ? "true" : "false")}{"}"}
        """;

    private Task<StudyStatus> Create(string text) =>
        _c.Admin.CreateStudyAsync(new CreateStudyRequest { Definition = text, DefinitionName = "study.yaml" }).ResponseAsync;

    private static async Task<RpcException> Refused(Func<Task> call) => await Assert.ThrowsAsync<RpcException>(call);

    [Fact]
    public async Task A_study_file_runs_to_completion_with_its_hash_models_and_evaluation_aggregates()
    {
        var text = StudyFile("file-study", rounds: 2);
        var created = await Create(text);
        Assert.Equal(StudyState.Created, created.State);
        Assert.Equal(text, created.Definition);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text))), created.DefinitionSha256);

        var again = await Refused(() => Create(text));
        Assert.Equal(StatusCode.AlreadyExists, again.StatusCode);

        var early = await Refused(async () => await _c.Admin.GetEvaluationDetailAsync(new StudyRef { StudyId = "file-study" }));
        Assert.Equal(StatusCode.FailedPrecondition, early.StatusCode);
        Assert.Contains("study 'file-study' is created", early.Status.Detail);

        await _c.Admin.StartStudyAsync(new StudyRef { StudyId = "file-study" });
        var twice = await Refused(async () => await _c.Admin.StartStudyAsync(new StudyRef { StudyId = "file-study" }));
        Assert.Equal(StatusCode.FailedPrecondition, twice.StatusCode);
        Assert.Contains("only a created study can be started", twice.Status.Detail);

        var status = await _c.WaitFor("file-study", s => s.State is StudyState.Completed or StudyState.Failed, 60);
        Assert.Equal(StudyState.Completed, status.State);
        Assert.Equal(["site-1", "site-2", "site-3"], status.EnrolledSites);
        Assert.Equal(created.DefinitionSha256, status.DefinitionSha256);
        // The file asks for leave-one-site-out validation: a fold per site after the evaluation round, outside the registry below.
        Assert.Equal(["site-1", "site-2", "site-3"], status.LeaveOneSiteOut.Select(f => f.SiteId));
        Assert.All(status.LeaveOneSiteOut, f => Assert.Equal("completed", f.State));

        // Registry: standardisation round 0, training rounds 1 and 2, each started from the one before;
        // round 0 from the initial model, which the blob store serves by that id.
        var models = (await _c.Admin.GetModelRegistryAsync(new ModelRegistryRequest { StudyId = "file-study" })).Models;
        Assert.Equal([0, 1, 2], models.Select(m => m.Round));
        Assert.Equal([TaskKind.Standardise, TaskKind.Train, TaskKind.Train], models.Select(m => m.Kind));
        Assert.Equal(models[0].ModelId, models[1].ParentModelId);
        Assert.Equal(models[1].ModelId, models[2].ParentModelId);
        Assert.Equal([false, false, true], models.Select(m => m.Final));
        Assert.Equal(status.FinalModelId, models[2].ModelId);
        Assert.All(models, m => Assert.Equal(3, m.Participants));
        Assert.Equal("fedavg", models[1].Strategy);
        Assert.Equal(status.Rounds.Single(r => r.Round == 2).Loss, models[2].Loss);
        var initial = await _c.DownloadModel("site-1", models[0].ParentModelId);
        var expected = FedRad.Learning.Models.ModelCatalog.Initial("logreg", SyntheticCohort.FeatureNames.Length);
        Assert.Equal(expected.Tensors.Select(t => t.Name), initial.Tensors.Select(t => t.Name));
        Assert.Equal(expected.Tensors.SelectMany(t => t.Values), initial.Tensors.SelectMany(t => t.Values));

        // Evaluation aggregates: each site's histograms hold its patients; merged, they give the pooled AUC.
        var detail = await _c.Admin.GetEvaluationDetailAsync(new StudyRef { StudyId = "file-study" });
        Assert.Equal(status.FinalModelId, detail.FinalModelId);
        var pooled = new ScoreHistogram();
        foreach (var site in status.Evaluation.Sites)
        {
            var h = Assert.Single(detail.Sites, s => s.SiteId == site.SiteId);
            Assert.Equal(site.N, (long)(h.Positives.Sum() + h.Negatives.Sum()));
            Assert.Equal(site.Auc, h.Auc);
            var cohort = File.ReadAllLines(Path.Combine(_root, site.SiteId, "cohort.csv")).Skip(1).Count(l => l.EndsWith(",1", StringComparison.Ordinal));
            Assert.Equal(cohort, (int)h.Positives.Sum());
            pooled.Merge(new ScoreHistogram(h.Positives.ToArray(), h.Negatives.ToArray()));
        }
        Assert.Equal(status.Evaluation.PooledAuc, pooled.Auc());

        var listed = (await _c.Admin.ListStudiesAsync(new ListStudiesRequest())).Studies;
        Assert.Contains(listed, s => s.Spec.StudyId == "file-study" && s.State == StudyState.Completed);

        // The dashboard's data endpoint serves the same overview to a caller on this machine.
        using var http = new HttpClient();
        var overview = JsonDocument.Parse(await http.GetStringAsync($"{_c.HttpUrl}/dashboard/api/overview")).RootElement;
        Assert.Contains(overview.GetProperty("studies").EnumerateArray(), s => s.GetProperty("spec").GetProperty("studyId").GetString() == "file-study");
        Assert.Equal(3, overview.GetProperty("sites").GetArrayLength());
        var page = await http.GetAsync($"{_c.HttpUrl}/dashboard/");
        Assert.Contains("default-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Contains("<h1>FedRad coordinator</h1>", await page.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Starting_with_an_unknown_site_is_refused_and_leaves_the_study_as_created()
    {
        await Create(StudyFile("unknown-site", rounds: 1, sites: "[site-1, nowhere]"));
        var refused = await Refused(async () => await _c.Admin.StartStudyAsync(new StudyRef { StudyId = "unknown-site" }));
        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
        Assert.Contains("site 'nowhere' is not registered", refused.Status.Detail);

        var status = await _c.Admin.GetStudyAsync(new StudyRef { StudyId = "unknown-site" });
        Assert.Equal(StudyState.Created, status.State);
        Assert.Empty(status.Rounds);
        Assert.Empty(status.EnrolledSites);
        Assert.Empty((await _c.Admin.GetModelRegistryAsync(new ModelRegistryRequest { StudyId = "unknown-site" })).Models);

        var invalid = await Refused(() => Create("study_id: broken\nrounds: many\n"));
        Assert.Equal(StatusCode.InvalidArgument, invalid.StatusCode);
        Assert.Contains("study.yaml: line 2, field rounds: must be a whole number, got 'many'", invalid.Status.Detail);
        Assert.Contains("field feature_names: feature_names is empty", invalid.Status.Detail);
        var missing = await Refused(async () => await _c.Admin.GetStudyAsync(new StudyRef { StudyId = "broken" }));
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task Cancelling_a_running_study_withdraws_its_open_tasks_and_opens_no_further_round()
    {
        // A site with no agent: its task waits in the open round until the study is cancelled.
        await _c.Register("idle-site");
        await Create(StudyFile("to-cancel", rounds: 5, sites: "[idle-site]", leaveOneSiteOut: false));
        await _c.Admin.StartStudyAsync(new StudyRef { StudyId = "to-cancel" });
        Assert.Equal("to-cancel/0/idle-site", (await FirstTask("idle-site"))?.TaskId);

        var cancelled = await _c.Admin.CancelStudyAsync(new CancelStudyRequest { StudyId = "to-cancel", Reason = "wrong cohort" });
        Assert.Equal(StudyState.Cancelled, cancelled.State);
        Assert.Equal("cancelled by a local operator: wrong cohort", cancelled.FailureReason);
        Assert.Null(await FirstTask("idle-site"));
        var round = Assert.Single(cancelled.Rounds);
        Assert.Equal("failed", round.State);
        Assert.Equal("the study was cancelled: cancelled by a local operator: wrong cohort", round.CloseReason);

        var again = await Refused(async () => await _c.Admin.CancelStudyAsync(new CancelStudyRequest { StudyId = "to-cancel" }));
        Assert.Equal(StatusCode.FailedPrecondition, again.StatusCode);
        Assert.Contains("study 'to-cancel' is cancelled; only a created or running study can be cancelled", again.Status.Detail);
        var restart = await Refused(async () => await _c.Admin.StartStudyAsync(new StudyRef { StudyId = "to-cancel" }));
        Assert.Equal(StatusCode.FailedPrecondition, restart.StatusCode);
        var unknown = await Refused(async () => await _c.Admin.CancelStudyAsync(new CancelStudyRequest { StudyId = "never-created" }));
        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task Cancelling_a_study_in_a_secure_aggregation_round_closes_the_round_and_withdraws_its_phase_tasks()
    {
        // Two sites with no agent: the secure round waits in its first phase (advertise keys) until the cancel.
        await _c.Register("quiet-1", "quiet-2");
        await Create(StudyFile("secure-cancel", rounds: 3, sites: "[quiet-1, quiet-2]", leaveOneSiteOut: false)
            + "\nprivacy: {secure_aggregation: true}\n");
        await _c.Admin.StartStudyAsync(new StudyRef { StudyId = "secure-cancel" });
        var advertise = await FirstTask("quiet-1");
        Assert.NotNull(advertise);
        Assert.Equal(SecAggStage.Advertise, advertise.Secagg.Stage);

        var cancelled = await _c.Admin.CancelStudyAsync(new CancelStudyRequest { StudyId = "secure-cancel", Reason = "site withdrew consent" });
        Assert.Equal(StudyState.Cancelled, cancelled.State);
        var round = Assert.Single(cancelled.Rounds);
        Assert.True(round.SecureAggregation);
        Assert.Equal("failed", round.State);
        Assert.Contains("the study was cancelled", round.CloseReason);
        Assert.Null(await FirstTask("quiet-1"));
        Assert.Null(await FirstTask("quiet-2"));

        // A late key advertisement is refused: no further phase opens.
        var late = await _c.Site.SubmitSecAggAsync(new SecAggReply
        {
            SiteId = "quiet-1", StudyId = "secure-cancel", Round = advertise.Round, TaskId = advertise.TaskId, Stage = SecAggStage.Advertise, Message = "{}",
        }).ResponseAsync.ContinueWith(t => t.Exception?.InnerException as RpcException);
        Assert.NotNull(late);
        Assert.Equal(StatusCode.FailedPrecondition, late.StatusCode);
        Assert.Contains("is not open", late.Status.Detail);
        Assert.Equal("failed", (await _c.Admin.GetStudyAsync(new StudyRef { StudyId = "secure-cancel" })).Rounds.Single().State);
    }

    /// <summary>The first task the site's stream hands out within two seconds, or null.</summary>
    private async Task<SiteTask?> FirstTask(string siteId)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        using var call = _c.Site.ReceiveTasks(new ReceiveTasksRequest { SiteId = siteId }, cancellationToken: cts.Token);
        try { return await call.ResponseStream.MoveNext(cts.Token) ? call.ResponseStream.Current : null; }
        catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled) { return null; }
    }
}
