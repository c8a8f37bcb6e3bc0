using FedRad.Protocol.V1;
using FedRad.Shared.Tensors;
using FedRad.Shared.Transfer;
using FedRad.Tests.Infrastructure;
using Google.Protobuf;
using Grpc.Core;

namespace FedRad.Tests.Protocol;

/// <summary>
/// Every kind of bad upload gets a clear gRPC status, is counted as a rejection, and leaves what the
/// round had already aggregated intact: the final model is the FedAvg of the valid updates only.
/// </summary>
public sealed class UploadValidationTests : IAsyncLifetime
{
    private TestCoordinator _c = null!;
    private const long MaxPayload = 3 << 20;

    public async ValueTask InitializeAsync() => _c = await TestCoordinator.Start(maxPayloadBytes: MaxPayload);
    public async ValueTask DisposeAsync() => await _c.DisposeAsync();

    [Fact]
    public async Task Bad_uploads_are_refused_with_clear_statuses_and_nothing_aggregated_is_lost()
    {
        await _c.Register("a", "b", "outsider");
        // A long deadline: the round must stay open through every refusal below, however slow the machine.
        await _c.StartStudy("bad-input", ["a", "b"], features: 2, rounds: 1, minSites: 2, timeoutSeconds: 600);
        var site = _c.Site;

        var first = await RawUpload.Send(site, "bad-input", 1, "a", 10, RawUpload.LogReg([1, 2], 0.5));
        Assert.Equal(UploadResponse.Types.Outcome.Accepted, first.Outcome);

        // A retried upload of the same result is acknowledged but not counted again.
        var retry = await RawUpload.Send(site, "bad-input", 1, "a", 10, RawUpload.LogReg([1, 2], 0.5));
        Assert.Equal(UploadResponse.Types.Outcome.Duplicate, retry.Outcome);

        var conflict = await RawUpload.Refused(() => RawUpload.Send(site, "bad-input", 1, "a", 10, RawUpload.LogReg([9, 9], 9)));
        Assert.Equal(StatusCode.AlreadyExists, conflict.StatusCode);
        Assert.Contains("already contributed a different result", conflict.Status.Detail);

        var unknown = await RawUpload.Refused(() => RawUpload.Send(site, "bad-input", 1, "ghost", 10, RawUpload.LogReg([1, 2], 0)));
        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("unknown site id 'ghost'", unknown.Status.Detail);

        var notSelected = await RawUpload.Refused(() => RawUpload.Send(site, "bad-input", 1, "outsider", 10, RawUpload.LogReg([1, 2], 0)));
        Assert.Equal(StatusCode.PermissionDenied, notSelected.StatusCode);
        Assert.Contains("was not selected", notSelected.Status.Detail);

        var wrongShape = await RawUpload.Refused(() => RawUpload.Send(site, "bad-input", 1, "b", 30, RawUpload.LogReg([1, 2, 3], 0)));
        Assert.Equal(StatusCode.InvalidArgument, wrongShape.StatusCode);
        Assert.Contains("tensor 'coef' has shape [3], expected [2]", wrongShape.Status.Detail);

        var nan = await RawUpload.Refused(() => RawUpload.Send(site, "bad-input", 1, "b", 30, RawUpload.LogReg([double.NaN, 1], 0)));
        Assert.Equal(StatusCode.InvalidArgument, nan.StatusCode);
        Assert.Contains("non-finite value (NaN) at element 0", nan.Status.Detail);

        var inf = await RawUpload.Refused(() => RawUpload.Send(site, "bad-input", 1, "b", 30, RawUpload.LogReg([1, 2], double.PositiveInfinity)));
        Assert.Equal(StatusCode.InvalidArgument, inf.StatusCode);
        Assert.Contains("tensor 'intercept' has a non-finite value", inf.Status.Detail);

        var garbage = "this is not a tensor bundle"u8.ToArray();
        var malformed = await RawUpload.Refused(() => RawUpload.Send(site, RawUpload.Header("bad-input", 1, "b", 30, garbage), garbage));
        Assert.Equal(StatusCode.InvalidArgument, malformed.StatusCode);
        Assert.Contains("not a valid tensor bundle", malformed.Status.Detail);

        var good = TensorCodec.Serialize(RawUpload.LogReg([3, 4], -0.5));
        var badHash = RawUpload.Header("bad-input", 1, "b", 30, good);
        badHash.Sha256 = new string('0', 64);
        var hashMismatch = await RawUpload.Refused(() => RawUpload.Send(site, badHash, good));
        Assert.Equal(StatusCode.DataLoss, hashMismatch.StatusCode);
        Assert.Contains("SHA-256", hashMismatch.Status.Detail);

        var oversized = RawUpload.Header("bad-input", 1, "b", 30, good);
        oversized.TotalBytes = MaxPayload + 1;
        var tooBig = await RawUpload.Refused(() => RawUpload.Send(site, oversized, good, until: 0));
        Assert.Equal(StatusCode.ResourceExhausted, tooBig.StatusCode);
        Assert.Contains("exceeds the coordinator's limit", tooBig.Status.Detail);

        // A chunk larger than the protocol's 1 MiB, inside the gRPC message limit: refused by the service.
        var big = new byte[(1 << 20) + 1];
        var bigChunk = await RawUpload.Refused(() => RawUpload.Send(site, RawUpload.Header("bad-input", 1, "b", 30, big), big, chunkBytes: big.Length));
        Assert.Equal(StatusCode.InvalidArgument, bigChunk.StatusCode);
        Assert.Contains("chunks carry 1..1048576", bigChunk.Status.Detail);

        // A message beyond the explicit gRPC message limit: refused by the transport. The server answers
        // ResourceExhausted; the client may see its stream reset (Cancelled, or Unavailable from
        // ClientStreams when the reset ends the write and the answer is lost) before it reads that answer.
        var huge = new byte[2 << 20];
        var hugeMessage = await RawUpload.Refused(() => RawUpload.Send(site, RawUpload.Header("bad-input", 1, "b", 30, huge), huge, chunkBytes: huge.Length));
        Assert.Contains(hugeMessage.StatusCode, new[] { StatusCode.ResourceExhausted, StatusCode.Cancelled, StatusCode.Unavailable });

        var headerless = await RawUpload.Refused(async () =>
        {
            using var call = site.UploadResult(deadline: DateTime.UtcNow.AddSeconds(60));
            await call.WriteUnlessAnswered(new UploadMessage { Chunk = new PayloadChunk { Offset = 0, Data = ByteString.CopyFrom(good) } });
            await call.RequestStream.CompleteAsync();
            await call;
        });
        Assert.Equal(StatusCode.InvalidArgument, headerless.StatusCode);
        Assert.Contains("must start with its header", headerless.Status.Detail);

        // The round is still open and takes the valid second update.
        var second = await RawUpload.Send(site, RawUpload.Header("bad-input", 1, "b", 30, good), good);
        Assert.Equal(UploadResponse.Types.Outcome.Accepted, second.Outcome);

        var status = await _c.WaitFor("bad-input", s => s.Rounds.Any(r => r.Round == 1 && r.State == "completed"));
        var round = status.Rounds.Single(r => r.Round == 1);
        Assert.Equal(["a", "b"], round.Participants);
        Assert.Equal(6, round.RejectedUpdates); // conflict, not selected, shape, NaN, Inf, malformed

        // FedAvg of the two valid updates only: (10·[1,2] + 30·[3,4]) / 40 and (10·0.5 + 30·(−0.5)) / 40.
        var model = await _c.DownloadModel("a", round.ResultModelId);
        Assert.Equal([2.5, 3.5], model["coef"].Values);
        Assert.Equal(-0.25, model["intercept"].Values[0], 12);

        // Events reach the audit log through the bus, after the round has answered: wait for them.
        Assert.Equal(6, await _c.AuditCount("UpdateRejected", atLeast: 6));
    }

    [Fact]
    public async Task A_site_refused_at_its_header_gets_the_answer_while_it_is_still_sending_chunks()
    {
        // The coordinator refuses an unregistered site right after the header, while the agent is writing
        // 1 MiB chunks, larger than the HTTP/2 stream window. The agent must get the refusal, not wait for
        // window credit that never comes (that wait once hung the whole suite in CI). 200 uploads: before
        // ClientStreams, about one upload in 600 hung or lost the refusal.
        using var agent = new FedRad.SiteAgent.Coordinator.CoordinatorClient(_c.Url, 1, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        var payload = new byte[MaxPayload - 1024];
        Random.Shared.NextBytes(payload);
        for (var i = 0; i < 200; i++)
        {
            var header = RawUpload.Header("bad-input", 1, "unregistered", 10, payload);
            var refused = await Assert.ThrowsAsync<RpcException>(() => agent.Upload(header, payload, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60)));
            Assert.Equal(StatusCode.NotFound, refused.StatusCode);
            Assert.Contains("unknown site id 'unregistered'", refused.Status.Detail);
        }
    }

    [Fact]
    public async Task An_upload_cut_halfway_resumes_from_its_offset()
    {
        await _c.Register("r1");
        await _c.StartStudy("resume", ["r1"], features: 50, rounds: 1);
        var payload = TensorCodec.Serialize(RawUpload.LogReg(Enumerable.Range(0, 50).Select(i => i * 0.1).ToArray(), 1));
        var header = RawUpload.Header("resume", 1, "r1", 20, payload);

        var cut = await RawUpload.Refused(() => RawUpload.Send(_c.Site, header.Clone(), payload, until: 300, chunkBytes: 100));
        Assert.Equal(StatusCode.Aborted, cut.StatusCode);
        Assert.Contains("300 of", cut.Status.Detail);

        var held = await _c.Site.GetUploadStatusAsync(new UploadStatusRequest { SiteId = "r1", StudyId = "resume", Round = 1, TaskId = header.TaskId, Sha256 = header.Sha256 });
        Assert.Equal(300, held.ReceivedBytes);
        Assert.False(held.Complete);

        // The header alone: the server refuses before any chunk (a client still writing would see its stream reset).
        var wrongOffset = await RawUpload.Refused(() => RawUpload.Send(_c.Site, header.Clone(), payload, from: 100, until: 100));
        Assert.Equal(StatusCode.FailedPrecondition, wrongOffset.StatusCode);
        Assert.Contains("resume from 300", wrongOffset.Status.Detail);

        var resumed = await RawUpload.Send(_c.Site, header.Clone(), payload, from: 300, chunkBytes: 100);
        Assert.Equal(UploadResponse.Types.Outcome.Accepted, resumed.Outcome);

        var done = await _c.Site.GetUploadStatusAsync(new UploadStatusRequest { SiteId = "r1", StudyId = "resume", Round = 1, TaskId = header.TaskId, Sha256 = header.Sha256 });
        Assert.True(done.Complete);

        var status = await _c.WaitFor("resume", s => s.Rounds.Any(r => r.Round == 1 && r.State == "completed"));
        var model = await _c.DownloadModel("r1", status.Rounds.Single(r => r.Round == 1).ResultModelId);
        Assert.Equal(4.9, model["coef"].Values[49], 12);
    }

    [Fact]
    public async Task A_round_closes_at_its_deadline_with_the_quorum_and_rejects_late_updates()
    {
        await _c.Register("q1", "q2", "q3");
        await _c.StartStudy("quorum", ["q1", "q2", "q3"], rounds: 1, minSites: 2, timeoutSeconds: 2);
        Assert.Equal(UploadResponse.Types.Outcome.Accepted, (await RawUpload.Send(_c.Site, "quorum", 1, "q1", 10, RawUpload.LogReg([1, 1], 0))).Outcome);
        Assert.Equal(UploadResponse.Types.Outcome.Accepted, (await RawUpload.Send(_c.Site, "quorum", 1, "q2", 30, RawUpload.LogReg([3, 3], 0))).Outcome);

        var status = await _c.WaitFor("quorum", s => s.Rounds.Any(r => r.Round == 1 && r.State != "open"));
        var round = status.Rounds.Single(r => r.Round == 1);
        Assert.Equal("completed", round.State);
        Assert.Contains("deadline reached with quorum: 2 of 3", round.CloseReason);
        Assert.Equal(["q1", "q2"], round.Participants);

        var late = await RawUpload.Refused(() => RawUpload.Send(_c.Site, "quorum", 1, "q3", 10, RawUpload.LogReg([5, 5], 0)));
        Assert.Equal(StatusCode.FailedPrecondition, late.StatusCode);
        Assert.Contains("is closed", late.Status.Detail);

        var model = await _c.DownloadModel("q1", round.ResultModelId);
        Assert.Equal([2.5, 2.5], model["coef"].Values);
    }

    [Fact]
    public async Task A_round_below_quorum_at_its_deadline_fails_the_study_with_the_reason()
    {
        await _c.Register("f1", "f2");
        await _c.StartStudy("below-quorum", ["f1", "f2"], rounds: 2, minSites: 2, timeoutSeconds: 1);
        await RawUpload.Send(_c.Site, "below-quorum", 1, "f1", 10, RawUpload.LogReg([1, 1], 0));

        var status = await _c.WaitFor("below-quorum", s => s.State == StudyState.Failed);
        Assert.Contains("round 1 failed: deadline reached: 1 of 2 sites answered, below the minimum of 2", status.FailureReason);
        Assert.Equal("failed", status.Rounds.Single().State);
    }

    [Fact]
    public async Task Heartbeats_and_task_streams_need_a_registered_site()
    {
        var heartbeat = await RawUpload.Refused(async () => await _c.Site.HeartbeatAsync(new HeartbeatRequest { SiteId = "nobody" }));
        Assert.Equal(StatusCode.NotFound, heartbeat.StatusCode);

        var invalid = await RawUpload.Refused(async () => await _c.Site.RegisterAsync(new RegisterRequest { SiteId = "no spaces allowed" }));
        Assert.Equal(StatusCode.InvalidArgument, invalid.StatusCode);
        Assert.Contains("site id 'no spaces allowed'", invalid.Status.Detail);
    }

    [Fact]
    public async Task Invalid_study_definitions_and_starts_are_refused_with_the_field_named()
    {
        var spec = new StudySpec { StudyId = "bad-spec", Model = "svm", Rounds = 0 };
        var invalid = await RawUpload.Refused(async () => await _c.Admin.CreateStudyAsync(new CreateStudyRequest { Spec = spec }));
        Assert.Equal(StatusCode.InvalidArgument, invalid.StatusCode);
        Assert.Contains("model 'svm' is unknown", invalid.Status.Detail);
        Assert.Contains("feature_names is empty", invalid.Status.Detail);
        Assert.Contains("rounds must be 1..10000, got 0", invalid.Status.Detail);

        var missing = await RawUpload.Refused(async () => await _c.Admin.StartStudyAsync(new StudyRef { StudyId = "never-created" }));
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);

        await _c.Register("twice-site");
        await _c.StartStudy("twice", ["twice-site"]);
        var again = await RawUpload.Refused(async () => await _c.Admin.StartStudyAsync(new StudyRef { StudyId = "twice" }));
        Assert.Equal(StatusCode.FailedPrecondition, again.StatusCode);
        Assert.Contains("only a created study can be started", again.Status.Detail);
    }
}
