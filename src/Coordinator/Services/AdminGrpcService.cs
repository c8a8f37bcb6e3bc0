using System.Text.Json;
using FedRad.Coordinator.Contracts.Grains;
using FedRad.Coordinator.Contracts.Model;
using FedRad.Coordinator.Statistics;
using FedRad.Coordinator.Security;
using FedRad.Coordinator.Storage;
using FedRad.Coordinator.Studies;
using FedRad.Protocol.V1;
using FedRad.Statistics.Analyses;
using Grpc.Core;
using FedRad.Coordinator.Hosting;
using FedRad.Shared.Tensors;
using FedRad.Shared.Transfer;
using Google.Protobuf;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FedRad.Coordinator.Services;

/// <summary>
/// Operator endpoint: create (from a spec or a study file), start, cancel and watch studies; list
/// sites, studies and models. Thin over the grains; who may call what is checked before
/// (<see cref="Security.AdminAccessInterceptor"/>).
/// </summary>
public sealed class AdminGrpcService(IGrainFactory grains, IBlobStore blobs, TimeProvider clock, IOptions<CoordinatorOptions> options, ILogger<AdminGrpcService> log) : AdminService.AdminServiceBase
{
    private readonly StudyQueries queries = new(grains, blobs);

    public override async Task<StudyStatus> CreateStudy(CreateStudyRequest request, ServerCallContext context)
    {
        var definition = Definition(request);
        var study = grains.GetGrain<IStudyGrain>(definition.StudyId);
        try { await study.Create(definition); }
        catch (ArgumentException e) { throw Fail(StatusCode.InvalidArgument, e.Message); }
        catch (InvalidOperationException e) { throw Fail(StatusCode.AlreadyExists, e.Message); }
        log.LogInformation("Study {Study} created, definition SHA-256 {Sha}", definition.StudyId, definition.DefinitionSha256);
        return await Status(definition.StudyId);
    }

    /// <summary>The definition from a study file (validated with lines and fields) or from a spec (recorded as JSON).</summary>
    private StudyDefinition Definition(CreateStudyRequest request)
    {
        if (request.Definition.Length > 0)
        {
            if (request.Spec is not null) throw Fail(StatusCode.InvalidArgument, "give either a spec or a study definition file, not both");
            try { return StudyFile.Parse(request.Definition, request.DefinitionName.Length > 0 ? request.DefinitionName : "study definition", request.Attachments); }
            catch (StudyFileException e) { throw Fail(StatusCode.InvalidArgument, e.Message); }
        }
        var spec = request.Spec ?? throw Fail(StatusCode.InvalidArgument, "give a spec or a study definition file");
        var definition = StudyMapping.FromSpec(spec);
        var text = StudyMapping.SpecText(StudyMapping.ToSpec(definition));
        return definition with { DefinitionText = text, DefinitionSha256 = StudyRules.Sha256(text) };
    }

    public override async Task<StudyStatus> StartStudy(StudyRef request, ServerCallContext context)
    {
        RequireId(request.StudyId);
        try { await grains.GetGrain<IStudyGrain>(request.StudyId).Start(); }
        catch (KeyNotFoundException e) { throw Fail(StatusCode.NotFound, e.Message); }
        catch (InvalidOperationException e) { throw Fail(StatusCode.FailedPrecondition, e.Message); }
        return await Status(request.StudyId);
    }

    public override async Task<StudyStatus> CancelStudy(CancelStudyRequest request, ServerCallContext context)
    {
        RequireId(request.StudyId);
        var reason = $"cancelled by {AdminAccessInterceptor.Caller(context)}" + (string.IsNullOrWhiteSpace(request.Reason) ? "" : $": {request.Reason.Trim()}");
        try { await grains.GetGrain<IStudyGrain>(request.StudyId).Cancel(reason); }
        catch (KeyNotFoundException e) { throw Fail(StatusCode.NotFound, e.Message); }
        catch (InvalidOperationException e) { throw Fail(StatusCode.FailedPrecondition, e.Message); }
        log.LogInformation("Study {Study} {Reason}", request.StudyId, reason);
        return await Status(request.StudyId);
    }

    public override Task<StudyStatus> GetStudy(StudyRef request, ServerCallContext context)
    {
        RequireId(request.StudyId);
        return Status(request.StudyId);
    }

    public override async Task<ListStudiesResponse> ListStudies(ListStudiesRequest request, ServerCallContext context)
    {
        var response = new ListStudiesResponse();
        response.Studies.AddRange(await queries.List());
        return response;
    }

    public override async Task<ModelRegistry> GetModelRegistry(ModelRegistryRequest request, ServerCallContext context)
    {
        if (request.StudyId.Length > 0) RequireId(request.StudyId);
        try { return await queries.Registry(request.StudyId); }
        catch (KeyNotFoundException e) { throw Fail(StatusCode.NotFound, e.Message); }
    }

    public override async Task<EvaluationDetail> GetEvaluationDetail(StudyRef request, ServerCallContext context)
    {
        RequireId(request.StudyId);
        try { return await queries.Evaluation(request.StudyId); }
        catch (KeyNotFoundException e) { throw Fail(StatusCode.NotFound, e.Message); }
        catch (InvalidOperationException e) { throw Fail(StatusCode.FailedPrecondition, e.Message); }
    }

    public override Task<Overview> GetOverview(OverviewRequest request, ServerCallContext context) => queries.Overview(clock);

    public override Task<ListSitesResponse> ListSites(ListSitesRequest request, ServerCallContext context) => queries.Sites();

    public override async Task<AnalysisStatus> StartAnalysis(AnalysisSpec request, ServerCallContext context)
    {
        if (!StudyRules.IdPattern().IsMatch(request.AnalysisId)) throw Fail(StatusCode.InvalidArgument, $"analysis id '{request.AnalysisId}' is not valid");
        var plan = new FitOptions
        {
            Model = request.Model,
            Outcome = Blank(request.Outcome), Time = Blank(request.Time), Event = Blank(request.Event),
            Features = request.Features.ToList(),
            Harmonize = Blank(request.Harmonize),
            Covariates = request.Covariates.ToList(),
            BatchBy = Blank(request.BatchBy),
            Penalty = Blank(request.Penalty) ?? "none",
            Lambda = request.HasLambda ? request.Lambda : null,
            Alpha = request.HasAlpha ? request.Alpha : null,
            StratifyBySite = request.StratifyBySite,
            SecureAggregation = request.SecureAggregation,
        };
        if (plan.Features is not { Count: > 0 }) throw Fail(StatusCode.InvalidArgument, "features is empty: list the model's feature columns (the coordinator cannot see the sites' tables)");
        var definition = new AnalysisDefinition
        {
            AnalysisId = request.AnalysisId,
            SiteIds = request.SiteIds.ToList(),
            PlanJson = JsonSerializer.Serialize(plan, AnalysisGrain.PlanJson),
            RequestTimeoutSeconds = request.RequestTimeoutSeconds > 0 ? request.RequestTimeoutSeconds : 300,
        };
        try { return ToStatus(await grains.GetGrain<IAnalysisGrain>(request.AnalysisId).Start(definition)); }
        catch (ArgumentException e) { throw Fail(StatusCode.InvalidArgument, e.Message); }
        catch (InvalidOperationException e) { throw Fail(StatusCode.AlreadyExists, e.Message); }
    }

    public override async Task<AnalysisStatus> GetAnalysis(AnalysisRef request, ServerCallContext context)
    {
        if (!StudyRules.IdPattern().IsMatch(request.AnalysisId)) throw Fail(StatusCode.InvalidArgument, $"analysis id '{request.AnalysisId}' is not valid");
        try { return ToStatus(await grains.GetGrain<IAnalysisGrain>(request.AnalysisId).GetView()); }
        catch (KeyNotFoundException e) { throw Fail(StatusCode.NotFound, e.Message); }
    }

    public override async Task<SiteInfo> ApproveSite(SiteRef request, ServerCallContext context)
    {
        RequireSiteId(request.SiteId);
        try { return StudyMapping.ToSiteInfo(await grains.GetGrain<ISiteGrain>(request.SiteId).Approve(by: AdminAccessInterceptor.Caller(context))); }
        catch (KeyNotFoundException e) { throw Fail(StatusCode.NotFound, e.Message); }
    }

    public override async Task<SiteInfo> SuspendSite(SuspendSiteRequest request, ServerCallContext context)
    {
        RequireSiteId(request.SiteId);
        if (string.IsNullOrWhiteSpace(request.Reason)) throw Fail(StatusCode.InvalidArgument, "give the reason for suspending the site");
        try { return StudyMapping.ToSiteInfo(await grains.GetGrain<ISiteGrain>(request.SiteId).Suspend(request.Reason)); }
        catch (KeyNotFoundException e) { throw Fail(StatusCode.NotFound, e.Message); }
    }

    /// <summary>
    /// Stores an operator's model (a deep study's initial weights) in the blob store after checking its size against
    /// the payload limit sites have, its SHA-256 against the header, and that it is a tensor bundle of finite values.
    /// </summary>
    public override async Task<UploadModelResponse> UploadModel(IAsyncStreamReader<UploadModelMessage> requestStream, ServerCallContext context)
    {
        // The access interceptor checks unary and server-streaming calls only; this client-streaming call checks itself.
        var http = context.GetHttpContext();
        var access = http.RequestServices.GetRequiredService<AdminAccess>().Authorize(nameof(UploadModel), context.RequestHeaders.GetValue("authorization"), http.Connection.RemoteIpAddress);
        if (!access.Allowed) throw Fail(access.Code, access.Message);

        if (!await requestStream.MoveNext(context.CancellationToken) || requestStream.Current.BodyCase != UploadModelMessage.BodyOneofCase.Header)
            throw Fail(StatusCode.InvalidArgument, "a model upload must start with its header");
        var header = requestStream.Current.Header;
        if (header.TotalBytes <= 0) throw Fail(StatusCode.InvalidArgument, $"total_bytes must be positive, got {header.TotalBytes}");
        var limit = options.Value.MaxPayloadBytes;
        if (header.TotalBytes > limit)
            throw Fail(StatusCode.ResourceExhausted, $"model of {header.TotalBytes} bytes exceeds the coordinator's limit of {limit} bytes");
        if (header.Sha256.Length != 64 || !header.Sha256.All(char.IsAsciiHexDigitLower))
            throw Fail(StatusCode.InvalidArgument, "sha256 must be 64 lower-case hex digits");

        var payload = new byte[header.TotalBytes];
        long received = 0;
        while (received < header.TotalBytes && await requestStream.MoveNext(context.CancellationToken))
        {
            if (requestStream.Current.BodyCase != UploadModelMessage.BodyOneofCase.Chunk)
                throw Fail(StatusCode.InvalidArgument, $"expected a payload chunk at offset {received}, got a second header");
            var chunk = requestStream.Current.Chunk;
            if (chunk.Offset != received) throw Fail(StatusCode.InvalidArgument, $"chunk at offset {chunk.Offset}, expected offset {received}");
            if (chunk.Data.Length == 0 || chunk.Data.Length > TransferLimits.MaxChunkBytes)
                throw Fail(StatusCode.InvalidArgument, $"chunk at offset {chunk.Offset} has {chunk.Data.Length} bytes; chunks carry 1..{TransferLimits.MaxChunkBytes}");
            if (chunk.Offset + chunk.Data.Length > header.TotalBytes)
                throw Fail(StatusCode.InvalidArgument, $"chunk at offset {chunk.Offset} of {chunk.Data.Length} bytes runs past the declared {header.TotalBytes} bytes");
            chunk.Data.Span.CopyTo(payload.AsSpan((int)received));
            received += chunk.Data.Length;
        }
        if (received < header.TotalBytes)
            throw Fail(StatusCode.Aborted, $"model upload incomplete: {received} of {header.TotalBytes} bytes received; upload again");
        if (await requestStream.MoveNext(context.CancellationToken))
            throw Fail(StatusCode.InvalidArgument, $"data after the declared {header.TotalBytes} bytes");
        var actual = Payload.Sha256Hex(payload);
        if (actual != header.Sha256)
            throw Fail(StatusCode.DataLoss, $"model SHA-256 is {actual}, the header says {header.Sha256}; nothing was stored");

        ModelWeights model;
        try { model = TensorCodec.Deserialize(payload); }
        catch (TensorFormatException e) { throw Fail(StatusCode.InvalidArgument, $"the model is not usable: {e.Message}"); }
        if (model.Tensors.Count == 0) throw Fail(StatusCode.InvalidArgument, "the model has no tensors");
        if (TensorCodec.Validate(model, model.Spec) is { } problem) throw Fail(StatusCode.InvalidArgument, $"the model is not usable: {problem}");

        var stored = await blobs.Put(payload);
        log.LogInformation("Model {Model} uploaded by {Caller}: {Bytes} bytes, {Tensors} tensors, {Parameters} parameters",
            stored.Sha256, AdminAccessInterceptor.Caller(context), stored.SizeBytes, model.Tensors.Count, model.ParameterCount);
        return new UploadModelResponse { ModelId = stored.Sha256, SizeBytes = stored.SizeBytes, Tensors = model.Tensors.Count, Parameters = model.ParameterCount };
    }

    private void RequireSiteId(string siteId)
    {
        if (!StudyRules.IdPattern().IsMatch(siteId)) throw Fail(StatusCode.InvalidArgument, $"site id '{siteId}' is not valid");
    }

    private static string? Blank(string s) => string.IsNullOrEmpty(s) ? null : s;

    private static AnalysisStatus ToStatus(AnalysisView v)
    {
        var status = new AnalysisStatus
        {
            AnalysisId = v.Definition.AnalysisId,
            State = v.State.ToString().ToLowerInvariant(),
            ResultJson = v.ResultJson,
            Error = v.Error,
            Requests = v.Requests,
        };
        status.Progress.AddRange(v.Progress);
        return status;
    }

    private async Task<StudyStatus> Status(string studyId)
    {
        try { return await queries.Status(studyId); }
        catch (KeyNotFoundException e) { throw Fail(StatusCode.NotFound, e.Message); }
    }

    private void RequireId(string studyId)
    {
        if (!StudyRules.IdPattern().IsMatch(studyId)) throw Fail(StatusCode.InvalidArgument, $"study id '{studyId}' is not valid");
    }

    private RpcException Fail(StatusCode code, string message)
    {
        log.LogWarning("Refused admin call ({Code}): {Message}", code, message);
        return new RpcException(new Grpc.Core.Status(code, message));
    }
}
