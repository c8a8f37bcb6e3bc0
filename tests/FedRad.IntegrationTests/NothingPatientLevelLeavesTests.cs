using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using FedRad.Cli.Demo;
using FedRad.Dicom;
using FedRad.IntegrationTests.Infrastructure;
using FedRad.Protocol.V1;
using Grpc.Net.Client;

namespace FedRad.IntegrationTests;

/// <summary>
/// Every byte two sites send during a whole imaging study (feature extraction from DICOM at the
/// site, the standardisation round, training, evaluation) is recorded by a proxy on the wire, and
/// searched for every per-patient value the sites hold: patient identifiers and names, DICOM UIDs,
/// and each patient's radiomics feature values (as the float64 bytes a payload would carry and as
/// decimal text). None may appear.
/// </summary>
public sealed class NothingPatientLevelLeavesTests
{
    [Fact]
    public async Task No_patient_identifier_DICOM_value_or_feature_value_leaves_a_site()
    {
        await using var cluster = new Cluster();
        await cluster.StartCoordinator();
        var data = DemoDataSets.Dicom(2, Path.Combine(cluster.Root, "sites"));
        var proxies = data.Sites.ToDictionary(s => s.SiteId, _ => new RecordingProxy(new Uri(cluster.Url)));
        foreach (var site in data.Sites)
            cluster.Sites[site.SiteId] = FedradProcess.Start(site.SiteId, "site", "--coordinator", proxies[site.SiteId].Url, "--site-id", site.SiteId, "--data", site.DataDirectory);
        await cluster.WaitForRegistered(2);

        var spec = new StudySpec
        {
            StudyId = "no-leak", Model = "logreg", LabelColumn = data.LabelColumn, Rounds = 3, MinSites = 2, RoundTimeoutSeconds = 300,
            Imaging = data.Imaging, Training = new TrainingConfig { LocalEpochs = 2, LearningRate = 0.1, L2 = 1e-3, BatchSize = 16, Seed = 5 },
        };
        spec.FeatureNames.AddRange(data.Features);
        await cluster.Admin.CreateStudyAsync(new CreateStudyRequest { Spec = spec });
        await cluster.Admin.StartStudyAsync(new StudyRef { StudyId = "no-leak" });
        var status = await cluster.WaitFor("no-leak", s => s.State is StudyState.Completed or StudyState.Failed, TimeSpan.FromMinutes(5));
        Assert.Equal(StudyState.Completed, status.State);

        foreach (var site in data.Sites)
        {
            var sent = proxies[site.SiteId].SentBytes();
            // The recording works: the site's own id and the study's id are on the wire.
            Assert.True(IndexOf(sent, Encoding.UTF8.GetBytes(site.SiteId)) >= 0, "the proxy recorded nothing useful");
            Assert.True(IndexOf(sent, Encoding.UTF8.GetBytes("no-leak")) >= 0, "the proxy recorded nothing useful");

            // ... and doubles inside payloads are found: the standardisation round's sum of the first feature is there.
            var cohort = File.ReadAllLines(Directory.EnumerateFiles(Path.Combine(site.DataDirectory, ".fedrad"), "cohort-*.csv", SearchOption.AllDirectories).Single());
            var sum = 0.0;
            foreach (var row in cohort.Skip(1)) sum += double.Parse(row.Split(',')[1], CultureInfo.InvariantCulture);
            var sumBytes = new byte[8];
            BinaryPrimitives.WriteDoubleLittleEndian(sumBytes, sum);
            Assert.True(IndexOf(sent, sumBytes) >= 0, "the site's aggregate (a feature sum) is not visible in the recording: the search would miss leaked values");

            var secrets = PatientSecrets(site.DataDirectory).ToList();
            Assert.True(secrets.Count > site.Patients * 5, $"too few patient values to search for at {site.SiteId}");
            foreach (var (what, bytes) in secrets)
                Assert.True(IndexOf(sent, bytes) < 0, $"{site.SiteId} sent a patient-level value on the wire: {what}");
        }
        foreach (var p in proxies.Values) p.Dispose();
    }

    /// <summary>What a site holds about its patients: DICOM identifiers and UIDs, and the extracted feature values.</summary>
    private static IEnumerable<(string What, byte[] Bytes)> PatientSecrets(string siteDirectory)
    {
        foreach (var file in Directory.EnumerateFiles(Path.Combine(siteDirectory, "dicom"), "*", SearchOption.AllDirectories).Where((_, i) => i % 7 == 0))
        {
            var ds = DicomFile.Open(file).Dataset;
            foreach (var tag in new[] { DicomTags.PatientID, DicomTags.PatientName, DicomTags.StudyInstanceUID, DicomTags.SeriesInstanceUID, DicomTags.SOPInstanceUID })
                if (ds.GetString(tag) is { Length: >= 6 } value)
                    yield return ($"{tag} '{value}' of {file}", Encoding.UTF8.GetBytes(value));
        }
        // The feature table the site extracted (one row per patient): each value as float64 bytes and as text.
        var wide = Directory.EnumerateFiles(Path.Combine(siteDirectory, ".fedrad"), "*.wide.csv", SearchOption.AllDirectories).Single();
        var lines = File.ReadAllLines(wide);
        var header = lines[0].Split(',');
        foreach (var line in lines.Skip(1))
        {
            var cells = line.Split(',');
            for (var c = 2; c < cells.Length; c++)
            {
                if (!double.TryParse(cells[c], NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || !double.IsFinite(v) || v == Math.Round(v)) continue;
                var raw = new byte[8];
                BinaryPrimitives.WriteDoubleLittleEndian(raw, v);
                yield return ($"{header[c]} of patient {cells[0]} = {v} (float64 bytes)", raw);
                var text = v.ToString("R", CultureInfo.InvariantCulture);
                if (text.Length >= 8) yield return ($"{header[c]} of patient {cells[0]} = {text} (text)", Encoding.ASCII.GetBytes(text));
            }
        }
    }

    private static int IndexOf(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle);

    /// <summary>A TCP relay between a site and the coordinator that keeps every byte the site sends.</summary>
    private sealed class RecordingProxy : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly MemoryStream _sent = new();
        private readonly CancellationTokenSource _stop = new();

        public string Url { get; }

        public RecordingProxy(Uri target)
        {
            _listener.Start();
            Url = $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";
            _ = Accept(target);
        }

        public byte[] SentBytes() { lock (_sent) return _sent.ToArray(); }

        private async Task Accept(Uri target)
        {
            while (!_stop.IsCancellationRequested)
            {
                TcpClient site;
                try { site = await _listener.AcceptTcpClientAsync(_stop.Token); }
                catch (OperationCanceledException) { return; }
                var coordinator = new TcpClient();
                await coordinator.ConnectAsync(target.Host, target.Port);
                _ = Pump(site.GetStream(), coordinator.GetStream(), record: true);
                _ = Pump(coordinator.GetStream(), site.GetStream(), record: false);
            }
        }

        private async Task Pump(NetworkStream from, NetworkStream to, bool record)
        {
            var buffer = new byte[64 * 1024];
            try
            {
                int n;
                while ((n = await from.ReadAsync(buffer, _stop.Token)) > 0)
                {
                    if (record) lock (_sent) _sent.Write(buffer, 0, n);
                    await to.WriteAsync(buffer.AsMemory(0, n), _stop.Token);
                }
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or SocketException) { }
            finally { to.Close(); }
        }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
        }
    }
}
