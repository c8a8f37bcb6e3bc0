using FedRad.IntegrationTests.Infrastructure;
using FedRad.Learning.Models;
using FedRad.Learning.Synthetic;
using FedRad.Protocol.V1;
using FedRad.Shared.Tensors;
using FedRad.SiteAgent.Tasks;
using Grpc.Net.Client;

namespace FedRad.IntegrationTests;

/// <summary>
/// Secure aggregation wired into studies (docs/privacy.md §7): a coordinator process and site-agent
/// processes over gRPC run the four phases of a Bonawitz et al. session in every standardisation and
/// training round. The coordinator stores each masked input it receives; these bytes must look random,
/// and the unmasked sums must give the model the plain FedAvg study gives on the same data and seeds.
/// Sites killed with SIGKILL after sharing their keys (before masking, or after masking) do not stop a
/// round: the survivors' shares remove the masks, and the result equals plain FedAvg of the survivors.
/// </summary>
public sealed class SecureAggregationStudyTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_secure_study_gives_the_plain_FedAvg_model_and_the_coordinator_holds_only_random_looking_masked_inputs()
    {
        await using var cluster = new Cluster();
        var blobDir = Path.Combine(cluster.Root, "blobs");
        await cluster.StartCoordinator("--blob-dir", blobDir);
        await cluster.StartSites(3);

        await Run(cluster, Spec("plain", rounds: 5, minSites: 3, timeout: 60, secure: false));
        var plainBlobs = Directory.EnumerateFiles(blobDir, "*", SearchOption.AllDirectories).ToHashSet();
        var secure = await Run(cluster, Spec("secure", rounds: 5, minSites: 3, timeout: 60, secure: true));
        var plain = await cluster.Admin.GetStudyAsync(new StudyRef { StudyId = "plain" });

        // Every standardisation and training round ran the secure session with all three sites.
        var aggregated = secure.Rounds.Where(r => r.Kind is TaskKind.Standardise or TaskKind.Train).ToList();
        Assert.Equal(6, aggregated.Count);
        Assert.All(aggregated, r => Assert.True(r.SecureAggregation));
        Assert.All(aggregated, r => Assert.Equal(["site-1", "site-2", "site-3"], r.Participants));
        Assert.All(aggregated, r => Assert.StartsWith("secure aggregation of 3 of 3 sites", r.CloseReason));
        Assert.False(secure.Rounds.Single(r => r.Kind == TaskKind.Evaluate).SecureAggregation);

        // The unmasked sums equal the plain sums: the same model, round after round, within the fixed-point tolerance
        // (2^-25 per value and site, then propagated through the next rounds' local training).
        for (var i = 0; i < plain.Rounds.Count - 1; i++)
        {
            var a = await Download(cluster, plain.Rounds[i].ResultModelId);
            var b = await Download(cluster, secure.Rounds[i].ResultModelId);
            var maxDiff = a.Tensors.SelectMany(t => t.Values.Zip(b[t.Name].Values, (x, y) => Math.Abs(x - y))).Max();
            output.WriteLine($"round {plain.Rounds[i].Round}: max |secure - plain| = {maxDiff:G3}");
            Assert.True(maxDiff < 1e-6, $"round {plain.Rounds[i].Round}: secure and plain models differ by {maxDiff:G3}");
        }
        Assert.Equal(plain.FinalModelId.Length, secure.FinalModelId.Length);
        for (var i = 1; i < plain.Rounds.Count - 1; i++)
            Assert.Equal(plain.Rounds[i].Loss, secure.Rounds[i].Loss, 1e-6); // the sample-weighted loss, from Σ n·loss and Σ n
        Assert.Equal(plain.Evaluation.PooledAuc, secure.Evaluation.PooledAuc, 1e-6);

        // What the coordinator received and stored of each site's secure contributions: 18 masked inputs.
        var masked = Directory.EnumerateFiles(blobDir, "*", SearchOption.AllDirectories).Where(f => !plainBlobs.Contains(f))
            .Select(f => TensorBundle.Parser.ParseFrom(File.ReadAllBytes(f)))
            .Where(b => b.Tensors.Count == 1 && b.Tensors[0].Name == AggregationVector.MaskedTensor).ToList();
        Assert.Equal(18, masked.Count);
        Assert.All(masked, b => Assert.Equal(DType.Uint64, b.Tensors[0].Dtype));
        var maskedBytes = masked.SelectMany(b => b.Tensors[0].Data.ToByteArray()).ToArray();

        // Byte values of the masked inputs: uniform (chi-square, 255 degrees of freedom; 330.5 is the 0.001 critical value).
        var chiMasked = ChiSquare(maskedBytes);
        Assert.True(chiMasked < 330.5, $"masked inputs: chi-square {chiMasked:F1} over {maskedBytes.Length} bytes is not uniform");
        // The same test tells plain updates apart: the float64 weights the plain study's sites sent (as many bytes).
        var plainBytes = PlainUpdates(plain, blobDir).Take(maskedBytes.Length).ToArray();
        var chiPlain = ChiSquare(plainBytes);
        Assert.True(chiPlain > 10 * 330.5, $"plain updates: chi-square {chiPlain:F1} should be far from uniform");
        // And the fixed-point encoding of a plain contribution, what the site masks, is far from uniform as well.
        var encodedBytes = EncodedPlainContributions(cluster, secure).Take(maskedBytes.Length).ToArray();
        var chiEncoded = ChiSquare(encodedBytes);
        Assert.True(chiEncoded > 10 * 330.5, $"fixed-point plain contributions: chi-square {chiEncoded:F1} should be far from uniform");
        // The high byte of every masked element is as often below 128 as above (a small plain value has 0x00 or 0xFF there).
        var highBytes = masked.SelectMany(b => b.Tensors[0].Data.ToByteArray().Chunk(8).Select(e => e[7])).ToArray();
        var below = highBytes.Count(x => x < 128);
        output.WriteLine($"chi-square (255 df): masked {chiMasked:F1} over {maskedBytes.Length} bytes, plain float64 updates {chiPlain:F1}, fixed-point plain contributions {chiEncoded:F1}; high bytes below 128: {below}/{highBytes.Length}");
        Assert.InRange(below, highBytes.Length / 2 - 3 * Math.Sqrt(highBytes.Length) / 2, highBytes.Length / 2 + 3 * Math.Sqrt(highBytes.Length) / 2);
    }

    [Fact]
    public async Task Sites_killed_after_sharing_keys_do_not_stop_secure_rounds_and_the_sum_is_the_survivors_plain_sum()
    {
        await using var cluster = new Cluster();
        await cluster.StartCoordinator();
        // site-1 and site-5 hold large cohorts, so their local computation takes a while: site-5 is killed while it
        // computes (after sharing its keys, before masking), and site-4 is killed while it waits for site-1's masked
        // input (after masking, before unmasking). The kill lands inside these windows, not by luck of timing.
        foreach (var profile in SyntheticCohort.Profiles(5))
        {
            var dir = Path.Combine(cluster.Root, "sites", profile.SiteId);
            SyntheticCohort.WriteSite(profile.SiteId is "site-1" or "site-5" ? profile with { Patients = 50_000 } : profile, dir);
            cluster.Sites[profile.SiteId] = FedradProcess.Start(profile.SiteId, "site", "--coordinator", cluster.Url, "--site-id", profile.SiteId, "--data", dir);
        }
        await cluster.WaitForRegistered(5);
        // 5 sites, threshold 3: one may drop before masking (round 2) and one after masking (round 3).
        var spec = Spec("dropout", rounds: 4, minSites: 3, timeout: 10, secure: true);
        await cluster.Admin.CreateStudyAsync(new CreateStudyRequest { Spec = spec });
        await cluster.Admin.StartStudyAsync(new StudyRef { StudyId = "dropout" });

        // site-5 shares its keys in round 2, then dies before its masked input.
        await cluster.Sites["site-5"].WaitForOutput(@"Task dropout/2/site-5/secagg-share: Share sent", TimeSpan.FromSeconds(90));
        cluster.Sites["site-5"].KillHard();
        // site-4 sends its masked input in round 3, then dies before it can reveal its shares.
        await cluster.Sites["site-4"].WaitForOutput(@"Task dropout/3/site-4: Accepted", TimeSpan.FromSeconds(90));
        cluster.Sites["site-4"].KillHard();

        var status = await cluster.WaitFor("dropout", s => s.State is StudyState.Completed or StudyState.Failed, TimeSpan.FromSeconds(240));
        Assert.True(status.State == StudyState.Completed, status.FailureReason);

        Assert.Equal(["site-1", "site-2", "site-3", "site-4", "site-5"], status.Rounds.Single(r => r.Round == 1).Participants);
        var round2 = status.Rounds.Single(r => r.Round == 2);
        Assert.Equal(["site-5"], round2.SecaggDropped);
        Assert.Equal(["site-1", "site-2", "site-3", "site-4"], round2.Participants);
        Assert.Contains("masks removed with Shamir shares: site-5", round2.CloseReason);

        var round3 = status.Rounds.Single(r => r.Round == 3);
        Assert.Empty(round3.SecaggDropped); // site-4 masked: it is a contributor, its self mask removed with the others' shares
        Assert.Equal(["site-1", "site-2", "site-3", "site-4"], round3.Participants);
        Assert.Contains("phase deadline", round3.CloseReason);
        var round4 = status.Rounds.Single(r => r.Round == 4);
        Assert.Equal(["site-1", "site-2", "site-3"], round4.Participants);

        // Each round's model is plain FedAvg of its contributors, recomputed here from their cohorts and the round's start model.
        foreach (var round in status.Rounds.Where(r => r.Kind == TaskKind.Train))
        {
            var start = await Download(cluster, status.Rounds.Single(r => r.Round == round.Round - 1).ResultModelId);
            var expected = PlainFedAvg(cluster, spec, round.Round, start, round.Participants);
            var actual = await Download(cluster, round.ResultModelId);
            var maxDiff = expected.Tensors.SelectMany(t => t.Values.Zip(actual[t.Name].Values, (x, y) => Math.Abs(x - y))).Max();
            output.WriteLine($"round {round.Round} ({string.Join(", ", round.Participants)}; dropped: {string.Join(", ", round.SecaggDropped)}): max |unmasked - plain FedAvg| = {maxDiff:G3}; {round.CloseReason}");
            Assert.True(maxDiff < 1e-7, $"round {round.Round}: the unmasked sum differs from the survivors' plain FedAvg by {maxDiff:G3}");
        }
    }

    private static StudySpec Spec(string id, int rounds, int minSites, int timeout, bool secure)
    {
        var spec = new StudySpec
        {
            StudyId = id, Model = "logreg", LabelColumn = SyntheticCohort.LabelColumn, Rounds = rounds, MinSites = minSites,
            RoundTimeoutSeconds = timeout, Strategy = "fedavg",
            Training = new TrainingConfig { LocalEpochs = 3, LearningRate = 0.1, L2 = 1e-3, BatchSize = 32, Seed = 3 },
        };
        spec.FeatureNames.AddRange(SyntheticCohort.FeatureNames);
        if (secure) spec.Privacy = new StudyPrivacy { SecureAggregation = true };
        return spec;
    }

    private static async Task<StudyStatus> Run(Cluster cluster, StudySpec spec)
    {
        await cluster.Admin.CreateStudyAsync(new CreateStudyRequest { Spec = spec });
        await cluster.Admin.StartStudyAsync(new StudyRef { StudyId = spec.StudyId });
        var status = await cluster.WaitFor(spec.StudyId, s => s.State is StudyState.Completed or StudyState.Failed, TimeSpan.FromSeconds(180));
        Assert.True(status.State == StudyState.Completed, status.FailureReason);
        return status;
    }

    /// <summary>Σ nᵢ wᵢ / Σ nᵢ of the sites' local training from <paramref name="start"/>, the standardisation tensors kept as they were.</summary>
    private static ModelWeights PlainFedAvg(Cluster cluster, StudySpec spec, int round, ModelWeights start, IEnumerable<string> sites)
    {
        var results = sites.Select(site => LocalTraining(cluster, spec, round, start, site)).ToList();
        var n = results.Sum(r => r.SampleCount);
        return new ModelWeights(start.Tensors.Select(t => LogisticRegression.FrozenTensors.Contains(t.Name) ? t
            : t with { Values = t.Values.Select((_, i) => results.Sum(r => r.SampleCount * r.Payload[t.Name].Values[i]) / n).ToArray() }));
    }

    private static LocalResult LocalTraining(Cluster cluster, StudySpec spec, int round, ModelWeights start, string site)
    {
        var task = new SiteTask
        {
            Kind = TaskKind.Train, Model = spec.Model, LabelColumn = spec.LabelColumn, Round = round,
            Training = new TrainingConfig
            {
                LocalEpochs = spec.Training.LocalEpochs, LearningRate = spec.Training.LearningRate, L2 = spec.Training.L2,
                BatchSize = spec.Training.BatchSize, Seed = spec.Training.Seed + (ulong)round,
            },
        };
        task.FeatureNames.AddRange(spec.FeatureNames);
        return new LocalTaskRunner(0).Run(task, start, Path.Combine(cluster.Root, "sites", site, "cohort.csv"));
    }

    /// <summary>The float64 bytes of the updates the plain study's sites uploaded (stored blobs that are neither masked nor a round's result).</summary>
    private static IEnumerable<byte> PlainUpdates(StudyStatus plain, string blobDir)
    {
        var models = plain.Rounds.Select(r => r.ResultModelId).ToHashSet();
        foreach (var file in Directory.EnumerateFiles(blobDir, "*", SearchOption.AllDirectories).Where(f => !models.Contains(Path.GetFileName(f))))
        {
            var bundle = TensorBundle.Parser.ParseFrom(File.ReadAllBytes(file));
            if (bundle.Tensors.Any(t => t.Name == "coef") && bundle.Tensors.All(t => t.Dtype == DType.Float64))
                foreach (var t in bundle.Tensors) foreach (var b in t.Data.ToByteArray()) yield return b;
        }
    }

    /// <summary>What the sites masked in the secure study's first training round, recomputed: n·w, n·loss and n in fixed point (2^-24).</summary>
    private static IEnumerable<byte> EncodedPlainContributions(Cluster cluster, StudyStatus secure)
    {
        var start = Download(cluster, secure.Rounds.Single(r => r.Round == 0).ResultModelId).GetAwaiter().GetResult();
        foreach (var site in new[] { "site-1", "site-2", "site-3" })
        {
            var r = LocalTraining(cluster, secure.Spec, 1, start, site);
            var v = AggregationVector.Compose(r.Payload, r.SampleCount, r.SampleCount * r.Metrics["loss"], r.SampleCount);
            foreach (var x in v)
            {
                var e = unchecked((ulong)(long)Math.Round(x * (1 << 24)));
                for (var k = 0; k < 8; k++) yield return (byte)(e >> (8 * k));
            }
        }
    }

    private static double ChiSquare(byte[] bytes)
    {
        var counts = new long[256];
        foreach (var b in bytes) counts[b]++;
        var expected = bytes.Length / 256.0;
        return counts.Sum(c => (c - expected) * (c - expected) / expected);
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
