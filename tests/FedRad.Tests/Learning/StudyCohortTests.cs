using FedRad.Learning.Data;
using FedRad.Learning.Models;
using FedRad.Protocol.V1;
using FedRad.SiteAgent.Cohorts;
using FedRad.SiteAgent.Tasks;

namespace FedRad.Tests.Learning;

/// <summary>The study's inclusion filters as a site applies them before anything is computed.</summary>
public sealed class StudyCohortTests
{
    private const string Table = """
        id,a,label,stage,age
        p1,1.0,1,III,45
        p2,2.0,0,IV,71.5
        p3,3.0,1,II,80
        p4,4.0,0,III,
        p5,5.0,1,3,62
        p6,6.0,0,IV,90
        """;

    private static string Write(string text)
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("fedrad-cohort-").FullName, "cohort.csv");
        File.WriteAllText(path, text + "\n");
        return path;
    }

    private static SiteTask Task(params InclusionFilter[] filters)
    {
        var task = new SiteTask { Kind = TaskKind.Train, Model = "logreg", LabelColumn = "label", FeatureNames = { "a" }, Training = new TrainingConfig { LocalEpochs = 1, LearningRate = 0.1 } };
        task.Inclusion.AddRange(filters);
        return task;
    }

    private static double[] Kept(SiteTask task) =>
        StudyCohort.ForModel(Write(Table), task, "cohort.csv", out _).X.Select(r => r[0]).ToArray();

    [Fact]
    public void Filters_keep_the_patients_that_pass_every_one_and_a_missing_value_passes_none()
    {
        Assert.Equal([1.0, 4.0], Kept(Task(new InclusionFilter { Column = "stage", Equals_ = "III" })));
        Assert.Equal([1.0, 2.0, 4.0, 6.0], Kept(Task(new InclusionFilter { Column = "stage", In = { "III", "IV" } })));
        // min and max are inclusive; p4 has no age and is left out
        Assert.Equal([2.0, 3.0, 5.0, 6.0], Kept(Task(new InclusionFilter { Column = "age", Min = 50 })));
        Assert.Equal([1.0, 2.0, 5.0], Kept(Task(new InclusionFilter { Column = "age", Min = 45, Max = 71.5 })));
        // numbers compare as numbers: 3 equals 3.0
        Assert.Equal([5.0], Kept(Task(new InclusionFilter { Column = "stage", Equals_ = "3.0" })));
        // every filter applies
        Assert.Equal([2.0, 6.0], Kept(Task(new InclusionFilter { Column = "stage", In = { "III", "IV" } }, new InclusionFilter { Column = "age", Min = 50 })));

        StudyCohort.ForModel(Write(Table), Task(new InclusionFilter { Column = "age", Min = 50 }), "cohort.csv", out var excluded);
        Assert.Equal(2, excluded);
    }

    [Fact]
    public void A_filter_on_a_column_the_site_does_not_have_names_the_column_and_the_file()
    {
        var path = Write(Table);
        var e = Assert.Throws<CohortFormatException>(() => StudyCohort.ForModel(path, Task(new InclusionFilter { Column = "ecog", Max = 1 }), path, out _));
        Assert.Equal($"{path}: the study's inclusion filter names column 'ecog', which this site does not have", e.Message);
    }

    [Fact]
    public void A_text_value_under_a_min_max_filter_is_refused_with_its_line()
    {
        var path = Write(Table);
        var e = Assert.Throws<CohortFormatException>(() => StudyCohort.ForModel(path, Task(new InclusionFilter { Column = "stage", Min = 1 }), path, out _));
        Assert.Contains("line 2, column 'stage': 'III' is not a number", e.Message);
    }

    [Fact]
    public void Filters_that_leave_fewer_patients_than_the_site_minimum_make_the_site_refuse()
    {
        var path = Write(Table);
        var e = Assert.Throws<TaskRefusedException>(() => new LocalTaskRunner(minCohortSize: 3).Run(Task(new InclusionFilter { Column = "stage", Equals_ = "III" }), LogisticRegression.Zero(1).ToWeights(), path));
        Assert.Contains("2 patients after the study's inclusion filters excluded 4, below this site's minimum of 3", e.Message);

        var none = Assert.Throws<CohortFormatException>(() => new LocalTaskRunner(1).Run(Task(new InclusionFilter { Column = "stage", Equals_ = "I" }), LogisticRegression.Zero(1).ToWeights(), path));
        Assert.Contains("the study's inclusion filters leave no patient at this site (6 excluded)", none.Message);
    }
}
