namespace FedRad.Learning.Metrics;

/// <summary>Area under the ROC curve as the Mann-Whitney statistic: P(score of a positive > score of a negative), ties count 1/2.</summary>
public static class Auc
{
    public static double Compute(IReadOnlyList<double> scores, IReadOnlyList<int> labels)
    {
        if (scores.Count != labels.Count) throw new ArgumentException("scores and labels differ in length");
        var order = Enumerable.Range(0, scores.Count).OrderBy(i => scores[i]).ToArray();
        long positives = labels.Count(l => l == 1), negatives = labels.Count - positives;
        if (positives == 0 || negatives == 0) return double.NaN;

        // Sum of (mid-)ranks of the positives.
        double rankSum = 0;
        for (var start = 0; start < order.Length;)
        {
            var end = start;
            while (end + 1 < order.Length && scores[order[end + 1]] == scores[order[start]]) end++;
            var midRank = (start + end) / 2.0 + 1;
            for (var k = start; k <= end; k++) if (labels[order[k]] == 1) rankSum += midRank;
            start = end + 1;
        }
        return (rankSum - positives * (positives + 1) / 2.0) / ((double)positives * negatives);
    }
}
