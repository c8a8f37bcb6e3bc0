using System.Text.Json;
using FedRad.IntegrationTests.Infrastructure;
using FedRad.Learning.Data;
using FedRad.Learning.Metrics;
using FedRad.Learning.Models;
using FedRad.Learning.Synthetic;
using FedRad.Protocol.V1;
using FedRad.Shared.Tensors;
using Grpc.Net.Client;

namespace FedRad.IntegrationTests;

/// <summary>The coordinator and three site agents as separate OS processes talking gRPC over loopback.</summary>
public sealed class MultiProcessStudyTests
{
    [Fact]
    public async Task Three_site_processes_train_and_evaluate_a_model_through_a_coordinator_process()
    {
        await using var cluster = new Cluster();
        await cluster.StartCoordinator();
        await cluster.StartSites(3);
        await cluster.CreateAndStart("multi", rounds: 5, minSites: 3, timeoutSeconds: 60);
        var status = await cluster.WaitFor("multi", s => s.State is StudyState.Completed or StudyState.Failed, TimeSpan.FromSeconds(120));

        Assert.Equal(StudyState.Completed, status.State);
        var training = status.Rounds.Where(r => r.Kind == TaskKind.Train).ToList();
        Assert.Equal([1, 2, 3, 4, 5], training.Select(r => r.Round));
        Assert.All(training, r => Assert.Equal(["site-1", "site-2", "site-3"], r.Participants));
        Assert.All(training, r => Assert.Equal("all sites answered", r.CloseReason));
        Assert.True(training[^1].Loss < training[0].Loss, "federated training should lower the loss");

        // The reference: the final global model evaluated centrally on every site's table.
        var final = await Download(cluster, status.FinalModelId);
        var model = LogisticRegression.FromWeights(final);
        var allScores = new List<double>();
        var allLabels = new List<int>();
        foreach (var site in status.Evaluation.Sites)
        {
            var table = CohortTable.Load(Path.Combine(cluster.Root, "sites", site.SiteId, "cohort.csv"), SyntheticCohort.FeatureNames, SyntheticCohort.LabelColumn);
            var p = model.PredictProbabilities(table.X);
            Assert.Equal(table.Count, site.N);
            Assert.Equal(Auc.Compute(p, table.Labels), site.Auc, 12);
            allScores.AddRange(p);
            allLabels.AddRange(table.Labels);
        }
        var centralAuc = Auc.Compute(allScores, allLabels);
        Assert.Equal(allLabels.Count, status.Evaluation.PooledN);
        Assert.Equal(centralAuc, status.Evaluation.PooledAuc, 0.01); // histogram bins of 0.01 (documented)
        Assert.True(status.Evaluation.PooledAuc > 0.75, $"pooled AUC {status.Evaluation.PooledAuc}");

        // The CLI reads the same status from the running coordinator.
        var (code, output) = await FedradProcess.Run(TimeSpan.FromSeconds(60), "study", "status", "multi", "--coordinator", cluster.Url, "--json");
        Assert.Equal(0, code);
        var json = JsonDocument.Parse(output[output.IndexOf('{')..]).RootElement;
        Assert.Equal("STUDY_STATE_COMPLETED", json.GetProperty("state").GetString());

        var audit = await File.ReadAllLinesAsync(cluster.AuditLog);
        int Count(string e) => audit.Count(l => l.Contains($"\"event\":\"{e}\""));
        // Standardisation round 0, training rounds 1-5, evaluation round 6.
        Assert.Equal(3, Count("SiteRegistered"));
        Assert.Equal(7, Count("RoundStarted"));
        Assert.Equal(21, Count("UpdateReceived"));
        Assert.Equal(7, Count("RoundCompleted"));
        Assert.Equal(1, Count("StudyCompleted"));
    }

    [Fact]
    public async Task A_site_killed_mid_study_makes_its_round_close_at_the_deadline_with_the_remaining_quorum()
    {
        await using var cluster = new Cluster();
        await cluster.StartCoordinator();
        await cluster.StartSites(3);
        await cluster.CreateAndStart("kill", rounds: 4, minSites: 2, timeoutSeconds: 4);

        await cluster.WaitFor("kill", s => s.CurrentRound >= 2, TimeSpan.FromSeconds(60));
        cluster.Sites["site-3"].KillHard();

        var status = await cluster.WaitFor("kill", s => s.State is StudyState.Completed or StudyState.Failed, TimeSpan.FromSeconds(120));
        Assert.Equal(StudyState.Completed, status.State);
        var byDeadline = status.Rounds.Where(r => r.CloseReason.StartsWith("deadline reached with quorum: 2 of 3")).ToList();
        Assert.NotEmpty(byDeadline);
        Assert.All(byDeadline, r => Assert.Equal(["site-1", "site-2"], r.Participants));
        // Every round after the kill ran without site 3, the evaluation round included.
        Assert.Equal(["site-1", "site-2"], status.Evaluation.Sites.Select(s => s.SiteId));
        Assert.Equal(TaskKind.Evaluate, status.Rounds[^1].Kind);
        Assert.Equal("completed", status.Rounds[^1].State);

        var audit = await File.ReadAllTextAsync(cluster.AuditLog);
        Assert.Contains("deadline reached with quorum: 2 of 3", audit);
    }

    private static async Task<ModelWeights> Download(Cluster cluster, string modelId)
    {
        using var channel = GrpcChannel.ForAddress(cluster.Url);
        var site = new SiteService.SiteServiceClient(channel);
        var call = site.DownloadModel(new DownloadModelRequest { SiteId = "site-1", ModelId = modelId });
        var buffer = new MemoryStream();
        while (await call.ResponseStream.MoveNext(CancellationToken.None)) call.ResponseStream.Current.Data.WriteTo(buffer);
        return TensorCodec.Deserialize(buffer.ToArray());
    }
}
