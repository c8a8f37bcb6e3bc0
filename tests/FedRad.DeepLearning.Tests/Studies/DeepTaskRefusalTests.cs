using FedRad.Imaging.Spect;
using FedRad.Learning.Data;
using FedRad.Protocol.V1;
using FedRad.Shared.Tensors;
using FedRad.SiteAgent.Cohorts;
using FedRad.SiteAgent.Tasks;
using Microsoft.Extensions.Logging.Abstractions;

namespace FedRad.DeepLearning.Tests.Studies;

/// <summary>What a site refuses before it trains anything: a deep task it cannot run as described, and data that does not fit the study.</summary>
public sealed class DeepTaskRefusalTests
{
    private static SiteTask DeltaTask(DeepModel? model) => new()
    {
        TaskId = "delta/1/site-1", StudyId = "delta", Round = 1, Kind = TaskKind.Train, Model = "cnn-delta", LabelColumn = "label",
        Training = new TrainingConfig { LocalEpochs = 1, LearningRate = 1e-3, BatchSize = 4, Seed = 1 },
        DeepModel = model,
    };

    private static DeepModel Delta() => new() { PatchSize = 8, Width = 2, Roi = "Lesion", BaselineTimepoint = TimepointSites.Baseline, FollowupTimepoint = TimepointSites.FollowUp };

    [Fact]
    public void A_cnn_delta_task_is_refused_naming_the_manifest_and_the_patient_whose_follow_up_is_missing()
    {
        var dir = Directory.CreateTempSubdirectory("fedrad-delta-missing-").FullName;
        TimepointSites.Write(dir, "site-1", patients: 4, heldOut: 0, spect: false, seed: 1, dropFollowUpOf: "site-1-02");
        var runner = new DeepTaskRunner(new PatchCohort(dir, NullLogger.Instance), dir, 1, NullLogger.Instance);

        var e = Assert.Throws<CohortFormatException>(() => runner.Run(DeltaTask(Delta()), new ModelWeights([])));
        Assert.Contains(Path.Combine(dir, "manifest.csv"), e.Message);
        Assert.Contains("patient 'site-1-02'", e.Message);
        Assert.Contains("no rows at timepoint 't1'", e.Message);
        Assert.Contains("timepoint 't0'", e.Message);   // what the manifest does give it
        // The same site with both timepoints is not refused for its manifest (it goes on to the weights, which are empty here).
        TimepointSites.Write(dir, "site-1", patients: 4, heldOut: 0, spect: false, seed: 1);
        var fresh = new DeepTaskRunner(new PatchCohort(dir, NullLogger.Instance), dir, 1, NullLogger.Instance);
        Assert.Contains("weights do not fit the model", Assert.Throws<TensorFormatException>(() => fresh.Run(DeltaTask(Delta()), new ModelWeights([]))).Message);
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public void A_cnn_delta_task_is_refused_naming_the_patient_whose_spect_follow_up_is_another_isotope()
    {
        var dir = Directory.CreateTempSubdirectory("fedrad-delta-isotope-").FullName;
        // site-1-01: 99mTc at baseline, 177Lu at follow-up; the site calibrates both, so each scan alone reaches SUV.
        var calibration = TimepointSites.Write(dir, "site-1", patients: 4, heldOut: 0, spect: true, seed: 1, spectFollowUp: (id, o) => id != "site-1-01" ? o : o with
        {
            Nuclide = Radionuclides.Lu177, Radiopharmaceutical = "177Lu-PSMA-617", InjectedDoseMBq = 7400,
            EnergyWindowName = "LU177_EM", EnergyWindowLowerKeV = 187.2, EnergyWindowUpperKeV = 228.8,
        });
        var runner = new DeepTaskRunner(new PatchCohort(dir, NullLogger.Instance, calibration), dir, 1, NullLogger.Instance);
        var e = Assert.Throws<CohortFormatException>(() => runner.Run(DeltaTask(Delta()), new ModelWeights([])));
        Assert.Equal($"{Path.Combine(dir, "manifest.csv")}: patient 'site-1-01', SPECT at timepoint 't0' (line 6) and at 't1' (line 8) are not comparable: "
            + "different radionuclides: Tc-99m and Lu-177\nthe delta model compares each patient's baseline patch with its follow-up's, which needs comparable scans: correct or remove these rows",
            e.Message);

        // In SUV another camera at follow-up is comparable: the same site with site-1-01's follow-up on another (calibrated)
        // camera gets past its patches to the weights (empty here).
        Directory.Delete(dir, recursive: true);
        Directory.CreateDirectory(dir);
        calibration = TimepointSites.Write(dir, "site-1", patients: 4, heldOut: 0, spect: true, seed: 1,
            spectFollowUp: (id, o) => id != "site-1-01" ? o : o with { StationName = "NM-WARD-B", ManufacturerModelName = "Other SPECT/CT", CpsPerMBq = 130 });
        var fresh = new DeepTaskRunner(new PatchCohort(dir, NullLogger.Instance, calibration), dir, 1, NullLogger.Instance);
        Assert.Contains("weights do not fit the model", Assert.Throws<TensorFormatException>(() => fresh.Run(DeltaTask(Delta()), new ModelWeights([]))).Message);
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public void A_site_without_a_spect_calibration_refuses_spect_patches_rather_than_train_on_counts()
    {
        var dir = Directory.CreateTempSubdirectory("fedrad-delta-nocal-").FullName;
        TimepointSites.Write(dir, "site-1", patients: 2, heldOut: 0, spect: true, seed: 1);
        var runner = new DeepTaskRunner(new PatchCohort(dir, NullLogger.Instance), dir, 1, NullLogger.Instance);
        var e = Assert.Throws<CohortFormatException>(() => runner.Run(DeltaTask(Delta()), new ModelWeights([])));
        Assert.Contains("line 2 (patient site-1-00): a SPECT (NM) row", e.Message);
        Assert.Contains("--spect-calibration", e.Message);
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public void A_task_with_a_malformed_deep_model_is_refused_naming_the_field_before_any_image_is_read()
    {
        // No manifest in this folder: the refusal must come from the task itself.
        var dir = Directory.CreateTempSubdirectory("fedrad-delta-malformed-").FullName;
        var runner = new DeepTaskRunner(new PatchCohort(dir, NullLogger.Instance), dir, 1, NullLogger.Instance);

        var patch = Delta();
        patch.PatchSize = 10;
        Assert.Contains("deep_model.patch_size must be a multiple of 4 in 8..64, got 10",
            Assert.Throws<TaskRefusedException>(() => runner.Run(DeltaTask(patch), new ModelWeights([]))).Message);
        var same = Delta();
        same.FollowupTimepoint = same.BaselineTimepoint;
        Assert.Contains("deep_model.followup_timepoint is the baseline's timepoint 't0'",
            Assert.Throws<TaskRefusedException>(() => runner.Run(DeltaTask(same), new ModelWeights([]))).Message);
        Assert.Contains("has no deep_model", Assert.Throws<TaskRefusedException>(() => runner.Run(DeltaTask(null), new ModelWeights([]))).Message);
    }
}
