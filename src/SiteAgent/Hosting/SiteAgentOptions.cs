namespace FedRad.SiteAgent.Hosting;

/// <summary>Site agent settings (configuration section "SiteAgent").</summary>
public sealed class SiteAgentOptions
{
    public const string Section = "SiteAgent";

    /// <summary>
    /// The coordinator's gRPC address, e.g. "http://coordinator.example.org:5000", or several silos of one
    /// cluster separated by commas (the agent fails over between them). The agent only dials out.
    /// </summary>
    public string CoordinatorUrl { get; set; } = "http://127.0.0.1:5000";

    public string SiteId { get; set; } = "";

    /// <summary>Folder with the site's local data; the cohort table is <see cref="CohortFile"/> inside it.</summary>
    public string DataDirectory { get; set; } = "";

    public string CohortFile { get; set; } = "cohort.csv";

    /// <summary>
    /// The site's SPECT camera calibration file (YAML, docs/imaging.md), for imaging cohorts with NM rows: their features
    /// are then computed in SUV. Empty: SPECT features come from counts (unless the images carry vendor units).
    /// </summary>
    public string SpectCalibrationPath { get; set; } = "";

    /// <summary>The site refuses to compute any result from fewer patients than this.</summary>
    public int MinCohortSize { get; set; } = 5;

    /// <summary>Longest wait between reconnection attempts.</summary>
    public double MaxBackoffSeconds { get; set; } = 10;

    /// <summary>Mutual TLS: the site's certificate and key (fedrad pki issue-site) and the consortium CA; empty: plain HTTP/2.</summary>
    public string CertificatePath { get; set; } = "";
    public string KeyPath { get; set; } = "";
    public string CaCertificatePath { get; set; } = "";

    /// <summary>The site's policy file (what may run here); empty: every task is allowed.</summary>
    public string PolicyPath { get; set; } = "";

    /// <summary>The site's own audit log of policy decisions; default: .fedrad/site-audit.jsonl in the data folder.</summary>
    public string SiteAuditLogPath { get; set; } = "";

    /// <summary>Where `fedrad site approve` records decisions on tasks waiting for manual approval.</summary>
    public string ApprovalsDirectory { get; set; } = "";

    /// <summary>Local HTTP/1.1 address(es) of the agent's /healthz, e.g. "http://127.0.0.1:8081"; empty: none.</summary>
    public string HealthUrls { get; set; } = "";

    /// <summary>The agent reports itself unhealthy when the coordinator has not answered for this long.</summary>
    public int HealthWindowSeconds { get; set; } = 60;

    public string CohortPath => Path.Combine(DataDirectory, CohortFile);
}
