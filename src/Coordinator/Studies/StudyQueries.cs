using FedRad.Coordinator.Contracts.Grains;
using FedRad.Coordinator.Contracts.Model;
using FedRad.Coordinator.Storage;
using FedRad.Learning.Metrics;
using FedRad.Learning.Models;
using FedRad.Protocol.V1;
using FedRad.Shared.Tensors;
using FedRad.Shared.Transfer;
using StudyState = FedRad.Coordinator.Contracts.Model.StudyState;

namespace FedRad.Coordinator.Studies;

/// <summary>
/// What operators read about studies, composed from the grains: status with the open round, the
/// list of studies, the model registry, the evaluation aggregates. Shared by the admin API and the
/// dashboard so that both show the same thing.
/// </summary>
public sealed class StudyQueries(IGrainFactory grains, IBlobStore blobs)
{
    /// <summary>A study's status, its open round included. <see cref="KeyNotFoundException"/> for an unknown study.</summary>
    public async Task<StudyStatus> Status(string studyId)
    {
        var view = await grains.GetGrain<IStudyGrain>(studyId).GetView();
        return StudyMapping.ToStatus(view, await RoundsWithOpen(view));
    }

    public async Task<IReadOnlyList<StudyStatus>> List()
    {
        var list = new List<StudyStatus>();
        foreach (var id in await grains.GetGrain<IStudyDirectoryGrain>(0).List())
        {
            try { list.Add(await Status(id)); }
            catch (KeyNotFoundException) { /* listed, but its creation was refused */ }
        }
        return list;
    }

    /// <summary>The models of <paramref name="studyId"/>'s rounds (every study's when empty), oldest first.</summary>
    public async Task<ModelRegistry> Registry(string studyId)
    {
        var registry = new ModelRegistry();
        var ids = studyId.Length > 0 ? [studyId] : await grains.GetGrain<IStudyDirectoryGrain>(0).List();
        foreach (var id in ids)
        {
            StudyView view;
            try { view = await grains.GetGrain<IStudyGrain>(id).GetView(); }
            catch (KeyNotFoundException) when (studyId.Length == 0) { continue; }
            registry.Models.AddRange(Models(view));
        }
        return registry;
    }

    /// <summary>
    /// Each closed round that produced a model, with the model it started from: the previous one, or
    /// the study's initial model (for logistic regression all zeros, stored by content like every model).
    /// </summary>
    public static IEnumerable<RegisteredModel> Models(StudyView view)
    {
        if (view.State == StudyState.Created) yield break;
        var def = view.Definition;
        var parent = Payload.Sha256Hex(TensorCodec.Serialize(ModelCatalog.Initial(def.Model, def.FeatureNames.Count)));
        foreach (var r in view.Rounds.Where(r => r.Result is not null).OrderBy(r => r.Round))
        {
            yield return new RegisteredModel
            {
                StudyId = def.StudyId,
                Round = r.Round,
                Kind = StudyMapping.ToTaskKind(r.Kind),
                ModelId = r.Result!.Sha256,
                ParentModelId = parent,
                Strategy = r.Kind == WorkKind.Train ? def.Strategy : "exact pooled statistics",
                Participants = r.Participants.Count,
                Loss = r.Loss,
                CreatedUnixMs = r.ClosedAt?.ToUnixTimeMilliseconds() ?? 0,
                Final = view.FinalModel?.Sha256 == r.Result.Sha256,
            };
            parent = r.Result.Sha256;
        }
    }

    /// <summary>
    /// The evaluation round's per-site score histograms, read back from the payloads the sites uploaded
    /// (content-addressed blobs). <see cref="InvalidOperationException"/> when the study is not completed.
    /// </summary>
    public async Task<EvaluationDetail> Evaluation(string studyId)
    {
        var view = await grains.GetGrain<IStudyGrain>(studyId).GetView();
        if (view.State != StudyState.Completed)
            throw new InvalidOperationException($"study '{studyId}' is {view.State.ToString().ToLowerInvariant()}: its evaluation exists once it has completed");
        var round = view.Rounds.Last(r => r.Kind == WorkKind.Evaluate);
        var detail = new EvaluationDetail { StudyId = studyId, Round = round.Round, FinalModelId = view.FinalModel?.Sha256 ?? "" };
        var key = IRoundGrain.Key(studyId, round.Round);
        foreach (var site in round.Participants.Order(StringComparer.Ordinal))
        {
            var sha = await grains.GetGrain<IRoundGrain>(key).AcceptedPayload(site)
                ?? throw new InvalidOperationException($"round {round.Round} of study '{studyId}' lists {site} as a participant but holds no payload from it");
            var bytes = await blobs.Get(sha) ?? throw new InvalidOperationException($"the evaluation payload {sha} of {site} is missing from the blob store");
            var payload = TensorCodec.Deserialize(bytes);
            var metrics = round.Evaluation?.Sites.FirstOrDefault(s => s.SiteId == site);
            var h = new SiteScoreHistogram { SiteId = site, Auc = metrics?.Auc ?? double.NaN, N = metrics?.N ?? 0 };
            h.Positives.AddRange(payload[ScoreHistogram.PositivesTensor].Values);
            h.Negatives.AddRange(payload[ScoreHistogram.NegativesTensor].Values);
            detail.Sites.Add(h);
        }
        return detail;
    }

    public async Task<ListSitesResponse> Sites()
    {
        var response = new ListSitesResponse();
        foreach (var id in await grains.GetGrain<ISiteDirectoryGrain>(0).List())
            response.Sites.Add(StudyMapping.ToSiteInfo(await grains.GetGrain<ISiteGrain>(id).GetView()));
        return response;
    }

    public async Task<Overview> Overview(TimeProvider clock)
    {
        var overview = new Overview { GeneratedUnixMs = clock.GetUtcNow().ToUnixTimeMilliseconds() };
        overview.Sites.AddRange((await Sites()).Sites);
        overview.Studies.AddRange(await List());
        overview.Models.AddRange((await Registry("")).Models);
        return overview;
    }

    private async Task<IReadOnlyList<RoundView>> RoundsWithOpen(StudyView view)
    {
        var rounds = view.Rounds.ToList();
        var id = view.Definition.StudyId;
        // A leave-one-site-out fold's open round (after the evaluation round) shows in the fold, not among the study's rounds.
        if (view.State == StudyState.Running && rounds.All(r => r.Round != view.CurrentRound) && view.CurrentRound <= view.Definition.Rounds + 1 &&
            await grains.GetGrain<IRoundGrain>(IRoundGrain.Key(id, view.CurrentRound)).GetView() is { } open)
            rounds.Add(open);
        return rounds;
    }
}
