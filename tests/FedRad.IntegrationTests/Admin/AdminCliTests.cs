using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using FedRad.Coordinator.Security;
using FedRad.IntegrationTests.Infrastructure;
using FedRad.Learning.Synthetic;

namespace FedRad.IntegrationTests.Admin;

/// <summary>
/// Operators and statisticians at the command line against a coordinator process that requires admin
/// tokens, with three site-agent processes: tokens and roles, invalid files, unknown sites, starting
/// twice, live status, cancellation, and the validation report of a completed study.
/// </summary>
public sealed class AdminCliTests
{
    private static async Task<(int Code, string Output)> Fedrad(params string[] args) => await FedradProcess.Run(TimeSpan.FromSeconds(90), args);

    private static string Study(string id, int rounds, string sites) => $"""
        # {id}: synthetic cohorts of the integration tests
        study_id: {id}
        feature_names: [{string.Join(", ", SyntheticCohort.FeatureNames)}]
        label_column: {SyntheticCohort.LabelColumn}
        rounds: {rounds}
        site_ids: {sites}
        min_sites: 3
        round_timeout_seconds: 60
        training: {"{"}local_epochs: 2, learning_rate: 0.1, l2: 0.001, batch_size: 32, seed: 3{"}"}
        privacy: {"{"}min_cohort: 5{"}"}
        validation: {"{"}pooled: true, per_site: true, leave_one_site_out: true{"}"}
        """;

    [Fact]
    public async Task Admin_commands_with_tokens_and_roles_from_study_file_to_validation_report()
    {
        var root = Directory.CreateTempSubdirectory("fedrad-admin-it-").FullName;
        string P(params string[] parts) => Path.Combine([root, .. parts]);

        // Tokens: a secret only the coordinator and the issuer read, then one token per role.
        var secret = P("admin.secret");
        Assert.Equal(0, (await Fedrad("token", "secret", "--out", secret)).Code);
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(secret));
        Assert.Contains("exists", (await Fedrad("token", "secret", "--out", secret)).Output);
        async Task<string> Issue(string role, string name)
        {
            var (code, output) = await Fedrad("token", "issue", "--role", role, "--expires", "1d", "--secret-file", secret, "--name", name);
            Assert.Equal(0, code);
            return output.Split('\n').Single(l => l.StartsWith("fedrad1.", StringComparison.Ordinal)).Trim();
        }
        var op = await Issue("operator", "ops");
        var stat = await Issue("statistician", "stats");
        var viewer = await Issue("read-only", "viewer");
        var expired = AdminTokens.FromSecretFile(secret).Issue(AdminRole.Operator, "old", DateTimeOffset.UtcNow.AddDays(-31), DateTimeOffset.UtcNow.AddDays(-1));
        var tampered = op[..^2] + (op[^2] == 'A' ? "BA" : "AB");
        Assert.Contains("--role 'admin' is not a role", (await Fedrad("token", "issue", "--role", "admin", "--secret-file", secret)).Output);

        int httpPort = Cluster.FreePort();
        await using var coordinator = await StartCoordinator(secret, P("audit.jsonl"), httpPort);
        var url = coordinator.Url;
        var sites = new List<FedradProcess>();
        try
        {
            // Refusals at the door: no token, expired, tampered, wrong role. Nothing is created.
            File.WriteAllText(P("good.yaml"), Study("good", rounds: 3, sites: "[site-1, site-2, site-3]"));
            var none = await Fedrad("study", "list", "--coordinator", url);
            Assert.Equal(1, none.Code);
            Assert.Contains("Unauthenticated: admin token required", none.Output);
            Assert.Contains("Unauthenticated: admin token expired at", (await Fedrad("study", "list", "--coordinator", url, "--token", expired)).Output);
            Assert.Contains("Unauthenticated: admin token signature is not valid", (await Fedrad("study", "list", "--coordinator", url, "--token", tampered)).Output);
            var readOnly = await Fedrad("study", "create", P("good.yaml"), "--coordinator", url, "--token", viewer);
            Assert.Equal(1, readOnly.Code);
            Assert.Contains("PermissionDenied: CreateStudy needs the operator role; this token (viewer) is read-only", readOnly.Output);

            // An invalid file is refused with its lines and fields before anything is sent.
            File.WriteAllText(P("bad.yaml"), "study_id: bad\nfeature_names: [a]\nrounds: ten\nsite_ids: [site-1]\nmin_sites: 2\nprivacy: {min_cohort: 0}\n");
            var bad = await Fedrad("study", "create", P("bad.yaml"), "--coordinator", url, "--token", op);
            Assert.Equal(1, bad.Code);
            Assert.Contains("bad.yaml: line 3, field rounds: must be a whole number, got 'ten'", bad.Output);
            Assert.Contains("bad.yaml: line 5, field min_sites: min_sites 2 exceeds the 1 listed sites", bad.Output);
            Assert.Contains("bad.yaml: line 6, field privacy.min_cohort: must be at least 1, got 0", bad.Output);
            var empty = await Fedrad("study", "list", "--coordinator", url, "--token", viewer, "--json");
            Assert.Equal(0, empty.Code);
            Assert.DoesNotContain("studyId", empty.Output);

            foreach (var profile in SyntheticCohort.Profiles(3))
            {
                var dir = P("sites", profile.SiteId);
                SyntheticCohort.WriteSite(profile, dir);
                sites.Add(FedradProcess.Start(profile.SiteId, "site", "--coordinator", url, "--site-id", profile.SiteId, "--data", dir));
            }
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (JsonDocument.Parse(Json((await Fedrad("sites", "list", "--json", "--coordinator", url, "--token", viewer)).Output)).RootElement
                       .TryGetProperty("sites", out var listed) is var has && (!has || listed.GetArrayLength() < 3))
            {
                Assert.True(DateTime.UtcNow < deadline, "the three site agents did not register");
                await Task.Delay(250);
            }

            // A study naming a site that never registered: refused at start, left as created, and no report.
            File.WriteAllText(P("unknown.yaml"), Study("unknown", rounds: 1, sites: "[site-1, site-2, nowhere]"));
            Assert.Equal(0, (await Fedrad("study", "create", P("unknown.yaml"), "--coordinator", url, "--token", op)).Code);
            var unknown = await Fedrad("study", "start", "unknown", "--coordinator", url, "--token", op);
            Assert.Equal(1, unknown.Code);
            Assert.Contains("FailedPrecondition: site 'nowhere' is not registered", unknown.Output);
            var unfinished = await Fedrad("report", "unknown", "--out", P("report-unknown"), "--coordinator", url, "--token", stat);
            Assert.Equal(1, unfinished.Code);
            Assert.Contains("study 'unknown' is created: no report is written until it has completed", unfinished.Output);
            Assert.False(Directory.Exists(P("report-unknown")));

            // The real study: created with the file's hash, started once, watched live to the end.
            var fileSha = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(P("good.yaml"))));
            var created = await Fedrad("study", "create", P("good.yaml"), "--coordinator", url, "--token", op);
            Assert.Equal(0, created.Code);
            Assert.Contains($"definition SHA-256: {fileSha}", created.Output);
            Assert.Equal(0, (await Fedrad("study", "start", "good", "--coordinator", url, "--token", op)).Code);
            // A fast machine may have finished the study already: either way a second start is refused.
            var again = (await Fedrad("study", "start", "good", "--coordinator", url, "--token", op)).Output;
            Assert.Matches("FailedPrecondition: study 'good' is (running|completed); only a created study can be started", again);

            var watched = await Fedrad("study", "status", "good", "--watch", "--json", "--coordinator", url, "--token", viewer);
            Assert.Equal(0, watched.Code);
            var lines = watched.Output.Split('\n').Where(l => l.StartsWith('{')).Select(l => JsonDocument.Parse(l).RootElement).ToList();
            // The watch prints the study each time it changes until it ends (once, if it had already ended).
            Assert.NotEmpty(lines);
            var final = lines[^1];
            Assert.Equal("STUDY_STATE_COMPLETED", final.GetProperty("state").GetString());
            Assert.Equal(fileSha, final.GetProperty("definitionSha256").GetString());
            // Every state printed before the last was a running one.
            Assert.All(lines.SkipLast(1), l => Assert.Equal("STUDY_STATE_RUNNING", l.GetProperty("state").GetString()));
            var pooledAuc = final.GetProperty("evaluation").GetProperty("pooledAuc").GetDouble();

            // The validation report: a statistician may write it, a read-only token may not.
            Assert.Contains("PermissionDenied: GetEvaluationDetail needs the statistician role", (await Fedrad("report", "good", "--out", P("report-ro"), "--coordinator", url, "--token", viewer)).Output);
            var report = await Fedrad("report", "good", "--out", P("report"), "--coordinator", url, "--token", stat);
            Assert.Equal(0, report.Code);
            var html = File.ReadAllText(P("report", "report.html"));
            Assert.Contains(fileSha, html);
            // The study ran leave-one-site-out validation, and its pooled AUC comes from binned scores: the report says both.
            var text = WebUtility.HtmlDecode(html);
            Assert.Contains("validated per site and by leave-one-site-out (internal-external validation).", text);
            Assert.Contains("through the sites' histograms of predicted probabilities in 100 bins", text);
            Assert.DoesNotContain("exactly as a centralised analysis", text);
            Assert.Contains("leave-one-site-out (fitted without the site):", text);
            var discrimination = File.ReadAllLines(P("report", "discrimination.csv"));
            var value = Array.IndexOf(discrimination[0].Split(','), "value");
            var pooledRow = discrimination.Single(l => l.StartsWith("pooled", StringComparison.Ordinal)).Split(',');
            Assert.Equal(pooledAuc, double.Parse(pooledRow[value], CultureInfo.InvariantCulture));
            var folds = final.GetProperty("leaveOneSiteOut").EnumerateArray().ToList();
            Assert.Equal(["site-1", "site-2", "site-3"], folds.Select(f => f.GetProperty("siteId").GetString()));
            var table = await Fedrad("study", "status", "good", "--coordinator", url, "--token", viewer);
            Assert.Equal(0, table.Code);
            Assert.Contains("leave-one-site-out", table.Output);
            foreach (var fold in folds)
            {
                Assert.Contains(fold.GetProperty("auc").GetDouble().ToString("F3", CultureInfo.InvariantCulture), table.Output);
                var row = discrimination.Single(l => l.StartsWith($"leave-one-site-out,{fold.GetProperty("siteId").GetString()},", StringComparison.Ordinal)).Split(',');
                Assert.Equal(fold.GetProperty("auc").GetDouble(), double.Parse(row[value], CultureInfo.InvariantCulture));
            }
            var cohort = File.ReadAllLines(P("report", "cohort.csv"));
            foreach (var profile in SyntheticCohort.Profiles(3))
            {
                var rows = File.ReadAllLines(P("sites", profile.SiteId, "cohort.csv")).Skip(1).ToList();
                var positives = rows.Count(r => r.EndsWith(",1", StringComparison.Ordinal));
                Assert.Contains(cohort, l => l.StartsWith($"{profile.SiteId},yes,{rows.Count},{positives}", StringComparison.Ordinal));
            }

            // Cancelling: a long study stops at once; a second cancel is refused.
            File.WriteAllText(P("long.yaml"), Study("long", rounds: 500, sites: "[site-1, site-2, site-3]"));
            Assert.Equal(0, (await Fedrad("study", "create", P("long.yaml"), "--coordinator", url, "--token", op)).Code);
            Assert.Equal(0, (await Fedrad("study", "start", "long", "--coordinator", url, "--token", op)).Code);
            var cancelled = await Fedrad("study", "cancel", "long", "--reason", "protocol amendment", "--json", "--coordinator", url, "--token", op);
            Assert.Equal(0, cancelled.Code);
            var c = JsonDocument.Parse(Json(cancelled.Output)).RootElement;
            Assert.Equal("STUDY_STATE_CANCELLED", c.GetProperty("state").GetString());
            Assert.Equal("cancelled by ops (operator): protocol amendment", c.GetProperty("failureReason").GetString());
            Assert.Contains("only a created or running study can be cancelled", (await Fedrad("study", "cancel", "long", "--coordinator", url, "--token", op)).Output);

            // The dashboard's data needs a token too; the page itself holds none.
            using var http = new HttpClient();
            var anonymous = await http.GetAsync($"http://127.0.0.1:{httpPort}/dashboard/api/overview");
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
            Assert.Contains("admin token required", await anonymous.Content.ReadAsStringAsync());
            using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{httpPort}/dashboard/api/overview");
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", viewer);
            var overview = JsonDocument.Parse(await (await http.SendAsync(request)).Content.ReadAsStringAsync()).RootElement;
            Assert.Equal(["good", "long", "unknown"], overview.GetProperty("studies").EnumerateArray().Select(s => s.GetProperty("spec").GetProperty("studyId").GetString()));
        }
        finally
        {
            foreach (var s in sites) await s.DisposeAsync();
        }
    }

    /// <summary>The JSON object in a command's output (logs may precede it).</summary>
    private static string Json(string output) => output[output.IndexOf('{')..(output.LastIndexOf('}') + 1)];

    /// <summary>A coordinator process that verifies admin tokens with <paramref name="secret"/> (FEDRAD_ADMIN_SECRET_FILE).</summary>
    private static async Task<CoordinatorProcess> StartCoordinator(string secret, string audit, int httpPort)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[]
                 {
                     Path.Combine(AppContext.BaseDirectory, "fedrad.dll"), "coordinator", "--urls", $"http://127.0.0.1:{Cluster.FreePort()}",
                     "--http-urls", $"http://127.0.0.1:{httpPort}", "--silo-port", Cluster.FreePort().ToString(), "--gateway-port", Cluster.FreePort().ToString(),
                     "--audit-log", audit, "--service-id", "admin-" + Guid.NewGuid().ToString("N")[..8], "--auto-approve-sites",
                 })
            psi.ArgumentList.Add(a);
        psi.Environment[AdminAccess.SecretFileVariable] = secret;
        psi.Environment["DOTNET_gcServer"] = "0";
        var process = Process.Start(psi)!;
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) output.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) output.Enqueue(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            foreach (var line in output)
                if (Regex.Match(line, @"coordinator listening on (\S+)") is { Success: true } m) return new CoordinatorProcess(process, m.Groups[1].Value);
            if (process.HasExited) break;
            await Task.Delay(50);
        }
        process.Kill(entireProcessTree: true);
        throw new InvalidOperationException("the coordinator did not start:\n" + string.Join('\n', output));
    }

    private sealed class CoordinatorProcess(Process process, string url) : IAsyncDisposable
    {
        public string Url => url;

        public async ValueTask DisposeAsync()
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            process.Dispose();
        }
    }
}
