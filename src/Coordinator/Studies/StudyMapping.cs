using FedRad.Coordinator.Contracts.Model;
using FedRad.Protocol.V1;
using Google.Protobuf;
using StudyState = FedRad.Coordinator.Contracts.Model.StudyState;

namespace FedRad.Coordinator.Studies;

/// <summary>Between the admin protocol's messages and the grains' records.</summary>
public static class StudyMapping
{
    public static StudyDefinition FromSpec(StudySpec s) => new()
    {
        InitialModelId = s.InitialModelId,
        StudyId = s.StudyId,
        Model = string.IsNullOrEmpty(s.Model) ? "logreg" : s.Model,
        FeatureNames = s.FeatureNames.ToList(),
        LabelColumn = string.IsNullOrEmpty(s.LabelColumn) ? "label" : s.LabelColumn,
        Rounds = s.Rounds,
        SiteIds = s.SiteIds.ToList(),
        MinSites = s.MinSites == 0 ? 1 : s.MinSites,
        RoundTimeoutSeconds = s.RoundTimeoutSeconds == 0 ? 60 : s.RoundTimeoutSeconds,
        Strategy = string.IsNullOrEmpty(s.Strategy) ? "fedavg" : s.Strategy,
        Imaging = s.DeepModel is { } deep ? DeepImaging(deep)
            : s.Imaging is null ? null : FromFeatures(s.Imaging),
        // Deep models normalise their patches themselves: no standardisation round.
        Standardise = !s.NoStandardisation && s.DeepModel is null,
        StrategyParameters = s.StrategyParameters.ToDictionary(),
        LeaveOneSiteOut = s.LeaveOneSiteOut,
        Training = s.Training is null ? new TrainingSettings() : new TrainingSettings
        {
            LocalEpochs = s.Training.LocalEpochs == 0 ? 5 : s.Training.LocalEpochs,
            LearningRate = s.Training.LearningRate == 0 ? 0.1 : s.Training.LearningRate,
            L2 = s.Training.L2,
            BatchSize = s.Training.BatchSize,
            Seed = s.Training.Seed,
        },
    };

    public static StudySpec ToSpec(StudyDefinition d)
    {
        var s = new StudySpec
        {
            StudyId = d.StudyId, Model = d.Model, LabelColumn = d.LabelColumn, Rounds = d.Rounds,
            MinSites = d.MinSites, RoundTimeoutSeconds = d.RoundTimeoutSeconds, Strategy = d.Strategy,
            NoStandardisation = !d.Standardise,
            InitialModelId = d.InitialModelId,
            LeaveOneSiteOut = d.LeaveOneSiteOut,
            Training = new TrainingConfig
            {
                LocalEpochs = d.Training.LocalEpochs, LearningRate = d.Training.LearningRate,
                L2 = d.Training.L2, BatchSize = d.Training.BatchSize, Seed = d.Training.Seed,
            },
        };
        if (StudyRules.IsDeep(d.Model) && d.Imaging is { } deep) s.DeepModel = DeepModelOf(deep);
        else if (d.Imaging is { } imaging) s.Imaging = ToFeatures(imaging);
        s.FeatureNames.AddRange(d.FeatureNames);
        s.SiteIds.AddRange(d.SiteIds);
        foreach (var (k, v) in d.StrategyParameters) s.StrategyParameters[k] = v;
        return s;
    }

    public static ImagingSource FromFeatures(ImagingFeatures f) => new(f.SettingsYaml, f.Roi, f.DeltaBaseline, f.DeltaFollowUp, f.PetThresholdMethod, f.PetThresholdValue);

    /// <summary>The imaging part of a spec, and of the sites' tasks.</summary>
    public static ImagingFeatures ToFeatures(ImagingSource i) => new()
    {
        SettingsYaml = i.SettingsYaml, Roi = i.Roi, DeltaBaseline = i.DeltaBaseline, DeltaFollowUp = i.DeltaFollowUp,
        PetThresholdMethod = i.PetThresholdMethod, PetThresholdValue = i.PetThresholdValue,
    };

    /// <summary>
    /// A deep model's patch description travels to the sites in the task's imaging field (the site task message is
    /// built from the study's <see cref="ImagingSource"/>): the DeepModel message as JSON, with the ROI beside it.
    /// </summary>
    public static ImagingSource DeepImaging(DeepModel deep) => new(JsonFormatter.Default.Format(deep), deep.Roi);

    /// <summary>The deep model description carried by <see cref="DeepImaging"/>; throws <see cref="InvalidProtocolBufferException"/> when it is not one.</summary>
    public static DeepModel DeepModelOf(ImagingSource imaging) => JsonParser.Default.Parse<DeepModel>(imaging.SettingsYaml);

    public static SiteInfo ToSiteInfo(SiteView v) => new()
    {
        SiteId = v.SiteId, AgentVersion = v.AgentVersion, Healthy = v.Healthy,
        LastHeartbeatUnixMs = v.LastHeartbeat.ToUnixTimeMilliseconds(), RegisteredUnixMs = v.RegisteredAt.ToUnixTimeMilliseconds(),
        Approval = v.Approval.ToString().ToLowerInvariant(), CertificateSerial = v.CertificateSerial, SuspensionReason = v.SuspensionReason,
    };

    /// <summary>The definition text of a study created from a spec rather than a file: the spec as JSON with the file's field names (itself a valid study file).</summary>
    public static string SpecText(StudySpec spec) =>
        new JsonFormatter(JsonFormatter.Settings.Default.WithPreserveProtoFieldNames(true).WithFormatDefaultValues(true).WithIndentation()).Format(spec) + "\n";

    public static TaskKind ToTaskKind(WorkKind kind) => kind switch
    {
        WorkKind.Train => TaskKind.Train,
        WorkKind.Evaluate => TaskKind.Evaluate,
        WorkKind.Statistics => TaskKind.Statistics,
        _ => TaskKind.Standardise,
    };

    public static StudyStatus ToStatus(StudyView v, IReadOnlyList<RoundView> rounds)
    {
        var status = new StudyStatus
        {
            Spec = ToSpec(v.Definition),
            State = v.State switch
            {
                StudyState.Created => Protocol.V1.StudyState.Created,
                StudyState.Running => Protocol.V1.StudyState.Running,
                StudyState.Completed => Protocol.V1.StudyState.Completed,
                StudyState.Cancelled => Protocol.V1.StudyState.Cancelled,
                _ => Protocol.V1.StudyState.Failed,
            },
            CurrentRound = v.CurrentRound,
            FailureReason = v.FailureReason,
            FinalModelId = v.FinalModel?.Sha256 ?? "",
            Definition = v.Definition.DefinitionText,
            DefinitionSha256 = v.Definition.DefinitionSha256,
        };
        status.EnrolledSites.AddRange(v.EnrolledSites);
        foreach (var f in v.LeaveOneSiteOut)
        {
            var fold = new LeaveOneSiteOutFold
            {
                SiteId = f.SiteId, State = f.State.ToString().ToLowerInvariant(), N = f.N, Auc = f.Auc, AucCiLow = f.AucCiLow, AucCiHigh = f.AucCiHigh,
                Loss = f.Loss, Note = f.Note, FirstRound = f.FirstRound, LastRound = f.LastRound, ModelId = f.Model?.Sha256 ?? "",
            };
            fold.TrainingSites.AddRange(f.TrainingSites);
            status.LeaveOneSiteOut.Add(fold);
        }
        foreach (var r in rounds)
        {
            var rs = new RoundStatus
            {
                Round = r.Round,
                Kind = ToTaskKind(r.Kind),
                State = r.State.ToString().ToLowerInvariant(),
                Loss = r.Loss,
                CloseReason = r.CloseReason,
                RejectedUpdates = r.RejectedUpdates,
                StartedUnixMs = r.StartedAt.ToUnixTimeMilliseconds(),
                ClosedUnixMs = r.ClosedAt?.ToUnixTimeMilliseconds() ?? 0,
                ResultModelId = r.Result?.Sha256 ?? "",
            };
            rs.StrategyLog.AddRange(r.StrategyLog);
            rs.SelectedSites.AddRange(r.SelectedSites);
            rs.Participants.AddRange(r.Participants);
            status.Rounds.Add(rs);
        }
        if (v.Evaluation is { } e)
        {
            status.Evaluation = new Evaluation { PooledN = e.PooledN, PooledAuc = e.PooledAuc, PooledLoss = e.PooledLoss };
            foreach (var s in e.Sites)
                status.Evaluation.Sites.Add(new SiteMetrics { SiteId = s.SiteId, N = s.N, Auc = s.Auc, Loss = s.Loss });
        }
        return status;
    }
}
