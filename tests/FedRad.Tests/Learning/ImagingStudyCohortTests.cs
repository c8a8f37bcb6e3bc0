using FedRad.Coordinator.Studies;
using FedRad.Imaging;
using FedRad.Imaging.Synthetic;
using FedRad.Learning.Data;
using FedRad.Protocol.V1;
using FedRad.SiteAgent.Cohorts;
using Microsoft.Extensions.Logging.Abstractions;

namespace FedRad.Tests.Learning;

/// <summary>Inclusion filters of an imaging study: their columns come from outcomes.csv, else manifest.csv.</summary>
public sealed class ImagingStudyCohortTests
{
    [Fact]
    public async Task Filters_read_outcome_and_manifest_columns_and_a_missing_column_names_both_files()
    {
        var dir = Directory.CreateTempSubdirectory("fedrad-imaging-site-").FullName;
        var manifest = new System.Text.StringBuilder("patient_id,image,mask,roi,modality\n");
        var outcomes = new System.Text.StringBuilder("patient_id,label,stage\n");
        string[] stages = ["III", "IV", "II", "III", "IV", "I"];
        for (var i = 0; i < stages.Length; i++)
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
            outcomes.Append($"{id},{i % 2},{stages[i]}\n");
        }
        File.WriteAllText(Path.Combine(dir, "manifest.csv"), manifest.ToString());
        File.WriteAllText(Path.Combine(dir, "outcomes.csv"), outcomes.ToString());

        var imaging = new ImagingCohort(dir, NullLogger.Instance);
        var task = new SiteTask
        {
            Kind = TaskKind.Train, Model = "logreg", LabelColumn = "label", FeatureNames = { "pt_lesion_stat_mean" },
            Imaging = new ImagingFeatures { SettingsYaml = StudyFile.Preset("pet-suv-fbs0.25-3d")!, Roi = "Lesion" },
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
}
