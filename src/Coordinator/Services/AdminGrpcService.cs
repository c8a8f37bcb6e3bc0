using System.Text.Json;
using FedRad.Coordinator.Contracts.Grains;
using FedRad.Coordinator.Contracts.Model;
using FedRad.Coordinator.Statistics;
using FedRad.Coordinator.Studies;
using FedRad.Protocol.V1;
using FedRad.Statistics.Analyses;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using StudyState = FedRad.Coordinator.Contracts.Model.StudyState;

namespace FedRad.Coordinator.Services;

/// <summary>Operator endpoint: create, start and watch studies; list sites. Thin over the grains.</summary>
public sealed class AdminGrpcService(IGrainFactory grains, ILogger<AdminGrpcService> log) : AdminService.AdminServiceBase
{
    public override async Task<StudyStatus> CreateStudy(CreateStudyRequest request, ServerCallContext context)
    {
        var spec = request.Spec ?? throw Fail(StatusCode.InvalidArgument, "spec is required");
        var definition = StudyMapping.FromSpec(spec);
        var study = grains.GetGrain<IStudyGrain>(definition.StudyId);
        try { await study.Create(definition); }
        catch (ArgumentException e) { throw Fail(StatusCode.InvalidArgument, e.Message); }
        catch (InvalidOperationException e) { throw Fail(StatusCode.AlreadyExists, e.Message); }
        return await Status(definition.StudyId);
    }

    public override async Task<StudyStatus> StartStudy(StudyRef request, ServerCallContext context)
    {
        RequireId(request.StudyId);
        try { await grains.GetGrain<IStudyGrain>(request.StudyId).Start(); }
        catch (KeyNotFoundException e) { throw Fail(StatusCode.NotFound, e.Message); }
        catch (InvalidOperationException e) { throw Fail(StatusCode.FailedPrecondition, e.Message); }
        return await Status(request.StudyId);
    }

    public override Task<StudyStatus> GetStudy(StudyRef request, ServerCallContext context)
    {
        RequireId(request.StudyId);
        return Status(request.StudyId);
    }

    public override async Task<ListSitesResponse> ListSites(ListSitesRequest request, ServerCallContext context)
    {
        var response = new ListSitesResponse();
        foreach (var id in await grains.GetGrain<ISiteDirectoryGrain>(0).List())
        {
            var v = await grains.GetGrain<ISiteGrain>(id).GetView();
            response.Sites.Add(new SiteInfo
            {
                SiteId = v.SiteId,
                AgentVersion = v.AgentVersion,
                Healthy = v.Healthy,
                LastHeartbeatUnixMs = v.LastHeartbeat.ToUnixTimeMilliseconds(),
                RegisteredUnixMs = v.RegisteredAt.ToUnixTimeMilliseconds(),
            });
        }
        return response;
    }

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
        StudyView view;
        try { view = await grains.GetGrain<IStudyGrain>(studyId).GetView(); }
        catch (KeyNotFoundException e) { throw Fail(StatusCode.NotFound, e.Message); }
        var rounds = view.Rounds.ToList();
        if (view.State == StudyState.Running && rounds.All(r => r.Round != view.CurrentRound) &&
            await grains.GetGrain<IRoundGrain>(IRoundGrain.Key(studyId, view.CurrentRound)).GetView() is { } open)
            rounds.Add(open);
        return StudyMapping.ToStatus(view, rounds);
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
