using FedRad.Learning.Data;
using FedRad.Protocol.V1;
using FedRad.SiteAgent.Tasks;
using FedRad.Learning.Models;

namespace FedRad.Tests.Learning;

public sealed class CohortTableTests
{
    private static string Write(string text)
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("fedrad-cohort-").FullName, "cohort.csv");
        File.WriteAllText(path, text);
        return path;
    }

    [Theory]
    [InlineData("id,a,label\np1,1.5,1\np2,,0\n", "line 3, column 'a': missing value")]
    [InlineData("id,a,label\np1,1.5,2\n", "line 2, column 'label': label must be 0 or 1, got '2'")]
    [InlineData("id,a,label\np1,abc,1\n", "line 2, column 'a': 'abc' is not a finite number")]
    [InlineData("id,a,label\np1,1.5\n", "line 2 has 2 fields, the header has 3")]
    [InlineData("id,b,label\np1,1.5,1\n", "column 'a' not found in header (id, b, label)")]
    [InlineData("id,a,label\n", "no data rows")]
    [InlineData("", "file is empty")]
    [InlineData("id,a,label,split\np1,1.5,1,train\np2,2.5,0,validation\n", "line 3, column 'split': 'validation' is not train or test")]
    public void Bad_tables_are_refused_naming_file_line_and_column(string text, string expected)
    {
        var path = Write(text);
        var e = Assert.Throws<CohortFormatException>(() => CohortTable.Load(path, ["a"], "label"));
        Assert.StartsWith(path, e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void The_split_column_holds_test_rows_out_of_training_and_gives_them_to_evaluation()
    {
        var path = Write("id,a,label,split\np1,1,1,train\np2,2,0,test\np3,3,1,\np4,4,0,test\n");
        var t = CohortTable.Load(path, ["a"], "label");
        Assert.Equal([false, true, false, true], t.HeldOut);
        Assert.Equal([1.0, 3.0], t.Rows(HoldOut.TrainingRows(t.HeldOut)).X.Select(r => r[0]));
        Assert.Equal([2.0, 4.0], t.Rows(HoldOut.EvaluationRows(t.HeldOut)).X.Select(r => r[0]));
        // Without test rows an evaluation sees every patient.
        var none = CohortTable.Load(Write("id,a,label\np1,1,1\np2,2,0\n"), ["a"], "label");
        Assert.Equal([0, 1], HoldOut.EvaluationRows(none.HeldOut));
    }

    [Fact]
    public void A_site_refuses_to_compute_from_fewer_patients_than_its_minimum()
    {
        var path = Write("id,a,label\np1,1,1\np2,2,0\np3,3,1\n");
        var task = new SiteTask { Kind = TaskKind.Train, Model = "logreg", LabelColumn = "label", FeatureNames = { "a" }, Training = new TrainingConfig { LocalEpochs = 1, LearningRate = 0.1 } };
        var e = Assert.Throws<TaskRefusedException>(() => new LocalTaskRunner(minCohortSize: 5).Run(task, LogisticRegression.Zero(1).ToWeights(), path));
        Assert.Contains("3 patients, below this site's minimum of 5", e.Message);

        // A study's privacy.min_cohort above the site's own minimum applies too; below it, the site's stays.
        task.Privacy = new TaskPrivacy { MinCohort = 4 };
        var study = Assert.Throws<TaskRefusedException>(() => new LocalTaskRunner(minCohortSize: 2).Run(task, LogisticRegression.Zero(1).ToWeights(), path));
        Assert.Contains("3 patients, below the study's minimum (privacy.min_cohort) of 4", study.Message);
        task.Privacy.MinCohort = 1;
        Assert.Equal(3, new LocalTaskRunner(minCohortSize: 2).Run(task, LogisticRegression.Zero(1).ToWeights(), path).SampleCount);
    }

    [Fact]
    public void An_evaluation_result_holds_histogram_counts_not_patient_scores()
    {
        var rows = string.Join("\n", Enumerable.Range(0, 40).Select(i => $"p{i},{i * 0.1},{i % 2}"));
        var path = Write("id,a,label\n" + rows + "\n");
        var task = new SiteTask { Kind = TaskKind.Evaluate, Model = "logreg", LabelColumn = "label", FeatureNames = { "a" } };
        var result = new LocalTaskRunner(5).Run(task, new LogisticRegression([0.3], -0.5).ToWeights(), path);

        Assert.Equal(40, result.SampleCount);
        Assert.Equal(20, result.Payload["hist_pos"].Values.Sum());
        Assert.Equal(20, result.Payload["hist_neg"].Values.Sum());
        Assert.All(result.Payload.Tensors.SelectMany(t => t.Values), v => Assert.Equal(Math.Floor(v), v));
        Assert.Equal(["auc", "loss"], result.Metrics.Keys.Order());
    }
}
