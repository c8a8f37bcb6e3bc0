using FedRad.Statistics.Protocol;

namespace FedRad.Statistics.Coordinator;

/// <summary>
/// The sites taking part in an analysis, reached through their <see cref="ISiteChannel"/>s.
/// Coordinator-side algorithms only ever see what the channels return: aggregates.
/// </summary>
public sealed class Federation
{
    public Federation(IEnumerable<ISiteChannel> sites)
    {
        Sites = sites.ToArray();
        if (Sites.Count == 0) throw new AnalysisFailedException("no site takes part in the analysis");
        var duplicate = Sites.GroupBy(s => s.Site).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new AnalysisFailedException($"site name '{duplicate.Key}' is used twice");
    }

    public IReadOnlyList<ISiteChannel> Sites { get; }

    public IEnumerable<string> Names => Sites.Select(s => s.Site);

    /// <summary>The same federation without one site (leave-one-site-out training).</summary>
    public Federation Without(string site) => new(Sites.Where(s => s.Site != site));

    /// <summary>Only one site (validation on the site left out).</summary>
    public Federation Only(string site) => new(Sites.Where(s => s.Site == site));

    /// <summary>Sends the same request to every site (concurrently) and returns the aggregates in
    /// site order. A refusal stops the analysis: it propagates as <see cref="SiteRefusedException"/>.</summary>
    public async Task<IReadOnlyList<TAggregate>> AskAllAsync<TAggregate>(SiteRequest<TAggregate> request, CancellationToken ct = default)
        where TAggregate : SiteAggregate =>
        await AskEachAsync(_ => request, ct);

    /// <summary>Sends each site its own request.</summary>
    public async Task<IReadOnlyList<TAggregate>> AskEachAsync<TAggregate>(Func<ISiteChannel, SiteRequest<TAggregate>> request, CancellationToken ct = default)
        where TAggregate : SiteAggregate
    {
        var tasks = Sites.Select(s => s.SendAsync(request(s), ct)).ToArray();
        try
        {
            return await Task.WhenAll(tasks);
        }
        catch (SiteRefusedException)
        {
            // report the first site (in site order) that refused, not whichever finished first
            foreach (var t in tasks)
                if (t.Exception?.InnerException is SiteRefusedException refused) throw refused;
            throw;
        }
    }
}

/// <summary>A federated analysis that cannot give a valid result (collinear or constant features,
/// separation, no convergence, too few events), with the cause and, where it lies with one
/// site, that site's name. Nothing is reported as a result.</summary>
public sealed class AnalysisFailedException(string message) : Exception(message);
