using FedRad.Coordinator.Contracts.Model;
using FedRad.Protocol.V1;
using FedRad.Shared.Protocol;
using Google.Protobuf;
using StudyState = FedRad.Coordinator.Contracts.Model.StudyState;
using StudyPrivacy = FedRad.Coordinator.Contracts.Model.StudyPrivacy;

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
        Imaging = s.Imaging is null ? null : FromFeatures(s.Imaging),
        DeepModel = s.DeepModel is null ? null : FromProto(s.DeepModel),
        // Patch models normalise their patches themselves: no standardisation round (an mlp has one, as logreg).
        Standardise = !s.NoStandardisation && !DeepModelRules.IsPatchModel(s.Model),
        StrategyParameters = s.StrategyParameters.ToDictionary(),
        LeaveOneSiteOut = s.LeaveOneSiteOut,
        Privacy = s.Privacy is not { } p ? null : new StudyPrivacy
        {
            MinCohort = p.MinCohort,
            SecureAggregation = p.SecureAggregation,
            DifferentialPrivacy = p.DifferentialPrivacy is not { } dp ? null : new DifferentialPrivacySettings
            {
                Epsilon = dp.Epsilon,
                Delta = dp.Delta == 0 ? 1e-5 : dp.Delta,
                ClipNorm = dp.ClipNorm == 0 ? 1 : dp.ClipNorm,
                Noise = string.IsNullOrEmpty(dp.Noise) ? DifferentialPrivacySettings.Local : dp.Noise,
                NoiseMultiplier = dp.NoiseMultiplier,
            },
        },
        Training = s.Training is null ? new TrainingSettings() : new TrainingSettings
        {
            LocalEpochs = s.Training.LocalEpochs == 0 ? 5 : s.Training.LocalEpochs,
            LearningRate = s.Training.LearningRate == 0 ? 0.1 : s.Training.LearningRate,
            L2 = s.Training.L2,
            BatchSize = s.Training.BatchSize,
            Seed = s.Training.Seed,
        },
        Inclusion = (s.Cohort?.Inclusion ?? []).Select(f => new InclusionRule(f.Column, f.HasEquals_ ? f.Equals_ : null, f.In.ToList(),
            f.HasMin ? f.Min : null, f.HasMax ? f.Max : null)).ToList(),
        Harmonisation = s.Harmonisation is { Method: "combat" } h ? new HarmonisationSettings(h.Covariates.ToList()) : null,
        FeatureSelection = s.FeatureSelection is { } fs && fs.Method is not ("" or "none") ? new FeatureSelectionSettings(fs.Method, fs.MaxFeatures) : null,
    };

    public static InclusionFilter ToMessage(InclusionRule r)
    {
        var f = new InclusionFilter { Column = r.Column };
        if (r.EqualTo is { } e) f.Equals_ = e;
        f.In.AddRange(r.AnyOf);
        if (r.Min is { } min) f.Min = min;
        if (r.Max is { } max) f.Max = max;
        return f;
    }

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
        if (d.DeepModel is { } deep) s.DeepModel = ToProto(deep);
        if (d.Imaging is { } imaging) s.Imaging = ToFeatures(imaging);
        s.FeatureNames.AddRange(d.FeatureNames);
        s.SiteIds.AddRange(d.SiteIds);
        foreach (var (k, v) in d.StrategyParameters) s.StrategyParameters[k] = v;
        if (d.Inclusion.Count > 0) s.Cohort = new CohortSelection { Inclusion = { d.Inclusion.Select(ToMessage) } };
        if (d.Harmonisation is { } h) s.Harmonisation = new StudyHarmonisation { Method = "combat", Covariates = { h.Covariates } };
        if (d.FeatureSelection is { } fs) s.FeatureSelection = new StudyFeatureSelection { Method = fs.Method, MaxFeatures = fs.MaxFeatures };
        if (d.Privacy is { } p)
        {
            s.Privacy = new Protocol.V1.StudyPrivacy { MinCohort = p.MinCohort, SecureAggregation = p.SecureAggregation };
            if (p.DifferentialPrivacy is { } dp)
                s.Privacy.DifferentialPrivacy = new DifferentialPrivacySpec
                {
                    Epsilon = dp.Epsilon, Delta = dp.Delta, ClipNorm = dp.ClipNorm, Noise = dp.Noise, NoiseMultiplier = dp.NoiseMultiplier,
                };
        }
        return s;
    }

    public static ImagingSource FromFeatures(ImagingFeatures f) => new(f.SettingsYaml, f.Roi, f.DeltaBaseline, f.DeltaFollowUp, f.PetThresholdMethod, f.PetThresholdValue);

    /// <summary>The imaging part of a spec, and of the sites' tasks.</summary>
    public static ImagingFeatures ToFeatures(ImagingSource i) => new()
    {
        SettingsYaml = i.SettingsYaml, Roi = i.Roi, DeltaBaseline = i.DeltaBaseline, DeltaFollowUp = i.DeltaFollowUp,
        PetThresholdMethod = i.PetThresholdMethod, PetThresholdValue = i.PetThresholdValue,
    };

    public static DeepModelSettings FromProto(DeepModel m) => new()
    {
        PatchSize = m.PatchSize, Width = m.Width, Roi = m.Roi, Hidden = m.Hidden.ToList(),
        BaselineTimepoint = m.BaselineTimepoint, FollowupTimepoint = m.FollowupTimepoint,
    };

    /// <summary>The message a study's tasks carry to the sites (SiteTask.deep_model) and its spec reads back.</summary>
    public static DeepModel ToProto(DeepModelSettings d)
    {
        var m = new DeepModel { PatchSize = d.PatchSize, Width = d.Width, Roi = d.Roi, BaselineTimepoint = d.BaselineTimepoint, FollowupTimepoint = d.FollowupTimepoint };
        m.Hidden.AddRange(d.Hidden);
        return m;
    }

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
        WorkKind.Prepare => TaskKind.Prepare,
        _ => TaskKind.Standardise,
    };

    public static StudyPreparation ToMessage(PreparationResult p)
    {
        var m = new StudyPreparation { State = p.State.ToString().ToLowerInvariant() };
        m.SelectedFeatures.AddRange(p.SelectedFeatures);
        foreach (var (f, score) in p.FeatureScores) m.FeatureScores[f] = score;
        m.UnadjustedFeatures.AddRange(p.Unadjusted);
        foreach (var site in p.Sites)
        {
            var sm = new Protocol.V1.SitePreparation { SiteId = site.SiteId, Included = site.Included, Excluded = site.Excluded, Refused = site.Refusal };
            sm.Harmonisation.AddRange(site.Harmonisation.Select(x => new Protocol.V1.FeatureShift
            {
                Feature = x.Feature, MeanBefore = x.MeanBefore, SdBefore = x.SdBefore, MeanAfter = x.MeanAfter, SdAfter = x.SdAfter,
            }));
            m.Sites.Add(sm);
        }
        foreach (var d in Preparation.Distributions(p.DistributionsJson))
        {
            var dm = new FeatureDistribution { Feature = d.Feature, MeanBefore = d.MeanBefore, SdBefore = d.SdBefore, MeanAfter = d.MeanAfter ?? double.NaN, SdAfter = d.SdAfter ?? double.NaN };
            dm.Edges.AddRange(d.Edges);
            foreach (var site in d.Sites)
            {
                var counts = new SiteHistogramCounts { SiteId = site.Site, Count = site.Count };
                counts.Before.AddRange(site.Before.Select(c => c ?? -1));
                if (site.After is { } after) counts.After.AddRange(after.Select(c => c ?? -1));
                dm.Sites.Add(counts);
            }
            m.Distributions.Add(dm);
        }
        return m;
    }

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
            DpEpsilon = v.Rounds.Where(r => r.State == RoundState.Completed).Select(r => r.DpEpsilon).DefaultIfEmpty(0).Max(),
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
                DpEpsilon = r.DpEpsilon,
                SecureAggregation = r.SecureAggregation,
            };
            rs.SecaggDropped.AddRange(r.SecAggDropped);
            rs.StrategyLog.AddRange(r.StrategyLog);
            rs.SelectedSites.AddRange(r.SelectedSites);
            rs.Participants.AddRange(r.Participants);
            status.Rounds.Add(rs);
        }
        if (v.Preparation is { } p) status.Preparation = ToMessage(p);
        if (v.Evaluation is { } e)
        {
            status.Evaluation = new Evaluation { PooledN = e.PooledN, PooledAuc = e.PooledAuc, PooledLoss = e.PooledLoss };
            foreach (var s in e.Sites)
                status.Evaluation.Sites.Add(new SiteMetrics { SiteId = s.SiteId, N = s.N, Auc = s.Auc, Loss = s.Loss });
        }
        return status;
    }
}
