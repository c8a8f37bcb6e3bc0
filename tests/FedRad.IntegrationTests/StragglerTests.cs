using FedRad.IntegrationTests.Infrastructure;
using FedRad.Protocol.V1;

namespace FedRad.IntegrationTests;

/// <summary>A site whose agent dies stops sending heartbeats: it is reported unhealthy, and the audit says when.</summary>
public sealed class StragglerTests
{
    [Fact]
    public async Task A_site_that_misses_its_heartbeats_is_marked_unhealthy()
    {
        await using var cluster = new Cluster();
        await cluster.StartCoordinator("--unhealthy-after", "3");
        await cluster.StartSites(2);
        var sites = await cluster.Admin.ListSitesAsync(new ListSitesRequest());
        Assert.All(sites.Sites, s => Assert.True(s.Healthy));

        cluster.Sites["site-2"].KillHard();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        ListSitesResponse now;
        do
        {
            await Task.Delay(250);
            now = await cluster.Admin.ListSitesAsync(new ListSitesRequest());
        } while (now.Sites.Single(s => s.SiteId == "site-2").Healthy && DateTime.UtcNow < deadline);

        Assert.False(now.Sites.Single(s => s.SiteId == "site-2").Healthy);
        Assert.True(now.Sites.Single(s => s.SiteId == "site-1").Healthy);
        await Task.Delay(500);
        var audit = await File.ReadAllLinesAsync(cluster.AuditLog);
        Assert.Contains(audit, l => l.Contains("\"event\":\"SiteUnhealthy\"") && l.Contains("\"siteId\":\"site-2\""));
        Assert.DoesNotContain(audit, l => l.Contains("\"event\":\"SiteUnhealthy\"") && l.Contains("\"siteId\":\"site-1\""));
    }
}
