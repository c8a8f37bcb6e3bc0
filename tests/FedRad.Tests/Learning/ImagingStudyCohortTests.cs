using FedRad.Coordinator.Studies;
using FedRad.Imaging;
using FedRad.Imaging.Synthetic;
using FedRad.Learning.Data;
using FedRad.Protocol.V1;
using FedRad.SiteAgent.Cohorts;
using Microsoft.Extensions.Logging.Abstractions;

namespace FedRad.Tests.Learning;

/// <summary>Inclusion filters of an imaging study (their columns come from outcomes.csv, else manifest.csv) and its train/test split.</summary>
public sealed class ImagingStudyCohortTests
{
    private static readonly string[] Stages = ["III", "IV", "II", "III", "IV", "I"];

    /// <summary>Six patients' PET/CT and RTSTRUCT, manifest.csv, and outcomes.csv with <paramref name="header"/> and a row per patient.</summary>
    private static string Site(string header, Func<int, string> outcome)
    {
        var dir = Directory.CreateTempSubdirectory("fedrad-imaging-site-").FullName;
        var manifest = new System.Text.StringBuilder("patient_id,image,mask,roi,modality\n");
        var outcomes = new System.Text.StringBuilder(header + "\n");
        for (var i = 0; i < Stages.Length; i++)
        {
            var id = $"p{i}";
            var study = SyntheticPetCtWriter.Write(Path.Combine(dir, "dicom", id), new SyntheticStudyOptions
            {
                PatientId = id, Seed = 10 + i,
                PetGrid = ImageGrid.Axial(24, 24, 12, 4, 4, 4, new Vec3(-46, -46, -22)),
                CtGrid = ImageGrid.Axial(24, 24, 12, 4, 4, 4, new Vec3(-46, -46, -22)),
                Lesion = new SyntheticRegion("Lesion", new Vec3(4, -4, 2), 10 + i, 6, 0.2, 45),
            });
            manifest.Append($"{id},{Path.GetRelativePath(dir, study.PetFolder)},{Path.GetRelativePath(dir, study.RtStructPath)},Lesion,PT\n");
            outcomes.Append(outcome(i)).Append('\n');
        }
        File.WriteAllText(Path.Combine(dir, "manifest.csv"), manifest.ToString());
        File.WriteAllText(Path.Combine(dir, "outcomes.csv"), outcomes.ToString());
        return dir;
    }

    private static ImagingFeatures Imaging => new() { SettingsYaml = StudyFile.Preset("pet-suv-fbs0.25-3d")!, Roi = "Lesion" };

    [Fact]
    public async Task Filters_read_outcome_and_manifest_columns_and_a_missing_column_names_both_files()
    {
        var dir = Site("patient_id,label,stage", i => $"p{i},{i % 2},{Stages[i]}");

        var imaging = new ImagingCohort(dir, NullLogger.Instance);
        var task = new SiteTask
        {
            Kind = TaskKind.Train, Model = "logreg", LabelColumn = "label", FeatureNames = { "pt_lesion_stat_mean" },
            Imaging = Imaging,
            Inclusion =
            {
                new InclusionFilter { Column = "stage", In = { "III", "IV" } },  // outcomes.csv: p0, p1, p3, p4
                new InclusionFilter { Column = "modality", Equals_ = "PT" },      // manifest.csv: all
            },
        };
        var ct = TestContext.Current.CancellationToken;
        var path = await imaging.Build(task.Imaging, task.FeatureNames, task.LabelColumn, ct, ["stage", "modality"]);
        var cohort = StudyCohort.ForModel(path, task, imaging.FilterSource, out var excluded);
        Assert.Equal(4, cohort.Count); // p0, p1, p3, p4
        Assert.Equal(2, excluded);
        Assert.Equal([0, 1, 1, 0], cohort.Labels);
        var none = new SiteTask(task) { Inclusion = { new InclusionFilter { Column = "modality", Equals_ = "NM" } } };
        Assert.Throws<CohortFormatException>(() => StudyCohort.ForModel(path, none, imaging.FilterSource, out _));

        var e = await Assert.ThrowsAsync<CohortFormatException>(() => imaging.Build(task.Imaging, task.FeatureNames, task.LabelColumn, ct, ["ecog"]));
        Assert.Equal($"column 'ecog' (named by the study) is in neither {imaging.OutcomesPath} nor {imaging.ManifestPath}", e.Message);
    }

    [Fact]
    public async Task The_split_column_of_outcomes_csv_reaches_the_model_cohort_and_a_bad_value_names_outcomes_csv_and_its_line()
    {
        var ct = TestContext.Current.CancellationToken;
        var dir = Site("patient_id,label,split", i => $"p{i},{i % 2},{(i is 1 or 4 ? "test" : i == 2 ? "" : "train")}");
        var imaging = new ImagingCohort(dir, NullLogger.Instance);
        var task = new SiteTask { Kind = TaskKind.Evaluate, Model = "logreg", LabelColumn = "label", FeatureNames = { "pt_lesion_stat_mean" }, Imaging = Imaging };
        var path = await imaging.Build(task.Imaging, task.FeatureNames, task.LabelColumn, ct);
        var cohort = StudyCohort.ForModel(path, task, imaging.FilterSource, out _);
        Assert.Equal([false, true, false, false, true, false], cohort.HeldOut);

        // Patient p3's row is line 5 of outcomes.csv (after the header and p0-p2); the joined table is not what is named.
        File.WriteAllText(imaging.OutcomesPath, File.ReadAllText(imaging.OutcomesPath).Replace("p3,1,train", "p3,1,Test"));
        var e = await Assert.ThrowsAsync<CohortFormatException>(() => imaging.Build(task.Imaging, task.FeatureNames, task.LabelColumn, ct));
        Assert.Equal($"{imaging.OutcomesPath}: line 5, column 'split': 'Test' is not train or test", e.Message);
    }
}
