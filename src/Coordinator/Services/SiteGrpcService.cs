using FedRad.Coordinator.Contracts.Grains;
using FedRad.Coordinator.Contracts.Model;
using FedRad.Coordinator.Grains;
using FedRad.Coordinator.Hosting;
using FedRad.Coordinator.Observability;
using FedRad.Coordinator.Statistics;
using FedRad.Coordinator.Storage;
using FedRad.Coordinator.Studies;
using FedRad.Coordinator.Uploads;
using FedRad.Protocol.V1;
using FedRad.Shared.Transfer;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ModelRef = FedRad.Coordinator.Contracts.Model.ModelRef;

namespace FedRad.Coordinator.Services;

/// <summary>
/// The site-facing gRPC endpoint. Thin: it checks the transport-level shape of each call, moves
/// bytes in and out of the blob store, and leaves every decision about a round to the grains.
/// </summary>
public sealed class SiteGrpcService(
    IGrainFactory grains,
    IBlobStore blobs,
    UploadStaging staging,
    SiteAuthentication authentication,
    IOptions<CoordinatorOptions> options,
    ILogger<SiteGrpcService> log) : SiteService.SiteServiceBase
{
    private static readonly TimeSpan TaskPollInterval = TimeSpan.FromMilliseconds(200);

    public override async Task<RegisterResponse> Register(RegisterRequest request, ServerCallContext context)
    {
        if (!StudyRules.IdPattern().IsMatch(request.SiteId))
            throw Fail(StatusCode.InvalidArgument, $"site id '{request.SiteId}' must be 1-64 characters of letters, digits, '.', '_' or '-'");
        var serial = authentication.Authenticate(context, request.SiteId);
        var view = await grains.GetGrain<ISiteGrain>(request.SiteId).Register(request.AgentVersion, request.Capabilities.ToList(), serial, options.Value.AutoApproveSites);
        log.LogInformation("Site {Site} registered (agent {Version}, {Approval})", request.SiteId, request.AgentVersion, view.Approval);
        return new RegisterResponse
        {
            SiteId = request.SiteId,
            // Several heartbeats fit in the unhealthy window, so one lost packet does not flag a site.
            HeartbeatIntervalSeconds = Math.Clamp(options.Value.UnhealthyAfterSeconds / 3, 1, options.Value.HeartbeatIntervalSeconds),
            MaxMessageBytes = TransferLimits.MaxGrpcMessageBytes,
        };
    }

    public override async Task<HeartbeatResponse> Heartbeat(HeartbeatRequest request, ServerCallContext context)
    {
        var site = await RequireRegistered(request.SiteId, context, requireApproval: false);
        await site.Heartbeat();
        return new HeartbeatResponse { ServerTimeUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() };
    }

    public override async Task ReceiveTasks(ReceiveTasksRequest request, IServerStreamWriter<SiteTask> responseStream, ServerCallContext context)
    {
        var site = await RequireRegistered(request.SiteId, context, requireApproval: false);
        // Tasks sent on this stream; a task that disappears (answered or withdrawn) may not come back,
        // but after a reconnection every pending task is sent again.
        var sent = new HashSet<string>();
        while (!context.CancellationToken.IsCancellationRequested)
        {
            foreach (var task in await site.GetPendingTasks())
                if (sent.Add(task.TaskId))
                    await responseStream.WriteAsync(ToMessage(task, request.SiteId), context.CancellationToken);
            try { await Task.Delay(TaskPollInterval, context.CancellationToken); }
            catch (OperationCanceledException) { break; }
        }
    }

    public override async Task DownloadModel(DownloadModelRequest request, IServerStreamWriter<PayloadChunk> responseStream, ServerCallContext context)
    {
        await RequireRegistered(request.SiteId, context);
        byte[]? data;
        try { data = await blobs.Get(request.ModelId); }
        catch (InvalidDataException e)
        {
            log.LogError("Model {Model} requested by {Site} is corrupt: {Error}", request.ModelId, request.SiteId, e.Message);
            throw Fail(StatusCode.DataLoss, $"model '{request.ModelId}' is corrupt in the coordinator's store");
        }
        if (data is null) throw Fail(StatusCode.NotFound, $"model '{request.ModelId}' not found");
        if (request.Offset < 0 || request.Offset > data.Length)
            throw Fail(StatusCode.OutOfRange, $"offset {request.Offset} is outside model '{request.ModelId}' of {data.Length} bytes");
        using var span = CoordinatorTelemetry.Traces.StartActivity("fedrad.download");
        span?.SetTag("fedrad.site", request.SiteId).SetTag("fedrad.model", request.ModelId).SetTag("fedrad.offset", request.Offset);
        foreach (var (offset, chunk) in Payload.Chunks(data, request.Offset))
        {
            await responseStream.WriteAsync(new PayloadChunk { Offset = offset, Data = UnsafeByteOperations.UnsafeWrap(chunk), TotalBytes = data.Length }, context.CancellationToken);
            CoordinatorTelemetry.BytesSent.Add(chunk.Length);
        }
    }

    public override async Task<UploadResponse> UploadResult(IAsyncStreamReader<UploadMessage> requestStream, ServerCallContext context)
    {
        if (!await requestStream.MoveNext(context.CancellationToken) || requestStream.Current.BodyCase != UploadMessage.BodyOneofCase.Header)
            throw Fail(StatusCode.InvalidArgument, "an upload must start with its header");
        var header = requestStream.Current.Header;
        using var span = CoordinatorTelemetry.Traces.StartActivity("fedrad.upload");
        span?.SetTag("fedrad.site", header.SiteId).SetTag("fedrad.task", header.TaskId).SetTag("fedrad.kind", header.Kind.ToString()).SetTag("fedrad.bytes", header.TotalBytes);
        await RequireRegistered(header.SiteId, context);
        ValidateHeader(header);

        var key = UploadStaging.Key(header.SiteId, header.TaskId, header.Sha256);
        var entry = staging.GetOrCreate(key, header.TotalBytes);
        if (entry.TotalBytes != header.TotalBytes)
            throw Fail(StatusCode.InvalidArgument, $"upload declares {header.TotalBytes} bytes but its earlier part declared {entry.TotalBytes}");
        if (!await entry.Gate.WaitAsync(TimeSpan.FromSeconds(30), context.CancellationToken))
            throw Fail(StatusCode.Aborted, "another transfer of this upload is in progress");
        byte[] payload;
        try
        {
            if (header.ResumeOffset != entry.Received)
                throw Fail(StatusCode.FailedPrecondition, $"upload resumes at offset {header.ResumeOffset} but the coordinator holds {entry.Received} bytes; resume from {entry.Received}");
            while (entry.Received < header.TotalBytes && await requestStream.MoveNext(context.CancellationToken))
            {
                var msg = requestStream.Current;
                if (msg.BodyCase != UploadMessage.BodyOneofCase.Chunk)
                    throw Fail(StatusCode.InvalidArgument, $"expected a payload chunk at offset {entry.Received}, got a second header");
                var chunk = msg.Chunk;
                if (chunk.Offset != entry.Received)
                    throw Fail(StatusCode.InvalidArgument, $"chunk at offset {chunk.Offset}, expected offset {entry.Received}");
                if (chunk.Data.Length == 0 || chunk.Data.Length > TransferLimits.MaxChunkBytes)
                    throw Fail(StatusCode.InvalidArgument, $"chunk at offset {chunk.Offset} has {chunk.Data.Length} bytes; chunks carry 1..{TransferLimits.MaxChunkBytes}");
                if (chunk.Offset + chunk.Data.Length > header.TotalBytes)
                    throw Fail(StatusCode.InvalidArgument, $"chunk at offset {chunk.Offset} of {chunk.Data.Length} bytes runs past the declared {header.TotalBytes} bytes");
                chunk.Data.WriteTo(entry.Buffer);
                CoordinatorTelemetry.BytesReceived.Add(chunk.Data.Length);
            }
            if (entry.Received < header.TotalBytes)
                throw Fail(StatusCode.Aborted, $"upload incomplete: {entry.Received} of {header.TotalBytes} bytes received; resume from offset {entry.Received}");
            if (await requestStream.MoveNext(context.CancellationToken))
                throw Fail(StatusCode.InvalidArgument, $"data after the declared {header.TotalBytes} bytes");
            payload = entry.Buffer.ToArray();
            var actual = Payload.Sha256Hex(payload);
            if (actual != header.Sha256)
            {
                staging.Remove(key);
                throw Fail(StatusCode.DataLoss, $"payload SHA-256 is {actual}, the header says {header.Sha256}; upload again from offset 0");
            }
        }
        finally { entry.Gate.Release(); }

        staging.Remove(key);
        if (header.Refused && header.Kind is not (TaskKind.Statistics or TaskKind.Prepare))
            return Respond(await grains.GetGrain<IRoundGrain>(IRoundGrain.Key(header.StudyId, header.Round))
                .Decline(header.SiteId, header.TaskId, System.Text.Encoding.UTF8.GetString(payload)));
        if (header.Kind == TaskKind.Statistics && header.SecaggStage == Protocol.V1.SecAggStage.Mask && !header.Refused)
            return Respond(await grains.GetGrain<ISecureSumGrain>(SecureSumGrain.SessionOf(header.TaskId)).SubmitMasked(header.SiteId, header.TaskId, payload));
        if (header.Kind is TaskKind.Statistics or TaskKind.Prepare)
            return Respond(await grains.GetGrain<IStatisticsQueryGrain>(header.TaskId)
                .Answer(header.SiteId, new StatisticsAnswer(System.Text.Encoding.UTF8.GetString(payload), header.Refused)));

        var stored = await blobs.Put(payload);
        var round = grains.GetGrain<IRoundGrain>(IRoundGrain.Key(header.StudyId, header.Round));
        var result = await round.Submit(new SiteUpdate
        {
            SiteId = header.SiteId,
            TaskId = header.TaskId,
            SampleCount = header.SampleCount,
            Metrics = header.Metrics.ToDictionary(),
            Payload = stored,
        });
        return Respond(result);
    }

    private UploadResponse Respond(SubmitResult result) =>
        result.Outcome switch
        {
            SubmitOutcome.Accepted => new UploadResponse { Outcome = UploadResponse.Types.Outcome.Accepted, Message = result.Message },
            SubmitOutcome.Duplicate => new UploadResponse { Outcome = UploadResponse.Types.Outcome.Duplicate, Message = result.Message },
            SubmitOutcome.NotSelected => throw Fail(StatusCode.PermissionDenied, result.Message),
            SubmitOutcome.RoundClosed => throw Fail(StatusCode.FailedPrecondition, result.Message),
            SubmitOutcome.Conflict => throw Fail(StatusCode.AlreadyExists, result.Message),
            _ => throw Fail(StatusCode.InvalidArgument, result.Message),
        };

    public override async Task<SecAggAck> SubmitSecAgg(SecAggReply request, ServerCallContext context)
    {
        await RequireRegistered(request.SiteId, context);
        // A study's round names its study; a secure statistics request (no study) is named by its task id.
        if (request.Round < 0 || string.IsNullOrEmpty(request.TaskId))
            throw Fail(StatusCode.InvalidArgument, "a secure-aggregation reply needs round and task_id (and study_id for a study's round)");
        if (request.Message.Length > TransferLimits.MaxGrpcMessageBytes)
            throw Fail(StatusCode.ResourceExhausted, $"secure-aggregation message of {request.Message.Length} characters exceeds {TransferLimits.MaxGrpcMessageBytes}");
        var stage = request.Stage switch
        {
            Protocol.V1.SecAggStage.Advertise => SecAggTaskStage.Advertise,
            Protocol.V1.SecAggStage.Share => SecAggTaskStage.Share,
            Protocol.V1.SecAggStage.Unmask => SecAggTaskStage.Unmask,
            _ => throw Fail(StatusCode.InvalidArgument, $"stage {request.Stage} is not answered with SubmitSecAgg (ADVERTISE, SHARE or UNMASK; the masked input is an upload)"),
        };
        var submission = new SecAggSubmission(request.SiteId, request.TaskId, stage, request.Message);
        var result = string.IsNullOrEmpty(request.StudyId)
            ? await grains.GetGrain<ISecureSumGrain>(SecureSumGrain.SessionOf(request.TaskId)).SubmitSecAgg(submission)
            : await grains.GetGrain<IRoundGrain>(IRoundGrain.Key(request.StudyId, request.Round)).SubmitSecAgg(submission);
        return new SecAggAck { Message = Respond(result).Message };
    }

    public override async Task<UploadStatusResponse> GetUploadStatus(UploadStatusRequest request, ServerCallContext context)
    {
        await RequireRegistered(request.SiteId, context);
        var accepted = await grains.GetGrain<IRoundGrain>(IRoundGrain.Key(request.StudyId, request.Round)).AcceptedPayload(request.SiteId);
        if (accepted is not null && accepted == request.Sha256)
            return new UploadStatusResponse { Complete = true, ReceivedBytes = -1 };
        return new UploadStatusResponse { ReceivedBytes = staging.ReceivedBytes(UploadStaging.Key(request.SiteId, request.TaskId, request.Sha256)) };
    }

    private void ValidateHeader(UploadHeader h)
    {
        if (string.IsNullOrEmpty(h.TaskId))
            throw Fail(StatusCode.InvalidArgument, "upload header needs task_id");
        if (h.Kind is TaskKind.Train or TaskKind.Evaluate or TaskKind.Standardise)
        {
            if (string.IsNullOrEmpty(h.StudyId) || h.Round < 0)
                throw Fail(StatusCode.InvalidArgument, "upload header needs study_id and a round number");
            // A masked input (secure aggregation) carries its sample count inside the masked vector.
            if (h.SecaggStage == Protocol.V1.SecAggStage.Mask)
            {
                if (h.SampleCount != 0 || h.Metrics.Count > 0)
                    throw Fail(StatusCode.InvalidArgument, "a masked input (secagg_stage MASK) sends sample_count 0 and no metrics: they belong inside the masked vector");
            }
            else if (h.SampleCount <= 0 && !h.Refused)
                throw Fail(StatusCode.InvalidArgument, $"sample_count must be positive, got {h.SampleCount}");
        }
        else if (h.Kind is not (TaskKind.Statistics or TaskKind.Prepare))
            throw Fail(StatusCode.InvalidArgument, $"upload header has no valid kind ({h.Kind})");
        if (h.TotalBytes <= 0)
            throw Fail(StatusCode.InvalidArgument, $"total_bytes must be positive, got {h.TotalBytes}");
        if (h.TotalBytes > options.Value.MaxPayloadBytes)
            throw Fail(StatusCode.ResourceExhausted, $"payload of {h.TotalBytes} bytes exceeds the coordinator's limit of {options.Value.MaxPayloadBytes} bytes");
        if (h.Sha256.Length != 64 || !h.Sha256.All(char.IsAsciiHexDigitLower))
            throw Fail(StatusCode.InvalidArgument, "sha256 must be 64 lower-case hex digits");
        if (h.ResumeOffset < 0 || h.ResumeOffset > h.TotalBytes)
            throw Fail(StatusCode.InvalidArgument, $"resume_offset {h.ResumeOffset} is outside the payload of {h.TotalBytes} bytes");
        foreach (var (name, value) in h.Metrics)
            if (!double.IsFinite(value)) throw Fail(StatusCode.InvalidArgument, $"metric '{name}' is not finite ({value})");
    }

    /// <summary>
    /// The caller proves its site id (mutual TLS), the site must have registered, and, for anything
    /// but liveness and the (then empty) task stream, an operator must have approved it.
    /// </summary>
    private async Task<ISiteGrain> RequireRegistered(string siteId, ServerCallContext context, bool requireApproval = true)
    {
        if (string.IsNullOrEmpty(siteId) || !StudyRules.IdPattern().IsMatch(siteId))
            throw Fail(StatusCode.InvalidArgument, $"site id '{siteId}' is not a valid site id");
        authentication.Authenticate(context, siteId);
        var site = grains.GetGrain<ISiteGrain>(siteId);
        var view = await site.GetView();
        if (!view.Registered) throw Fail(StatusCode.NotFound, $"unknown site id '{siteId}': register first");
        if (requireApproval && view.Approval == SiteApproval.Pending)
            throw Fail(StatusCode.PermissionDenied, $"site '{siteId}' is pending approval by a consortium operator (fedrad sites approve {siteId})");
        if (requireApproval && view.Approval == SiteApproval.Suspended)
            throw Fail(StatusCode.PermissionDenied, $"site '{siteId}' is suspended: {view.SuspensionReason}");
        return site;
    }

    private RpcException Fail(StatusCode code, string message)
    {
        log.LogWarning("Refused site call ({Code}): {Message}", code, message);
        return new RpcException(new Status(code, message));
    }

    private static SiteTask ToMessage(SiteTaskInfo t, string siteId)
    {
        var m = new SiteTask
        {
            TaskId = t.TaskId,
            StudyId = t.StudyId,
            Round = t.Round,
            Kind = StudyMapping.ToTaskKind(t.Kind),
            DeadlineUnixMs = t.Deadline.ToUnixTimeMilliseconds(),
            StatisticsRequest = t.StatisticsRequest ?? "",
        };
        if (t.Study is { } study && (t.GlobalModel is not null || t.Kind == WorkKind.Prepare))
        {
            m.Model = study.Model;
            if (t.GlobalModel is { } model)
                m.GlobalModel = new Protocol.V1.ModelRef { ModelId = model.Sha256, Sha256 = model.Sha256, SizeBytes = model.SizeBytes };
            m.LabelColumn = study.LabelColumn;
            // Study preparation: the site filters its cohort itself and receives only its own ComBat parameters.
            m.Inclusion.AddRange(study.Inclusion.Select(StudyMapping.ToMessage));
            if (study.Harmonisation is { } h) m.Covariates.AddRange(h.Covariates);
            if (study.Prepared is { HarmonisationJson.Length: > 0 } prepared) m.Harmonisation = Preparation.ForSite(prepared.HarmonisationJson, siteId);
            m.Training = new TrainingConfig
            {
                LocalEpochs = study.Training.LocalEpochs,
                LearningRate = study.Training.LearningRate,
                L2 = study.Training.L2,
                BatchSize = study.Training.BatchSize,
                Seed = study.Training.Seed + (ulong)t.Round,
            };
            m.FeatureNames.AddRange(study.FeatureNames);
            if (study.Imaging is { } imaging) m.Imaging = StudyMapping.ToFeatures(imaging);
            if (study.DeepModel is { } deep) m.DeepModel = StudyMapping.ToProto(deep);
            if (t.Kind == WorkKind.Train)
                foreach (var (k, v) in RoundGrain.StrategyFor(study).SiteParameters) m.StrategyParameters[k] = v;
            if (study.Privacy is { } privacy)
            {
                m.Privacy = new TaskPrivacy { MinCohort = privacy.MinCohort };
                if (t.Kind == WorkKind.Train && privacy.DifferentialPrivacy is { } dp)
                {
                    m.Privacy.DpMode = dp.Noise;
                    m.Privacy.ClipNorm = dp.ClipNorm;
                    m.Privacy.NoiseMultiplier = dp.NoiseMultiplier;
                }
            }
        }
        if (t.SecAggStage != SecAggTaskStage.None)
            m.Secagg = new SecAggTask { Stage = (Protocol.V1.SecAggStage)(int)t.SecAggStage, Message = t.SecAggMessage };
        return m;
    }
}
