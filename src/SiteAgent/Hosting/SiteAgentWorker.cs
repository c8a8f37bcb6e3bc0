using System.Security.Cryptography.X509Certificates;
using FedRad.DeepLearning.Models;
using FedRad.Learning.Data;
using FedRad.Privacy.Pki;
using FedRad.Protocol.V1;
using FedRad.Shared.Tensors;
using FedRad.Privacy.Policy;
using FedRad.Privacy.DifferentialPrivacy;
using FedRad.Privacy.SecureAggregation;
using FedRad.SiteAgent.Cohorts;
using FedRad.SiteAgent.Privacy;
using FedRad.SiteAgent.Policy;
using FedRad.SiteAgent.Coordinator;
using FedRad.SiteAgent.Tasks;
using Grpc.Core;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FedRad.SiteAgent.Hosting;

/// <summary>
/// The site agent's main loop: register, keep a heartbeat, hold the task stream open (reconnecting
/// with backoff whenever it breaks) and run each task locally, uploading only its result.
/// </summary>
public sealed class SiteAgentWorker(IOptions<SiteAgentOptions> options, AgentStatus status, ILogger<SiteAgentWorker> log) : BackgroundService
{
    public const string Version = "0.1.0";
    private static readonly string[] Capabilities =
        ["train.logreg", "evaluate.logreg", "statistics", "prepare", .. DeepTaskRunner.Kinds.SelectMany(k => new[] { $"train.{k}", $"evaluate.{k}" })];

    private readonly SiteAgentOptions _o = options.Value;
    // Tasks already answered: a task re-sent after a reconnection is not run twice.
    private readonly HashSet<string> _done = [];
    // Secure aggregation: what this agent answered for a phase task, sent again as it was if the coordinator
    // asks again (new keys or a second masking would break the session).
    private readonly Dictionary<string, SecAggReply> _secAggReplies = [];
    private readonly Dictionary<string, byte[]> _maskedInputs = [];
    private readonly GaussianSampler _noise = new();

    protected override async Task ExecuteAsync(CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(_o.SiteId)) throw new InvalidOperationException("SiteAgent:SiteId is not set");
        if (!Directory.Exists(_o.DataDirectory)) throw new InvalidOperationException($"data folder {_o.DataDirectory} not found (SiteAgent:DataDirectory)");

        var tls = Tls();
        using var client = new CoordinatorClient(_o.CoordinatorUrl, _o.MaxBackoffSeconds, log, tls);
        // With mutual TLS the site signs its secure-aggregation keys with its certificate and checks every other site's.
        using var secure = new SecureAggregationSessions(_o.SiteId, tls is { } t ? SecAggAuthentication.ForSite(t.Item1, t.Item2) : null);
        var interval = await RegisterUntilAccepted(client, ct);
        using var heartbeatCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var heartbeats = HeartbeatLoop(client, interval, heartbeatCts.Token);
        var gate = TaskGate.Open(_o);
        // The stricter of --min-cohort and the policy's min_cohort applies to every aggregate.
        var minCohort = Math.Max(_o.MinCohortSize, gate.Policy?.MinCohort ?? 0);
        var runner = new LocalTaskRunner(minCohort);
        var imaging = new ImagingCohort(_o.DataDirectory, log, _o.SpectCalibrationPath);
        var deep = new DeepTaskRunner(new PatchCohort(_o.DataDirectory, log, _o.SpectCalibrationPath), _o.DataDirectory, minCohort, log);
        var statistics = new StatisticsTaskHandler(_o.SiteId, _o.CohortPath, minCohort);
        var prepare = new PrepareTaskHandler(_o.SiteId, minCohort);
        var backoff = new Backoff(_o.MaxBackoffSeconds);

        while (!ct.IsCancellationRequested)
        {
            // Reopened a few seconds after a task is held for approval, so that the task comes back and is checked again.
            using var streamCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            try
            {
                using var stream = client.Site.ReceiveTasks(new ReceiveTasksRequest { SiteId = _o.SiteId }, cancellationToken: streamCts.Token);
                await foreach (var task in stream.ResponseStream.ReadAllAsync(ct))
                {
                    backoff.Reset();
                    if (_done.Contains(task.TaskId)) continue;
                    if (task.Secagg is { Stage: not (SecAggStage.Unspecified or SecAggStage.Advertise) })
                    {
                        // A later phase of a session this site's policy admitted at ADVERTISE.
                        await ContinueSecure(client, secure, gate, runner, imaging, deep, statistics, task, ct);
                        continue;
                    }
                    var decision = gate.Admit(task);
                    if (decision.Verdict == PolicyVerdict.AwaitingApproval)
                    {
                        // Held until the site's operator decides; the stream re-sends it after every reconnection.
                        log.LogWarning("Task {Task} waits for manual approval at this site (fedrad site approve {Task})", task.TaskId, task.TaskId);
                        streamCts.CancelAfter(TimeSpan.FromSeconds(3));
                        continue;
                    }
                    if (decision.Verdict == PolicyVerdict.Refused)
                    {
                        await Refuse(client, task, decision.Reason, ct);
                        continue;
                    }
                    if (task.Secagg is { Stage: SecAggStage.Advertise })
                    {
                        // Only keys leave the site here: the task is spent when its masked input is accepted (ContinueSecure).
                        await AdvertiseSecure(client, secure, gate, task, ct);
                        continue;
                    }
                    if (task.Kind == TaskKind.Statistics) await AnswerStatistics(client, statistics, task, ct);
                    else if (task.Kind == TaskKind.Prepare) await AnswerPreparation(client, prepare, imaging, task, ct);
                    else await Handle(client, runner, imaging, deep, task, ct);
                    if (_done.Contains(task.TaskId)) gate.Completed(task);
                }
            }
            catch (Exception e) when (ct.IsCancellationRequested && e is OperationCanceledException or RpcException) { break; }
            catch (Exception e) when (streamCts.IsCancellationRequested && e is OperationCanceledException or RpcException) { continue; } // reopened to re-check held tasks
            catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
            {
                // The coordinator no longer knows this site (e.g. it restarted with in-memory state).
                log.LogWarning("Coordinator does not know site {Site}: registering again", _o.SiteId);
                interval = await RegisterUntilAccepted(client, ct);
            }
            catch (RpcException e)
            {
                var wait = backoff.Next();
                log.LogWarning("Task stream broke ({Status}); reconnecting in {Wait:F1}s", e.StatusCode, wait.TotalSeconds);
                client.Failover();
                await Delay(wait, ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // An agent must outlive any single fault: log it, back off and reconnect.
                var wait = backoff.Next();
                log.LogError(e, "Task handling failed ({Type}: {Message}); reconnecting in {Wait:F1}s", e.GetType().Name, e.Message, wait.TotalSeconds);
                await Delay(wait, ct);
            }
        }
        await heartbeatCts.CancelAsync();
        await heartbeats;
    }

    private (X509Certificate2, X509Certificate2)? Tls() => _o.CertificatePath.Length == 0 ? null :
        (PemFiles.ReadCertificateWithKey(_o.CertificatePath, _o.KeyPath), PemFiles.ReadCertificate(_o.CaCertificatePath));

    private async Task Handle(CoordinatorClient client, LocalTaskRunner runner, ImagingCohort imaging, DeepTaskRunner deep, SiteTask task, CancellationToken ct)
    {
        if (_done.Contains(task.TaskId)) return;
        if (Late(task)) return;
        log.LogInformation("Task {Task}: {Kind} {Model}", task.TaskId, task.Kind, task.Model);
        if (await Compute(client, runner, imaging, deep, task, ct) is not { } computed) return;
        var (result, global) = computed;

        var header = new UploadHeader
        {
            SiteId = _o.SiteId, TaskId = task.TaskId, StudyId = task.StudyId, Round = task.Round,
            Kind = task.Kind, SampleCount = result.SampleCount,
        };
        var payload = result.Payload;
        if (task.Kind == TaskKind.Train && task.Privacy is { DpMode.Length: > 0 } dp)
        {
            // Local DP without secure aggregation: the clipped, noised update on top of the global model, with weight 1 and no
            // metrics (a loss or a sample count would be released without noise). Central noise needs secure aggregation.
            try
            {
                var (delta, info) = PrivateUpdate.Privatize(result.Payload, global, dp, null, _noise);
                payload = PrivateUpdate.Apply(global, delta);
                header.SampleCount = 1;
                log.LogInformation("Task {Task}: update norm {Norm:G4}{Clipped}, Gaussian noise SD {Sd:G4} added (local DP)", task.TaskId, info.NormBeforeClipping, info.Clipped ? " clipped" : "", info.NoiseStandardDeviation);
            }
            catch (ArgumentException e)
            {
                log.LogError("Task {Task} refused: {Reason}", task.TaskId, e.Message);
                _done.Add(task.TaskId);
                status.TaskDone(refused: true);
                return;
            }
        }
        else foreach (var (name, value) in result.Metrics) header.Metrics[name] = value;
        await UploadOnce(client, task, header, TensorCodec.Serialize(payload), ct);
    }

    private bool Late(SiteTask task)
    {
        if (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() <= task.DeadlineUnixMs) return false;
        log.LogWarning("Task {Task} arrived after its deadline; skipped", task.TaskId);
        return true;
    }

    /// <summary>The task's local result and the global model it started from; null when the site declines (logged, marked done).</summary>
    private async Task<(LocalResult Result, ModelWeights Global)?> Compute(CoordinatorClient client, LocalTaskRunner runner, ImagingCohort imaging, DeepTaskRunner deep, SiteTask task, CancellationToken ct)
    {
        try
        {
            var global = TensorCodec.Deserialize(await client.Download(_o.SiteId, task.GlobalModel, ct));
            // Feature models (logreg, mlp) read cohort.csv, or the features extracted from the site's images.
            async Task<string> FeatureTable() => task.Imaging is null
                ? _o.CohortPath
                : await imaging.Build(task.Imaging, task.FeatureNames, task.LabelColumn, ct, StudyColumns(task));
            if (DeepTaskRunner.Handles(task.Model))
            {
                var table = task.Model == DeepModelSpec.Mlp ? await FeatureTable() : null;
                return (await Task.Run(() => deep.Run(task, global, table), ct), global);
            }
            return (runner.Run(task, global, await FeatureTable(), task.Imaging is null ? null : imaging.FilterSource), global);
        }
        catch (Exception e) when (e is TaskRefusedException or CohortFormatException or TensorFormatException or InvalidDataException)
        {
            // The site declines; nothing is sent, and the round closes at its deadline without this site.
            log.LogError("Task {Task} refused: {Reason}", task.TaskId, e.Message);
            _done.Add(task.TaskId);
            status.TaskDone(refused: true);
            return null;
        }
    }

    /// <summary>Secure aggregation, ADVERTISE (admitted by the policy): new session keys, sent to the coordinator.</summary>
    private async Task AdvertiseSecure(CoordinatorClient client, SecureAggregationSessions secure, TaskGate gate, SiteTask task, CancellationToken ct)
    {
        if (Late(task)) return;
        try
        {
            if (!_secAggReplies.TryGetValue(task.TaskId, out var reply)) _secAggReplies[task.TaskId] = reply = secure.Advertise(task);
            await SubmitSecAgg(client, task, reply, ct);
        }
        catch (SecAggException e)
        {
            log.LogError("Task {Task}: secure aggregation refused: {Reason}", task.TaskId, e.Message);
            gate.Failed(task, e.Message);
            _done.Add(task.TaskId);
        }
    }

    /// <summary>
    /// Secure aggregation, later phases: SHARE and UNMASK answer with small messages; MASK computes the local result,
    /// turns it into this site's contribution (AggregationVector; under DP the clipped, noised update), masks it and
    /// uploads it. A phase of a session this agent does not hold (it restarted) is not answered: the site has dropped out.
    /// </summary>
    private async Task ContinueSecure(CoordinatorClient client, SecureAggregationSessions secure, TaskGate gate, LocalTaskRunner runner, ImagingCohort imaging, DeepTaskRunner deep, StatisticsTaskHandler statistics, SiteTask task, CancellationToken ct)
    {
        if (Late(task)) return;
        if (!_secAggReplies.ContainsKey(task.TaskId) && !_maskedInputs.ContainsKey(task.TaskId) && !secure.Holds(task))
        {
            log.LogWarning("Task {Task}: this agent holds no secure-aggregation session for round {Round} of study {Study} (restarted?); it has dropped out of it", task.TaskId, task.Round, task.StudyId);
            _done.Add(task.TaskId);
            return;
        }
        try
        {
            switch (task.Secagg.Stage)
            {
                case SecAggStage.Share:
                    if (!_secAggReplies.TryGetValue(task.TaskId, out var shares)) _secAggReplies[task.TaskId] = shares = secure.Share(task);
                    await SubmitSecAgg(client, task, shares, ct);
                    break;
                case SecAggStage.Unmask:
                    if (!_secAggReplies.TryGetValue(task.TaskId, out var unmask)) _secAggReplies[task.TaskId] = unmask = secure.Unmask(task);
                    await SubmitSecAgg(client, task, unmask, ct);
                    break;
                case SecAggStage.Mask:
                    if (task.Kind == TaskKind.Statistics && !_maskedInputs.ContainsKey(task.TaskId))
                    {
                        // An exact-statistics request: this site's aggregate, encoded as SecureSum's vector, is what gets masked.
                        var (vector, summary) = statistics.SecureContribution(task.StatisticsRequest);
                        log.LogInformation("Statistics task {Task} under secure aggregation: {Summary}", task.TaskId, summary);
                        if (vector is null)
                        {
                            gate.Failed(task, summary);
                            _done.Add(task.TaskId);
                            return;
                        }
                        _maskedInputs[task.TaskId] = AggregationVector.SerializeMasked(secure.Mask(task, vector));
                    }
                    if (!_maskedInputs.TryGetValue(task.TaskId, out var masked))
                    {
                        log.LogInformation("Task {Task}: {Kind} {Model} under secure aggregation", task.TaskId, task.Kind, task.Model);
                        if (await Compute(client, runner, imaging, deep, task, ct) is not { } computed)
                        {
                            gate.Failed(task, "the local computation was declined (see the agent's log)");
                            return;
                        }
                        var (result, global) = computed;
                        _maskedInputs[task.TaskId] = masked = AggregationVector.SerializeMasked(secure.Mask(task, Contribution(task, result, global, secure.Threshold(task))));
                    }
                    var header = new UploadHeader
                    {
                        SiteId = _o.SiteId, TaskId = task.TaskId, StudyId = task.StudyId, Round = task.Round, Kind = task.Kind,
                        SecaggStage = SecAggStage.Mask,
                    };
                    await UploadOnce(client, task, header, masked, ct);
                    // The masked input left the site: the round counts against the policy, and a DP round against the budget.
                    if (_done.Contains(task.TaskId)) gate.Completed(task);
                    break;
                default:
                    log.LogError("Task {Task}: unknown secure-aggregation stage {Stage}; ignored", task.TaskId, task.Secagg.Stage);
                    _done.Add(task.TaskId);
                    break;
            }
        }
        catch (Exception e) when (e is SecAggException or ArgumentException)
        {
            log.LogError("Task {Task}: secure aggregation refused ({Stage}): {Reason}", task.TaskId, task.Secagg.Stage, e.Message);
            gate.Failed(task, e.Message);
            _done.Add(task.TaskId);
        }
    }

    /// <summary>What this site adds to the secure sum (layout: AggregationVector).</summary>
    private double[] Contribution(SiteTask task, LocalResult result, ModelWeights global, int threshold)
    {
        if (task.Kind == TaskKind.Standardise) return AggregationVector.Compose(result.Payload, 1, 0, result.SampleCount);
        if (task.Privacy is { DpMode.Length: > 0 } dp)
        {
            var (delta, info) = PrivateUpdate.Privatize(result.Payload, global, dp, dp.DpMode == "central" ? threshold : null, _noise);
            log.LogInformation("Task {Task}: update norm {Norm:G4}{Clipped}, Gaussian noise SD {Sd:G4} added ({Mode} DP)", task.TaskId, info.NormBeforeClipping, info.Clipped ? " clipped" : "", info.NoiseStandardDeviation, dp.DpMode);
            return AggregationVector.Compose(delta, 1, 0, 1);
        }
        var n = result.SampleCount;
        return AggregationVector.Compose(result.Payload, n, n * result.Metrics["loss"], n);
    }

    private async Task SubmitSecAgg(CoordinatorClient client, SiteTask task, SecAggReply reply, CancellationToken ct)
    {
        try
        {
            var ack = await client.Site.SubmitSecAggAsync(reply, cancellationToken: ct);
            log.LogInformation("Task {Task}: {Stage} sent ({Message})", task.TaskId, reply.Stage, ack.Message);
            _done.Add(task.TaskId);
        }
        catch (RpcException e) when (!Backoff.IsTransient(e))
        {
            log.LogError("Task {Task}: {Stage} refused by the coordinator ({Status}: {Detail})", task.TaskId, reply.Stage, e.StatusCode, e.Status.Detail);
            _done.Add(task.TaskId);
        }
    }

    /// <summary>Uploads a task's result; a permanent refusal is logged and the task is not tried again.</summary>
    private async Task UploadOnce(CoordinatorClient client, SiteTask task, UploadHeader header, byte[] payload, CancellationToken ct)
    {
        try
        {
            var response = await client.Upload(header, payload, ct);
            log.LogInformation("Task {Task}: {Outcome} ({Message})", task.TaskId, response.Outcome, response.Message);
            _done.Add(task.TaskId);
            status.TaskDone(refused: header.Refused);
        }
        catch (RpcException e) when (!Backoff.IsTransient(e))
        {
            // Refused for good (late, not selected, invalid): retrying would not help.
            log.LogError("Task {Task}: result refused by the coordinator ({Status}: {Detail})", task.TaskId, e.StatusCode, e.Status.Detail);
            _done.Add(task.TaskId);
        }
    }

    /// <summary>Tells the coordinator that this site's policy refuses the task, and why (the site's audit log has it too).</summary>
    private async Task Refuse(CoordinatorClient client, SiteTask task, string reason, CancellationToken ct)
    {
        log.LogWarning("Task {Task} refused by this site's policy: {Reason}", task.TaskId, reason);
        var header = new UploadHeader
        {
            SiteId = _o.SiteId, TaskId = task.TaskId, StudyId = task.StudyId, Round = task.Round, Kind = task.Kind, Refused = true,
        };
        var payload = task.Kind is TaskKind.Statistics or TaskKind.Prepare
            ? FedRad.Statistics.Protocol.ProtocolJson.SerializeRefusal(new FedRad.Statistics.Protocol.SiteRefusal(_o.SiteId, FedRad.Statistics.Protocol.RefusalCause.NotPermitted, reason))
            : reason;
        await UploadOnce(client, task, header, System.Text.Encoding.UTF8.GetBytes(payload), ct);
    }

    private async Task AnswerStatistics(CoordinatorClient client, StatisticsTaskHandler handler, SiteTask task, CancellationToken ct)
    {
        if (_done.Contains(task.TaskId)) return;
        var reply = handler.Answer(task.StatisticsRequest);
        log.LogInformation("Statistics task {Task}: {Summary}", task.TaskId, reply.Summary);
        var header = new UploadHeader
        {
            SiteId = _o.SiteId, TaskId = task.TaskId, Kind = TaskKind.Statistics, SampleCount = reply.Count, Refused = reply.Refused,
        };
        await UploadOnce(client, task, header, System.Text.Encoding.UTF8.GetBytes(reply.Json), ct);
    }

    /// <summary>Columns a study task needs beside its features and label: covariates and inclusion-filter columns.</summary>
    private static List<string> StudyColumns(SiteTask task) => [.. task.Covariates, .. task.Inclusion.Select(f => f.Column)];

    /// <summary>Answers a study's preparation request about the study's cohort (after its inclusion filters).</summary>
    private async Task AnswerPreparation(CoordinatorClient client, PrepareTaskHandler handler, ImagingCohort imaging, SiteTask task, CancellationToken ct)
    {
        if (_done.Contains(task.TaskId)) return;
        StatisticsReply reply;
        try
        {
            var path = task.Imaging is null ? _o.CohortPath : await imaging.Build(task.Imaging, task.FeatureNames, task.LabelColumn, ct, StudyColumns(task));
            reply = handler.Answer(task, path, task.Imaging is null ? path : imaging.FilterSource);
        }
        catch (CohortFormatException e) { reply = handler.Refuse(FedRad.Statistics.Protocol.RefusalCause.InvalidData, e.Message); }
        log.LogInformation("Preparation task {Task}: {Summary}", task.TaskId, reply.Summary);
        var header = new UploadHeader
        {
            SiteId = _o.SiteId, TaskId = task.TaskId, StudyId = task.StudyId, Kind = TaskKind.Prepare, SampleCount = reply.Count, Refused = reply.Refused,
        };
        await UploadOnce(client, task, header, System.Text.Encoding.UTF8.GetBytes(reply.Json), ct);
    }

    private async Task<int> RegisterUntilAccepted(CoordinatorClient client, CancellationToken ct)
    {
        var backoff = new Backoff(_o.MaxBackoffSeconds);
        while (true)
        {
            try
            {
                var request = new RegisterRequest { SiteId = _o.SiteId, AgentVersion = Version };
                request.Capabilities.AddRange(Capabilities);
                var response = await client.Site.RegisterAsync(request, cancellationToken: ct);
                log.LogInformation("Registered as {Site} with {Url}", _o.SiteId, client.Url);
                status.Contact(client.Url);
                return Math.Max(1, response.HeartbeatIntervalSeconds);
            }
            catch (RpcException e) when (Backoff.IsTransient(e) && !ct.IsCancellationRequested)
            {
                var wait = backoff.Next();
                log.LogWarning("Coordinator {Url} not reachable ({Status}); retrying in {Wait:F1}s", client.Url, e.StatusCode, wait.TotalSeconds);
                client.Failover();
                await Delay(wait, ct);
            }
        }
    }

    private async Task HeartbeatLoop(CoordinatorClient client, int intervalSeconds, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            await Delay(TimeSpan.FromSeconds(intervalSeconds), ct);
            if (ct.IsCancellationRequested) break;
            try
            {
                await client.Site.HeartbeatAsync(new HeartbeatRequest { SiteId = _o.SiteId }, cancellationToken: ct);
                status.Contact(client.Url);
            }
            catch (RpcException e) { log.LogDebug("Heartbeat failed: {Status}", e.StatusCode); }
        }
    }

    private static async Task Delay(TimeSpan wait, CancellationToken ct)
    {
        try { await Task.Delay(wait, ct); } catch (OperationCanceledException) { }
    }
}
