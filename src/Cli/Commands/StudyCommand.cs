using System.CommandLine;
using System.Text;
using FedRad.Cli.Infrastructure;
using FedRad.Coordinator.Studies;
using FedRad.Protocol.V1;
using Google.Protobuf;
using Grpc.Core;
using Spectre.Console;

namespace FedRad.Cli.Commands;

/// <summary>`fedrad study create|start|status|cancel|list`: define, launch and watch studies on a coordinator (docs/operators.md).</summary>
public static class StudyCommand
{
    public static Command Create()
    {
        var coordinator = new Option<string>("--coordinator") { Description = "coordinator gRPC address", DefaultValueFactory = _ => "http://127.0.0.1:5000", Recursive = true };
        var json = new Option<bool>("--json") { Description = "print JSON instead of a table", Recursive = true };
        var token = new Option<string?>("--token") { Description = $"admin token (default: ${AdminChannel.TokenVariable})", Recursive = true };

        var file = new Argument<FileInfo>("FILE") { Description = "study definition (YAML or JSON; docs/operators.md)" };
        var create = new Command("create", "Validate a study definition file and create the study") { file };
        create.SetAction(async (parse, ct) =>
        {
            CreateStudyRequest request;
            try { request = Read(parse.GetValue(file)!); }
            catch (Exception e) when (e is StudyFileException or IOException or DecoderFallbackException) { return Error(e.Message); }
            return await Call(parse, coordinator, token, json, c => c.CreateStudyAsync(request, cancellationToken: ct));
        });

        var id = new Argument<string>("ID") { Description = "study id" };
        var start = new Command("start", "Start a created study") { id };
        start.SetAction((parse, ct) => Call(parse, coordinator, token, json, c => c.StartStudyAsync(new StudyRef { StudyId = parse.GetValue(id) }, cancellationToken: ct)));

        var statusId = new Argument<string>("ID") { Description = "study id" };
        var watch = new Option<bool>("--watch") { Description = "follow the study live (progress per round and site) until it ends" };
        var status = new Command("status", "Show a study's rounds and results") { statusId, watch };
        status.SetAction(async (parse, ct) =>
        {
            var studyId = parse.GetValue(statusId)!;
            if (!parse.GetValue(watch)) return await Call(parse, coordinator, token, json, c => c.GetStudyAsync(new StudyRef { StudyId = studyId }, cancellationToken: ct));
            using var channel = new AdminChannel(parse.GetValue(coordinator)!, parse.GetValue(token));
            try { return await Watch(channel.Client, studyId, parse.GetValue(json), ct); }
            catch (RpcException e) { return Error($"{e.StatusCode}: {e.Status.Detail}"); }
        });

        var cancelId = new Argument<string>("ID") { Description = "study id" };
        var reason = new Option<string>("--reason") { Description = "why (kept with the study)", DefaultValueFactory = _ => "" };
        var cancel = new Command("cancel", "Cancel a created or running study: its open round's tasks are withdrawn, no round follows") { cancelId, reason };
        cancel.SetAction((parse, ct) => Call(parse, coordinator, token, json,
            c => c.CancelStudyAsync(new CancelStudyRequest { StudyId = parse.GetValue(cancelId), Reason = parse.GetValue(reason) }, cancellationToken: ct)));

        var list = new Command("list", "List the coordinator's studies");
        list.SetAction(async (parse, ct) =>
        {
            using var channel = new AdminChannel(parse.GetValue(coordinator)!, parse.GetValue(token));
            try
            {
                var studies = await channel.Client.ListStudiesAsync(new ListStudiesRequest(), cancellationToken: ct);
                if (parse.GetValue(json)) Console.WriteLine(JsonFormatter.Default.Format(studies));
                else
                {
                    var table = new Table().AddColumns("study", "state", "round", "sites", "pooled AUC", "definition SHA-256");
                    foreach (var s in studies.Studies)
                        table.AddRow(Markup.Escape(s.Spec.StudyId), State(s.State), $"{s.CurrentRound}/{s.Spec.Rounds}", s.EnrolledSites.Count.ToString(),
                            s.Evaluation is { } e ? e.PooledAuc.ToString("F3") : "-", s.DefinitionSha256[..Math.Min(16, s.DefinitionSha256.Length)]);
                    AnsiConsole.Write(table);
                }
                return 0;
            }
            catch (RpcException e) { return Error($"{e.StatusCode}: {e.Status.Detail}"); }
        });

        return new Command("study", "Manage studies on a coordinator") { coordinator, json, token, create, start, status, cancel, list };
    }

    /// <summary>
    /// The study file as the coordinator gets it: its exact text (UTF-8, so the text's hash is the
    /// file's), the settings file it names, read next to it. Checked here first, so that a broken
    /// file is reported with its lines without contacting anyone.
    /// </summary>
    public static CreateStudyRequest Read(FileInfo file)
    {
        if (!file.Exists) throw new IOException($"{file.FullName}: file not found");
        var text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(File.ReadAllBytes(file.FullName));
        var request = new CreateStudyRequest { Definition = text, DefinitionName = file.Name };
        foreach (var reference in StudyFile.ReferencedFiles(text))
        {
            var path = Path.Combine(file.DirectoryName!, reference);
            if (File.Exists(path)) request.Attachments[reference] = File.ReadAllText(path);
        }
        StudyFile.Parse(text, file.Name, request.Attachments);
        return request;
    }

    private static async Task<int> Call(ParseResult parse, Option<string> coordinator, Option<string?> token, Option<bool> json,
        Func<AdminService.AdminServiceClient, AsyncUnaryCall<StudyStatus>> call)
    {
        using var channel = new AdminChannel(parse.GetValue(coordinator)!, parse.GetValue(token));
        try
        {
            var status = await call(channel.Client);
            if (parse.GetValue(json)) Console.WriteLine(JsonFormatter.Default.Format(status));
            else Print(status);
            return 0;
        }
        catch (RpcException e) { return Error($"{e.StatusCode}: {e.Status.Detail}"); }
    }

    /// <summary>
    /// Live view: one bar for the study's rounds and one per enrolled site (rounds it has answered),
    /// the open round's waiting sites in its description. With --json, one status per line at each change.
    /// </summary>
    private static async Task<int> Watch(AdminService.AdminServiceClient admin, string studyId, bool json, CancellationToken ct)
    {
        var status = await admin.GetStudyAsync(new StudyRef { StudyId = studyId }, cancellationToken: ct);
        if (json)
        {
            var last = "";
            while (true)
            {
                var line = JsonFormatter.Default.Format(status);
                if (line != last) Console.WriteLine(line);
                last = line;
                if (Finished(status)) return status.State == StudyState.Completed ? 0 : 1;
                await Task.Delay(500, ct);
                status = await admin.GetStudyAsync(new StudyRef { StudyId = studyId }, cancellationToken: ct);
            }
        }
        await AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .StartAsync(async ctx =>
            {
                var total = TotalRounds(status.Spec);
                var rounds = ctx.AddTask("rounds", maxValue: total);
                var sites = new Dictionary<string, ProgressTask>();
                while (true)
                {
                    var closed = status.Rounds.Where(r => r.State != "open").ToList();
                    var open = status.Rounds.FirstOrDefault(r => r.State == "open");
                    rounds.Value = closed.Count;
                    rounds.Description = Markup.Escape(open is null
                        ? $"{status.Spec.StudyId}: {State(status.State)}"
                        : $"{status.Spec.StudyId}: round {open.Round} ({open.Kind.ToString().ToLowerInvariant()}) {open.Participants.Count}/{open.SelectedSites.Count} answered");
                    foreach (var site in status.EnrolledSites)
                    {
                        if (!sites.TryGetValue(site, out var bar)) sites[site] = bar = ctx.AddTask(site, maxValue: total);
                        bar.Value = status.Rounds.Count(r => r.Participants.Contains(site));
                        var waiting = open is not null && open.SelectedSites.Contains(site) && !open.Participants.Contains(site);
                        bar.Description = Markup.Escape($"  {site}{(waiting ? $" (round {open!.Round}: waiting)" : "")}");
                    }
                    if (Finished(status))
                    {
                        foreach (var bar in sites.Values.Append(rounds)) bar.StopTask();
                        return;
                    }
                    await Task.Delay(500, ct);
                    status = await admin.GetStudyAsync(new StudyRef { StudyId = studyId }, cancellationToken: ct);
                }
            });
        Print(status);
        return status.State == StudyState.Completed ? 0 : 1;
    }

    private static bool Finished(StudyStatus s) => s.State is StudyState.Completed or StudyState.Failed or StudyState.Cancelled;

    /// <summary>Standardisation (unless turned off), the training rounds, the evaluation round.</summary>
    private static int TotalRounds(StudySpec spec) => spec.Rounds + 1 + (spec.NoStandardisation ? 0 : 1);

    private static string State(StudyState s) => s.ToString().ToLowerInvariant();

    public static void Print(StudyStatus s)
    {
        AnsiConsole.MarkupLine($"[bold]{Markup.Escape(s.Spec.StudyId)}[/]  {State(s.State)}  round {s.CurrentRound}/{s.Spec.Rounds}");
        // Plain output: a hash is copied by people and scripts, and must not wrap.
        if (s.DefinitionSha256.Length > 0) Console.WriteLine($"definition SHA-256: {s.DefinitionSha256}");
        if (s.EnrolledSites.Count > 0) AnsiConsole.MarkupLine($"[grey]sites:[/] {Markup.Escape(string.Join(", ", s.EnrolledSites))}");
        if (s.FailureReason.Length > 0) AnsiConsole.MarkupLine($"[red]{Markup.Escape(s.FailureReason)}[/]");
        if (s.Preparation is { } p) PrintPreparation(p);
        if (s.Spec.Privacy is { } privacy)
        {
            var parts = new List<string>();
            if (privacy.SecureAggregation) parts.Add("secure aggregation");
            if (privacy.MinCohort > 0) parts.Add($"min cohort {privacy.MinCohort}");
            if (privacy.DifferentialPrivacy is { } dp)
                parts.Add(FormattableString.Invariant($"DP ({dp.Noise} noise, clip {dp.ClipNorm:G4}, noise multiplier {dp.NoiseMultiplier:G4}): ε spent {s.DpEpsilon:0.###} of {dp.Epsilon:G4} at δ = {dp.Delta:G3}"));
            AnsiConsole.MarkupLine($"[grey]privacy:[/] {Markup.Escape(string.Join("; ", parts))}");
        }
        var dpColumn = s.Spec.Privacy?.DifferentialPrivacy is not null;
        var rounds = new Table().AddColumns(["round", "kind", "state", "participants", "duration", "rejected", "loss", .. dpColumn ? ["ε"] : Array.Empty<string>(), "closed because"]);
        foreach (var r in s.Rounds)
        {
            var seconds = r.ClosedUnixMs > 0 ? $"{(r.ClosedUnixMs - r.StartedUnixMs) / 1000.0:F1} s" : "-";
            rounds.AddRow([r.Round.ToString(), r.Kind.ToString(), r.State, $"{r.Participants.Count}/{r.SelectedSites.Count}", seconds, r.RejectedUpdates.ToString(),
                double.IsNaN(r.Loss) ? "-" : r.Loss.ToString("F4"), .. dpColumn ? [r.DpEpsilon > 0 ? r.DpEpsilon.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture) : "-"] : Array.Empty<string>(),
                Markup.Escape(r.CloseReason)]);
        }
        AnsiConsole.Write(rounds);
        if (s.Evaluation is { } e)
        {
            var sites = new Table().AddColumns("site", "n evaluated", "AUC", "log-loss");
            foreach (var site in e.Sites) sites.AddRow(Markup.Escape(site.SiteId), site.N.ToString(), site.Auc.ToString("F3"), site.Loss.ToString("F4"));
            sites.AddRow("[bold]pooled[/]", e.PooledN.ToString(), e.PooledAuc.ToString("F3"), e.PooledLoss.ToString("F4"));
            AnsiConsole.Write(sites);
        }
        if (s.LeaveOneSiteOut.Count > 0)
        {
            var folds = new Table { Title = new TableTitle("leave-one-site-out") }.AddColumns("site left out", "trained on", "state", "rounds", "n", "AUC", "95% CI", "note");
            foreach (var f in s.LeaveOneSiteOut)
                folds.AddRow(Markup.Escape(f.SiteId), Markup.Escape(string.Join(", ", f.TrainingSites)), f.State, $"{f.FirstRound}-{f.LastRound}",
                    f.State == "completed" ? f.N.ToString() : "-", double.IsFinite(f.Auc) ? f.Auc.ToString("F3") : "-",
                    double.IsFinite(f.AucCiLow) && double.IsFinite(f.AucCiHigh) ? $"[[{f.AucCiLow:F3}, {f.AucCiHigh:F3}]]" : "-", Markup.Escape(f.Note));
            AnsiConsole.Write(folds);
        }
    }

    /// <summary>The study's preparation: per site included/excluded (or its refusal), the selected features.</summary>
    private static void PrintPreparation(StudyPreparation p)
    {
        AnsiConsole.MarkupLine($"[grey]preparation:[/] {Markup.Escape(p.State)}" +
            (p.SelectedFeatures.Count > 0 ? $"  features: {Markup.Escape(string.Join(", ", p.SelectedFeatures))}" : ""));
        if (p.Sites.Count == 0) return;
        var table = new Table().AddColumns("site", "included", "excluded", "refused");
        foreach (var site in p.Sites) table.AddRow(Markup.Escape(site.SiteId), site.Included.ToString(), site.Excluded.ToString(), Markup.Escape(site.Refused));
        AnsiConsole.Write(table);
    }

    private static int Error(string message)
    {
        Console.Error.WriteLine($"error: {message}");
        return 1;
    }
}
