using FedRad.Statistics.Analyses;
using FedRad.Statistics.Coordinator;
using FedRad.Statistics.Data;
using FedRad.Statistics.Site;

namespace FedRad.Statistics.Simulation;

/// <summary>Local CSV tables, one per site, each behind its own <see cref="StatisticsSite"/> and
/// in-process channel. The site's name is the file name without extension.</summary>
public sealed class SimulatedSites
{
    private SimulatedSites(IReadOnlyList<(string Name, string Path, SiteTable Table, InProcessSiteChannel Channel)> sites) => Sites = sites;

    public IReadOnlyList<(string Name, string Path, SiteTable Table, InProcessSiteChannel Channel)> Sites { get; }

    public static SimulatedSites Load(IReadOnlyList<string> paths, SiteOptions? options = null)
    {
        if (paths.Count == 0) throw new StatisticsInputException("no site: give one --site FILE.csv per site");
        var sites = new List<(string, string, SiteTable, InProcessSiteChannel)>();
        foreach (var path in paths)
        {
            var name = System.IO.Path.GetFileNameWithoutExtension(path);
            if (name.Length == 0) throw new StatisticsInputException($"{path}: cannot name a site after this file");
            if (sites.Any(s => s.Item1 == name))
                throw new StatisticsInputException($"{path}: two site files are named '{name}'; site names come from file names and must differ");
            var table = CsvTable.Read(path);
            sites.Add((name, path, table, new InProcessSiteChannel(new StatisticsSite(name, table, options))));
        }
        return new SimulatedSites(sites);
    }

    /// <summary>The sites as an analysis addresses them.</summary>
    public IReadOnlyList<SiteEndpoint> Endpoints => Sites.Select(s => new SiteEndpoint(s.Name, s.Path, s.Channel, s.Table)).ToList();

    public Federation Federation(IEnumerable<string>? only = null) =>
        new(Sites.Where(s => only is null || only.Contains(s.Name)).Select(s => s.Channel));
}
