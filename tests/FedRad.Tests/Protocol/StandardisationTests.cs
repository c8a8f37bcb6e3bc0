using System.Globalization;
using FedRad.Protocol.V1;
using FedRad.SiteAgent.Hosting;
using FedRad.Tests.Infrastructure;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FedRad.Tests.Protocol;

/// <summary>
/// The standardisation round: four site agents (the R fixture's sites A-D) send per-feature sums;
/// the pooled mean and SD in the model the coordinator hands out equal R's colMeans and sd of the
/// pooled table, and training then leaves them unchanged.
/// </summary>
public sealed class StandardisationTests
{
    private static readonly string[] Features = ["f1", "f2", "f3", "f4", "f5", "f6"];
    private static string Fixtures => Path.Combine(AppContext.BaseDirectory, "r-fixtures");

    [Fact]
    public async Task The_first_round_computes_the_pooled_mean_and_SD_exactly()
    {
        await using var c = await TestCoordinator.Start();
        var agents = new List<IHost>();
        foreach (var site in new[] { "A", "B", "C", "D" })
        {
            var dir = Directory.CreateTempSubdirectory("fedrad-site-").FullName;
            File.Copy(Path.Combine(Fixtures, "sites", site + ".csv"), Path.Combine(dir, "cohort.csv"));
            var agent = SiteAgentHost.Build(new SiteAgentOptions { CoordinatorUrl = c.Url, SiteId = site, DataDirectory = dir }, l => l.SetMinimumLevel(LogLevel.Warning));
            await agent.StartAsync();
            agents.Add(agent);
        }
        try
        {
            await c.WaitForSites(4);
            var spec = new StudySpec { StudyId = "standardise", Model = "logreg", LabelColumn = "y", Rounds = 1, MinSites = 4, RoundTimeoutSeconds = 60 };
            spec.FeatureNames.AddRange(Features);
            spec.SiteIds.AddRange(["A", "B", "C", "D"]);
            await c.Admin.CreateStudyAsync(new CreateStudyRequest { Spec = spec });
            await c.Admin.StartStudyAsync(new StudyRef { StudyId = "standardise" });
            var status = await c.WaitFor("standardise", s => s.State is StudyState.Completed or StudyState.Failed);
            Assert.Equal(StudyState.Completed, status.State);

            var round0 = status.Rounds.Single(r => r.Round == 0);
            Assert.Equal(TaskKind.Standardise, round0.Kind);
            var model = await c.DownloadModel("A", round0.ResultModelId);
            var r = File.ReadLines(Path.Combine(Fixtures, "results.csv")).Select(l => l.Split(','))
                .Where(f => f[0] == "moments").ToDictionary(f => (f[1], f[2]), f => double.Parse(f[3], CultureInfo.InvariantCulture));
            for (var j = 0; j < Features.Length; j++)
            {
                Assert.Equal(r[("mean", Features[j])], model["feature_mean"].Values[j], r[("mean", Features[j])] * 1e-12);
                Assert.Equal(r[("sd", Features[j])], model["feature_scale"].Values[j], r[("sd", Features[j])] * 1e-10);
            }

            // Training kept them: the final model carries the same standardisation.
            var final = await c.DownloadModel("A", status.FinalModelId);
            Assert.Equal(model["feature_mean"].Values, final["feature_mean"].Values);
            Assert.Equal(model["feature_scale"].Values, final["feature_scale"].Values);
        }
        finally
        {
            foreach (var a in agents) await a.StopAsync();
        }
    }

    [Fact]
    public async Task A_training_update_that_changes_the_standardisation_is_rejected()
    {
        await using var c = await TestCoordinator.Start();
        await c.Register("s1");
        await c.StartStudy("frozen", ["s1"], features: 2);
        var tampered = new FedRad.Learning.Models.LogisticRegression([1, 1], 0, [5, 5], [1, 1]).ToWeights();
        var e = await RawUpload.Refused(() => RawUpload.Send(c.Site, "frozen", 1, "s1", 10, tampered));
        Assert.Equal(Grpc.Core.StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("tensor 'feature_mean' was changed", e.Status.Detail);
    }
}
