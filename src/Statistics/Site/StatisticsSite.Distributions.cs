using FedRad.Statistics.Protocol;

namespace FedRad.Statistics.Site;

public sealed partial class StatisticsSite
{
    private HistogramAggregate Histograms(PreparedTable data, HistogramRequest r)
    {
        if (r.Edges.Count != r.Columns.Count)
            throw data.Refuse(RefusalCause.InvalidData, $"histogram: {r.Edges.Count} edge lists for {r.Columns.Count} column(s)");
        RequirePatients(data, data.RowCount);
        var counts = new IReadOnlyList<int?>[r.Columns.Count];
        for (var j = 0; j < r.Columns.Count; j++)
        {
            var edges = r.Edges[j].ToArray();
            if (edges.Length == 0 || edges.Any(e => !double.IsFinite(e)) || edges.Zip(edges.Skip(1)).Any(p => !(p.Second > p.First)))
                throw data.Refuse(RefusalCause.InvalidData, $"histogram of '{r.Columns[j]}': the edges must be finite and strictly ascending");
            var cells = new int[edges.Length + 1];
            foreach (var x in data.Column(r.Columns[j]))
            {
                // cell = number of edges at or below x
                var k = Array.BinarySearch(edges, x);
                cells[k >= 0 ? k + 1 : ~k]++;
            }
            counts[j] = Suppress(cells);
        }
        return new HistogramAggregate { Site = Name, Count = data.RowCount, Counts = counts };
    }

    /// <summary>Small-cell suppression: cells of 1..minimum-1 patients are hidden; a single hidden
    /// cell would follow from the total, so then the smallest other non-empty cell is hidden too.</summary>
    private int?[] Suppress(int[] cells)
    {
        var result = cells.Select(c => (int?)c).ToArray();
        var hidden = 0;
        for (var b = 0; b < cells.Length; b++)
            if (cells[b] > 0 && cells[b] < Options.MinimumCount) { result[b] = null; hidden++; }
        if (hidden == 1)
        {
            var smallest = -1;
            for (var b = 0; b < cells.Length; b++)
                if (result[b] is > 0 && (smallest < 0 || cells[b] < cells[smallest])) smallest = b;
            if (smallest >= 0) result[smallest] = null;
        }
        return result;
    }
}
