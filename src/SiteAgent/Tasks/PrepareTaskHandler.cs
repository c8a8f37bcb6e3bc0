using System.Text.Json;
using FedRad.Learning.Data;
using FedRad.Protocol.V1;
using FedRad.SiteAgent.Cohorts;
using FedRad.Statistics.Data;
using FedRad.Statistics.Protocol;
using FedRad.Statistics.Site;

namespace FedRad.SiteAgent.Tasks;

/// <summary>
/// Answers a study's preparation requests (TASK_KIND_PREPARE: eligibility, the ComBat fit, feature selection) with
/// <see cref="StatisticsSite"/> on the study's own cohort: the site's table after the study's inclusion filters.
/// The site's minimum count applies to every aggregate as for any statistics request; the eligibility answer also
/// says how many patients the filters excluded. Patients the site holds out for evaluation (column split = test) take no
/// part: the preparation, like training, is fitted on the training patients, and its counts are theirs.
/// </summary>
public sealed class PrepareTaskHandler(string siteId, int minimumCount)
{
    /// <param name="tablePath">The study's table at this site (cohort.csv, or the table joined from its images).</param>
    /// <param name="filterSource">Where the inclusion filters' columns are looked up, for messages.</param>
    public StatisticsReply Answer(SiteTask task, string tablePath, string filterSource)
    {
        SiteRequest request;
        try { request = ProtocolJson.DeserializeRequest(task.StatisticsRequest); }
        catch (Exception e) when (e is JsonException or NotSupportedException)
        {
            return Refuse(RefusalCause.InvalidData, $"the request is not a statistics request this agent understands: {e.Message}");
        }
        try
        {
            var (filtered, excluded) = StudyCohort.Filtered(tablePath, task, filterSource);
            // Fitted on the training patients only: a held-out patient (split = test) never shapes the model.
            var table = StudyCohort.Training(filtered);
            // The study may ask for a larger minimum than the site's own (privacy.min_cohort); the larger applies.
            var minimum = Math.Max(minimumCount, task.Privacy?.MinCohort ?? 0);
            var aggregate = new StatisticsSite(siteId, table, new SiteOptions { MinimumCount = minimum }).Handle(request);
            if (aggregate is EligibilityAggregate eligibility) aggregate = eligibility with { Excluded = excluded };
            return new StatisticsReply(ProtocolJson.SerializeAggregate(aggregate), false, aggregate.Count,
                $"{aggregate.GetType().Name} from {aggregate.Count} patients ({excluded} excluded by the study's inclusion filters, {filtered.RowCount - table.RowCount} held out)");
        }
        catch (SiteRefusedException e)
        {
            return new StatisticsReply(ProtocolJson.SerializeRefusal(e.Refusal), true, 0, $"refused: {e.Refusal.Reason}");
        }
        catch (Exception e) when (e is StatisticsInputException or CohortFormatException)
        {
            return Refuse(RefusalCause.InvalidData, e.Message);
        }
    }

    public StatisticsReply Refuse(RefusalCause cause, string reason) =>
        new(ProtocolJson.SerializeRefusal(new SiteRefusal(siteId, cause, reason)), true, 0, $"refused: {reason}");
}
