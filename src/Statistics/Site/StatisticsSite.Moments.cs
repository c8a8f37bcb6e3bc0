using FedRad.Statistics.Protocol;

namespace FedRad.Statistics.Site;

public sealed partial class StatisticsSite
{
    private MomentsAggregate Moments(PreparedTable data, MomentsRequest r)
    {
        var x = Columns(data, r.Columns);
        var group = new int[data.RowCount];
        var groups = 1;
        if (r.GroupBy is not null)
        {
            group = data.Binary(r.GroupBy);
            RequireClasses(data, group, r.GroupBy);
            groups = 2;
        }
        else RequirePatients(data, data.RowCount);
        if (r.Centres is not null && r.Centres.Count != groups)
            throw data.Refuse(RefusalCause.InvalidData, $"moments: {r.Centres.Count} centres for {groups} group(s)");

        var p = x.Length;
        var result = new List<MomentGroup>();
        for (var g = 0; g < groups; g++)
        {
            var count = 0;
            var sums = new double[p];
            var centre = r.Centres?[g];
            var cross = centre is null ? null : Numerics.Dense.Zeros(p, p);
            var d = new double[p];
            for (var i = 0; i < data.RowCount; i++)
            {
                if (group[i] != g) continue;
                count++;
                for (var j = 0; j < p; j++) sums[j] += x[j][i];
                if (cross is null) continue;
                for (var j = 0; j < p; j++) d[j] = x[j][i] - centre![j];
                for (var j = 0; j < p; j++)
                    for (var k = j; k < p; k++) cross[j][k] += d[j] * d[k];
            }
            if (cross is not null)
                for (var j = 0; j < p; j++)
                    for (var k = 0; k < j; k++) cross[j][k] = cross[k][j];
            result.Add(new MomentGroup { Count = count, Sums = sums, CentredCrossProducts = cross });
        }
        return new MomentsAggregate { Site = Name, Count = data.RowCount, Groups = result };
    }
}
