using System.CommandLine;
using FedRad.SiteAgent.Hosting;
using Microsoft.Extensions.Hosting;

namespace FedRad.Cli.Commands;

/// <summary>`fedrad site`: runs a hospital's site agent until stopped.</summary>
public static class SiteCommand
{
    public static Command Create()
    {
        var coordinator = new Option<string>("--coordinator") { Description = "coordinator gRPC address (several silos of one cluster: comma-separated)", Required = true };
        var siteId = new Option<string>("--site-id") { Description = "this site's id", Required = true };
        var data = new Option<string>("--data") { Description = "folder holding the site's cohort.csv", Required = true };
        var minCohort = new Option<int>("--min-cohort") { Description = "refuse any result computed from fewer patients", DefaultValueFactory = _ => 5 };

        var spectCalibration = new Option<string>("--spect-calibration") { Description = "the site's SPECT camera calibration (YAML): SPECT (NM) features in SUV instead of counts", DefaultValueFactory = _ => "" };

        var health = new Option<string>("--health-urls") { Description = "local HTTP address(es) for the agent's /healthz, e.g. http://127.0.0.1:8081", DefaultValueFactory = _ => "" };

        var cert = new Option<string>("--cert") { Description = "this site's certificate (PEM, fedrad pki issue-site): connect with mutual TLS", DefaultValueFactory = _ => "" };
        var key = new Option<string>("--key") { Description = "its private key (PEM, mode 0600)", DefaultValueFactory = _ => "" };
        var ca = new Option<string>("--ca") { Description = "the consortium CA certificate (PEM)", DefaultValueFactory = _ => "" };

        var command = new Command("site", "Run a site agent") { coordinator, siteId, data, minCohort, spectCalibration, health, cert, key, ca };
        command.SetAction(async (parse, ct) =>
        {
            var host = SiteAgentHost.Build(new SiteAgentOptions
            {
                CoordinatorUrl = parse.GetValue(coordinator)!,
                SiteId = parse.GetValue(siteId)!,
                DataDirectory = parse.GetValue(data)!,
                MinCohortSize = parse.GetValue(minCohort),
                SpectCalibrationPath = parse.GetValue(spectCalibration)!,
                HealthUrls = parse.GetValue(health)!,
                CertificatePath = parse.GetValue(cert)!,
                KeyPath = parse.GetValue(key)!,
                CaCertificatePath = parse.GetValue(ca)!,
            });
            await host.RunAsync(ct);
            return 0;
        });
        return command;
    }
}
