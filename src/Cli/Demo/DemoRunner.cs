using System.Diagnostics;
using FedRad.Cli.Commands;
using FedRad.Cli.Infrastructure;
using FedRad.Cli.Reports;
using FedRad.Reports;
using FedRad.Coordinator.Hosting;
using FedRad.Protocol.V1;
using FedRad.SiteAgent.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace FedRad.Cli.Demo;

/// <summary>
/// The embedded demo: synthetic site cohorts, one coordinator and N site agents in this process,
/// talking gRPC over loopback exactly as separate machines would.
/// </summary>
/// <param name="cnn">Run a 3D CNN on PET/CT patches instead of radiomics features (<see cref="DeepDemo"/>).</param>
public sealed class DemoRunner(int sites, int rounds, string outDir, bool fromImages, bool cnn = false)
{
    /// <summary>pet: synthetic PET/CT studies (the default); spect: synthetic SPECT/CT studies with each site's camera calibration.</summary>
    public string Modality { get; init; } = "pet";

    public async Task<StudyReport> Run(CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        Directory.CreateDirectory(outDir);
        var logs = new FileLoggerProvider(Path.Combine(outDir, "logs", "demo.log"), LogLevel.Information);
        void Logging(ILoggingBuilder b)
        {
            b.ClearProviders();
            b.AddProvider(logs);
            b.SetMinimumLevel(LogLevel.Information);
            b.AddFilter("Orleans", LogLevel.Warning);
            b.AddFilter("Microsoft", LogLevel.Warning);
            b.AddFilter("MassTransit", LogLevel.Warning);
        }

        var sitesRoot = Path.Combine(outDir, "sites");
        if (Directory.Exists(sitesRoot)) Directory.Delete(sitesRoot, recursive: true);
        var data = cnn || fromImages ? WriteImages(sitesRoot) : DemoDataSets.Tabular(sites, sitesRoot);
        foreach (var site in data.Sites) AnsiConsole.MarkupLine($"[grey]{site.SiteId}:[/] {Markup.Escape(site.Description)}");

        var auditPath = Path.Combine(outDir, "audit.jsonl");
        if (File.Exists(auditPath)) File.Delete(auditPath);
        var coordinator = CoordinatorHost.Build(new CoordinatorOptions
        {
            Urls = "http://127.0.0.1:0",
            SiloPort = FreePort.Next(),
            GatewayPort = FreePort.Next(),
            AuditLogPath = auditPath,
            // Every model, site update and evaluation aggregate the coordinator received, one file each (SHA-256 named).
            BlobDirectory = Path.Combine(outDir, "blobs"),
            ServiceId = "fedrad-demo",
            AutoApproveSites = true, // the demo's own synthetic hospitals
        }, Logging);
        await coordinator.StartAsync(ct);
        var url = CoordinatorHost.BoundAddress(coordinator);
        AnsiConsole.MarkupLine($"[grey]coordinator:[/] {url}");

        var agents = data.Sites.Select(site => SiteAgentHost.Build(new SiteAgentOptions
        {
            CoordinatorUrl = url,
            SiteId = site.SiteId,
            DataDirectory = site.DataDirectory,
            SpectCalibrationPath = SpectDemoData.CalibrationPathOf(site.DataDirectory),
        }, Logging)).ToList();
        foreach (var agent in agents) await agent.StartAsync(ct);

        try
        {
            using var admin = new AdminChannel(url);
            await WaitForSites(admin.Client, sites, ct);
            var spec = new StudySpec
            {
                StudyId = "demo",
                Model = "logreg",
                LabelColumn = data.LabelColumn,
                Rounds = rounds,
                MinSites = Math.Max(1, sites - 1),
                // The first round extracts every lesion's radiomics features at the sites.
                RoundTimeoutSeconds = fromImages ? 600 : 30,
                Strategy = "fedavg",
                Training = new TrainingConfig { LocalEpochs = 3, LearningRate = 0.1, L2 = 1e-3, BatchSize = 32, Seed = 7 },
                Imaging = data.Imaging,
            };
            spec.FeatureNames.AddRange(data.Features);
            if (cnn) spec = await DeepDemo.Spec(admin.Client, data, sites, rounds, ct);
            await admin.Client.CreateStudyAsync(new CreateStudyRequest { Spec = spec }, cancellationToken: ct);
            await admin.Client.StartStudyAsync(new StudyRef { StudyId = spec.StudyId }, cancellationToken: ct);

            var status = await Watch(admin.Client, spec, ct);
            var report = StudyReport.From(status, clock.Elapsed.TotalSeconds);
            report.Write(Path.Combine(outDir, "report.json"));
            if (status.State == StudyState.Completed)
            {
                // The statisticians' validation report (HTML with plots, CSV tables), as `fedrad report` writes it.
                var detail = await admin.Client.GetEvaluationDetailAsync(new StudyRef { StudyId = spec.StudyId }, cancellationToken: ct);
                ValidationReportWriter.Write(StudyValidation.From(status, detail, DateTimeOffset.UtcNow), Path.Combine(outDir, "validation"));
            }
            StudyCommand.Print(status);
            AnsiConsole.MarkupLine($"[green]report:[/] {Path.Combine(outDir, "report.json")}   [green]validation:[/] {Path.Combine(outDir, "validation", ValidationReportWriter.HtmlFile)}   [grey]audit log:[/] {auditPath}   [grey]{report.DurationSeconds:F1} s[/]");
            return report;
        }
        finally
        {
            foreach (var agent in agents) await agent.StopAsync(CancellationToken.None);
            await coordinator.StopAsync(CancellationToken.None);
            logs.Dispose();
        }
    }

    private DemoData WriteImages(string root)
    {
        DemoData data = null!;
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(ctx =>
            {
                var bar = ctx.AddTask(Modality == "spect" ? "writing synthetic SPECT/CT DICOM" : "writing synthetic PET/CT DICOM");
                var progress = new SynchronousProgress<(int Done, int Total)>(p =>
                {
                    bar.MaxValue = p.Total;
                    bar.Value = p.Done;
                });
                data = cnn ? DeepDemo.WriteSites(sites, root, progress)
                    : Modality == "spect" ? SpectDemoData.Write(sites, root, progress) : DemoDataSets.Dicom(sites, root, progress);
            });
        return data;
    }

    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }

    private static async Task WaitForSites(AdminService.AdminServiceClient admin, int expected, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((await admin.ListSitesAsync(new ListSitesRequest(), cancellationToken: ct)).Sites.Count < expected)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"fewer than {expected} sites registered within 30 s");
            await Task.Delay(50, ct);
        }
    }

    /// <summary>Polls the study and shows one progress bar for the rounds.</summary>
    private static async Task<StudyStatus> Watch(AdminService.AdminServiceClient admin, StudySpec spec, CancellationToken ct)
    {
        StudyStatus status = null!;
        await AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .StartAsync(async ctx =>
            {
                var total = spec.Rounds + 1 + (spec.NoStandardisation ? 0 : 1);
                var bar = ctx.AddTask("federated rounds", maxValue: total);
                while (true)
                {
                    status = await admin.GetStudyAsync(new StudyRef { StudyId = spec.StudyId }, cancellationToken: ct);
                    var closed = status.Rounds.Count(r => r.State != "open");
                    var last = status.Rounds.LastOrDefault(r => r.Kind == TaskKind.Train && r.State == "completed");
                    bar.Value = closed;
                    bar.Description = last is not null ? $"round {last.Round}/{spec.Rounds}  loss {last.Loss:F4}"
                        : spec.Imaging is not null ? "sites extract radiomics, standardise"
                        : "standardising features";
                    if (status.State is StudyState.Completed or StudyState.Failed) break;
                    await Task.Delay(100, ct);
                }
                bar.Value = bar.MaxValue;
            });
        return status;
    }
}
