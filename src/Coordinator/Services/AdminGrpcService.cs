using FedRad.Coordinator.Contracts.Grains;
using FedRad.Coordinator.Contracts.Model;
using FedRad.Coordinator.Studies;
using FedRad.Protocol.V1;
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
