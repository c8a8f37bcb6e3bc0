using FedRad.Coordinator.Hosting;
using FedRad.Coordinator.Security;
using FedRad.Coordinator.Studies;
using FedRad.Protocol.V1;
using FedRad.Shared.Tensors;
using FedRad.Shared.Transfer;
using FedRad.Tests.Infrastructure;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;

namespace FedRad.Tests.Admin;

/// <summary>
/// UploadModel (an operator's initial model for a deep study) on a real in-process coordinator: what it refuses and
/// leaves unstored, and how a deep study uses, or is refused without, an uploaded initial model.
/// </summary>
public sealed class ModelUploadTests
{
    private static byte[] Model(double value = 0.25) => TensorCodec.Serialize(new ModelWeights(
    [
        new WeightTensor("encoder.stem.weight", [2, 3], [value, -value, 1, 2, 3, 4], DType.Float32),
        new WeightTensor("head.bias", [1], [0.0], DType.Float32),
    ]));

    private static async Task<UploadModelResponse> Upload(TestCoordinator c, byte[] payload, string? sha = null, long? declared = null, int chunkBytes = TransferLimits.MaxChunkBytes)
    {
        using var call = c.Admin.UploadModel();
        await call.WriteUnlessAnswered(new UploadModelMessage
        {
            Header = new UploadModelHeader { TotalBytes = declared ?? payload.Length, Sha256 = sha ?? Payload.Sha256Hex(payload) },
        });
        try
        {
            foreach (var (offset, chunk) in Payload.Chunks(payload, 0, chunkBytes))
                await call.WriteUnlessAnswered(new UploadModelMessage { Chunk = new PayloadChunk { Offset = offset, Data = ByteString.CopyFrom(chunk.Span), TotalBytes = payload.Length } });
            await call.RequestStream.CompleteAsync();
        }
        catch (RpcException) { /* the server already refused: its status comes with the response */ }
        return await call;
    }

    private static StudySpec DeepSpec(string id, string initialModelId, params string[] sites)
    {
        var spec = new StudySpec
        {
            StudyId = id, Model = "cnn-early", Rounds = 1, MinSites = 1, RoundTimeoutSeconds = 60, NoStandardisation = true,
            DeepModel = new DeepModel { PatchSize = 16, Width = 8, Roi = "Lesion" },
            InitialModelId = initialModelId,
        };
        spec.SiteIds.AddRange(sites);
        return spec;
    }

    [Fact]
    public async Task A_deep_study_starts_from_the_uploaded_model_and_its_tasks_carry_the_patch_description()
    {
        await using var c = await TestCoordinator.Start();
        var payload = Model();
        // Several chunks: the coordinator reassembles them in order.
        var uploaded = await Upload(c, payload, chunkBytes: 17);
        Assert.Equal(Payload.Sha256Hex(payload), uploaded.ModelId);
        Assert.Equal(payload.Length, uploaded.SizeBytes);
        Assert.Equal(2, uploaded.Tensors);
        Assert.Equal(7, uploaded.Parameters);

        await c.Register("site-a");
        await c.Admin.CreateStudyAsync(new CreateStudyRequest { Spec = DeepSpec("deep-1", uploaded.ModelId, "site-a") });
        var started = await c.Admin.StartStudyAsync(new StudyRef { StudyId = "deep-1" });
        Assert.Equal(StudyState.Running, started.State);
        // No standardisation round for a deep model: round 1 trains.
        Assert.Equal(1, started.CurrentRound);
        Assert.Equal(uploaded.ModelId, started.Spec.InitialModelId);
        Assert.Equal(16, started.Spec.DeepModel.PatchSize);

        using var stream = c.Site.ReceiveTasks(new ReceiveTasksRequest { SiteId = "site-a" });
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        Assert.True(await stream.ResponseStream.MoveNext(cts.Token));
        var task = stream.ResponseStream.Current;
        Assert.Equal(TaskKind.Train, task.Kind);
        Assert.Equal("cnn-early", task.Model);
        Assert.Equal(uploaded.ModelId, task.GlobalModel.ModelId);
        // The patch description travels in its own field; a patch model has no radiomics imaging.
        Assert.Null(task.Imaging);
        Assert.Equal((16, 8, "Lesion"), (task.DeepModel.PatchSize, task.DeepModel.Width, task.DeepModel.Roi));
        // What the site downloads is the uploaded model, value for value.
        var global = await c.DownloadModel("site-a", task.GlobalModel.ModelId);
        Assert.Equal([0.25, -0.25, 1, 2, 3, 4], global["encoder.stem.weight"].Values);
    }

    [Fact]
    public async Task In_a_deep_study_bad_site_updates_are_refused_or_excluded_with_the_reason_in_the_round()
    {
        await using var c = await TestCoordinator.Start();
        var uploaded = await Upload(c, Model());
        await c.Register("site-a", "site-b", "site-c");
        var spec = DeepSpec("deep-5", uploaded.ModelId, "site-a", "site-b", "site-c");
        spec.MinSites = 3;
        spec.Strategy = "median"; // a buffering rule: it screens norms within the round
        await c.Admin.CreateStudyAsync(new CreateStudyRequest { Spec = spec });
        await c.Admin.StartStudyAsync(new StudyRef { StudyId = "deep-5" });

        ModelWeights W(double scale, double shift, string stem = "encoder.stem.weight", long[]? shape = null) => new(
        [
            new WeightTensor(stem, shape ?? [2, 3], (shape is null ? new[] { 0.25, -0.25, 1, 2, 3, 4 } : new double[shape.Aggregate(1L, (a, b) => a * b)]).Select(v => v * scale + shift).ToArray(), DType.Float32),
            new WeightTensor("head.bias", [1], [shift], DType.Float32),
        ]);
        var architecture = await RawUpload.Refused(() => RawUpload.Send(c.Site, "deep-5", 1, "site-a", 40, W(1, 0.1, shape: [4, 3])));
        Assert.Equal(StatusCode.InvalidArgument, architecture.StatusCode);
        Assert.Contains("tensor 'encoder.stem.weight' has shape [4,3], expected [2,3]", architecture.Status.Detail);
        var nan = await RawUpload.Refused(() => RawUpload.Send(c.Site, "deep-5", 1, "site-a", 40, W(1, double.NaN)));
        Assert.Equal(StatusCode.InvalidArgument, nan.StatusCode);
        Assert.Contains("non-finite value (NaN)", nan.Status.Detail);

        Assert.Equal(UploadResponse.Types.Outcome.Accepted, (await RawUpload.Send(c.Site, "deep-5", 1, "site-a", 40, W(1, 0.1))).Outcome);
        Assert.Equal(UploadResponse.Types.Outcome.Accepted, (await RawUpload.Send(c.Site, "deep-5", 1, "site-b", 40, W(1, 0.2))).Outcome);
        Assert.Equal(UploadResponse.Types.Outcome.Accepted, (await RawUpload.Send(c.Site, "deep-5", 1, "site-c", 40, W(1000, 0))).Outcome);

        var status = await c.WaitFor("deep-5", s => s.Rounds.Count >= 1);
        var round = status.Rounds[0];
        Assert.Equal("completed", round.State);
        Assert.Equal(2, round.RejectedUpdates);
        Assert.Contains(round.StrategyLog, line => line.Contains("site-c") && line.Contains("norm"));
        // The model of the round is the median of the two sites left: their mean, coordinate by coordinate.
        var result = await c.DownloadModel("site-a", round.ResultModelId);
        Assert.Equal(0.15, result["head.bias"].Values[0], 6);
    }

    [Fact]
    public void A_deep_study_file_reads_like_its_spec_and_one_without_an_initial_model_is_refused()
    {
        var spec = DeepSpec("deep-file", new string('b', 64), "site-a");
        var definition = StudyMapping.FromSpec(spec);
        Assert.False(definition.Standardise);
        var text = StudyMapping.SpecText(StudyMapping.ToSpec(definition));
        var read = StudyFile.Parse(text, "spec.json", new Dictionary<string, string>());
        Assert.Equal(definition.InitialModelId, read.InitialModelId);
        Assert.Equal(StudyMapping.ToProto(definition.DeepModel!), StudyMapping.ToProto(read.DeepModel!));
        Assert.Null(read.Imaging);
        Assert.False(read.Standardise);

        var yaml = """
            study_id: deep-yaml
            model: cnn-early
            rounds: 3
            deep_model: {patch_size: 16, width: 8, roi: Lesion}
            """;
        var e = Assert.Throws<StudyFileException>(() => StudyFile.Parse(yaml, "study.yaml", new Dictionary<string, string>()));
        var problem = Assert.Single(e.Problems);
        Assert.Equal("initial_model_id", problem.Field);
        Assert.Contains("model 'cnn-early' needs initial_model_id", problem.Message);
        var ok = StudyFile.Parse(yaml + $"\ninitial_model_id: {new string('c', 64)}\n", "study.yaml", new Dictionary<string, string>());
        Assert.Equal(16, ok.DeepModel!.PatchSize);
    }

    [Fact]
    public void Mlp_and_cnn_delta_study_files_map_onto_deep_model_and_each_misfit_field_is_named()
    {
        var model = new string('c', 64);
        var mlp = StudyFile.Parse($$"""
            study_id: mlp-1
            model: mlp
            feature_names: [a, b, c]
            initial_model_id: {{model}}
            deep_model: {hidden: [8, 4]}
            """, "mlp.yaml", new Dictionary<string, string>());
        Assert.Equal([8, 4], mlp.DeepModel!.Hidden);
        // An mlp reads features like logreg: the standardisation round stays on.
        Assert.True(mlp.Standardise);
        Assert.Equal([32, 16], StudyFile.Parse($"study_id: mlp-2\nmodel: mlp\nfeature_names: [a]\ninitial_model_id: {model}\ndeep_model: {{}}\n", "mlp.yaml", new Dictionary<string, string>()).DeepModel!.Hidden);

        var delta = StudyFile.Parse($$"""
            study_id: delta-1
            model: cnn-delta
            initial_model_id: {{model}}
            deep_model: {patch_size: 8, width: 2, roi: Lesion, baseline_timepoint: t0, followup_timepoint: t1}
            """, "delta.yaml", new Dictionary<string, string>());
        Assert.Equal(("t0", "t1"), (delta.DeepModel!.BaselineTimepoint, delta.DeepModel.FollowupTimepoint));
        Assert.False(delta.Standardise);
        // The spec round trip (the definition text of a spec-created study) keeps every field.
        var again = StudyMapping.FromSpec(StudyMapping.ToSpec(delta));
        Assert.Equal(StudyMapping.ToProto(delta.DeepModel), StudyMapping.ToProto(again.DeepModel!));

        var e = Assert.Throws<StudyFileException>(() => StudyFile.Parse($$"""
            study_id: delta-2
            model: cnn-delta
            initial_model_id: {{model}}
            deep_model: {patch_size: 8, width: 2, roi: Lesion, baseline_timepoint: t0, hidden: [4]}
            """, "delta.yaml", new Dictionary<string, string>()));
        Assert.Equal(["deep_model.followup_timepoint", "deep_model.hidden"], e.Problems.Select(p => p.Field).Order());
        Assert.Contains(e.Problems, p => p.Line == 4 && p.Message.Contains("deep_model.followup_timepoint is empty"));

        var bad = Assert.Throws<StudyFileException>(() => StudyFile.Parse($$"""
            study_id: mlp-3
            model: mlp
            feature_names: [a]
            initial_model_id: {{model}}
            deep_model: {hidden: [0], patch_size: 16}
            """, "mlp.yaml", new Dictionary<string, string>()));
        Assert.Equal(["deep_model.hidden", "deep_model.patch_size"], bad.Problems.Select(p => p.Field).Order());
        Assert.Contains(bad.Problems, p => p.Message == "deep_model.hidden widths must be 1..1024, got 0");
    }

    [Fact]
    public async Task With_admin_tokens_only_an_operator_may_upload_a_model()
    {
        var dir = Directory.CreateTempSubdirectory("fedrad-upload-auth-").FullName;
        var secretFile = Path.Combine(dir, "secret");
        var secret = AdminTokens.NewSecret();
        await File.WriteAllTextAsync(secretFile, secret);
        var app = CoordinatorHost.Build(new CoordinatorOptions
        {
            Urls = "http://127.0.0.1:0", SiloPort = FreePort(), GatewayPort = FreePort(), AuditLogPath = Path.Combine(dir, "audit.jsonl"),
            AdminSecretFile = secretFile, ServiceId = "upload-auth-" + Guid.NewGuid().ToString("N")[..8],
        }, logging => logging.SetMinimumLevel(LogLevel.Warning));
        await app.StartAsync();
        try
        {
            using var channel = GrpcChannel.ForAddress(CoordinatorHost.BoundAddress(app));
            var admin = new AdminService.AdminServiceClient(channel);
            var tokens = new AdminTokens(Convert.FromBase64String(secret));
            string Token(AdminRole role) => tokens.Issue(role, $"{role}-user", DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddHours(1));
            async Task<UploadModelResponse> UploadAs(string? token)
            {
                var payload = Model();
                using var call = admin.UploadModel(token is null ? null : new Metadata { { "authorization", $"Bearer {token}" } });
                try
                {
                    await call.WriteUnlessAnswered(new UploadModelMessage { Header = new UploadModelHeader { TotalBytes = payload.Length, Sha256 = Payload.Sha256Hex(payload) } });
                    await call.WriteUnlessAnswered(new UploadModelMessage { Chunk = new PayloadChunk { Offset = 0, Data = ByteString.CopyFrom(payload), TotalBytes = payload.Length } });
                    await call.RequestStream.CompleteAsync();
                }
                catch (RpcException) { /* refused before reading: the status comes with the response */ }
                return await call;
            }

            var none = await Assert.ThrowsAsync<RpcException>(() => UploadAs(null));
            Assert.Equal(StatusCode.Unauthenticated, none.StatusCode);
            var reader = await Assert.ThrowsAsync<RpcException>(() => UploadAs(Token(AdminRole.Statistician)));
            Assert.Equal(StatusCode.PermissionDenied, reader.StatusCode);
            Assert.Contains("UploadModel needs the operator role", reader.Status.Detail);
            Assert.Equal(Payload.Sha256Hex(Model()), (await UploadAs(Token(AdminRole.Operator))).ModelId);
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    private static int FreePort()
    {
        using var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        l.Start();
        return ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
    }

    [Fact]
    public async Task A_corrupt_upload_is_refused_and_not_stored_so_a_study_naming_it_cannot_start()
    {
        await using var c = await TestCoordinator.Start();
        var payload = Model();
        var corrupted = (byte[])payload.Clone();
        corrupted[^1] ^= 0x40; // one bit flipped in transit: the header still carries the original's hash
        var e = await Assert.ThrowsAsync<RpcException>(() => Upload(c, corrupted, sha: Payload.Sha256Hex(payload)));
        Assert.Equal(StatusCode.DataLoss, e.StatusCode);
        Assert.Contains($"the header says {Payload.Sha256Hex(payload)}", e.Status.Detail);

        await c.Register("site-a");
        await c.Admin.CreateStudyAsync(new CreateStudyRequest { Spec = DeepSpec("deep-2", Payload.Sha256Hex(payload), "site-a") });
        var start = await Assert.ThrowsAsync<RpcException>(() => c.Admin.StartStudyAsync(new StudyRef { StudyId = "deep-2" }).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, start.StatusCode);
        Assert.Contains($"initial model {Payload.Sha256Hex(payload)} is not in the coordinator's store", start.Status.Detail);
        Assert.Equal(StudyState.Created, (await c.Admin.GetStudyAsync(new StudyRef { StudyId = "deep-2" })).State);
    }

    [Fact]
    public async Task An_oversized_model_is_refused_before_its_bytes_are_read()
    {
        await using var c = await TestCoordinator.Start(maxPayloadBytes: 4096);
        var big = new byte[8192];
        var e = await Assert.ThrowsAsync<RpcException>(() => Upload(c, big));
        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
        Assert.Equal("model of 8192 bytes exceeds the coordinator's limit of 4096 bytes", e.Status.Detail);
    }

    [Fact]
    public async Task A_model_with_a_non_finite_weight_or_that_is_no_tensor_bundle_is_refused_naming_the_problem()
    {
        await using var c = await TestCoordinator.Start();
        var nan = await Assert.ThrowsAsync<RpcException>(() => Upload(c, Model(double.NaN)));
        Assert.Equal(StatusCode.InvalidArgument, nan.StatusCode);
        Assert.Contains("tensor 'encoder.stem.weight' has a non-finite value (NaN) at element 0", nan.Status.Detail);

        var junk = await Assert.ThrowsAsync<RpcException>(() => Upload(c, [0xFF, 0xFF, 0xFF, 0x01]));
        Assert.Equal(StatusCode.InvalidArgument, junk.StatusCode);
        Assert.Contains("not a valid tensor bundle", junk.Status.Detail);
    }

    [Fact]
    public async Task A_deep_study_without_an_initial_model_is_refused_with_what_to_do()
    {
        await using var c = await TestCoordinator.Start();
        var e = await Assert.ThrowsAsync<RpcException>(() => c.Admin.CreateStudyAsync(new CreateStudyRequest { Spec = DeepSpec("deep-3", "") }).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("model 'cnn-early' needs initial_model_id", e.Status.Detail);
        Assert.Contains("upload them with UploadModel", e.Status.Detail);
        // Nothing was created.
        var get = await Assert.ThrowsAsync<RpcException>(() => c.Admin.GetStudyAsync(new StudyRef { StudyId = "deep-3" }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, get.StatusCode);

        // And the patch description is checked field by field.
        var bad = DeepSpec("deep-4", new string('a', 64));
        bad.DeepModel.PatchSize = 10;
        var e2 = await Assert.ThrowsAsync<RpcException>(() => c.Admin.CreateStudyAsync(new CreateStudyRequest { Spec = bad }).ResponseAsync);
        Assert.Contains("deep_model.patch_size must be a multiple of 4 in 8..64, got 10", e2.Status.Detail);
    }
}
