using FedRad.DeepLearning;
using FedRad.DeepLearning.Models;
using FedRad.DeepLearning.Weights;
using FedRad.Protocol.V1;
using FedRad.Shared.Tensors;
using FedRad.Shared.Transfer;
using Google.Protobuf;
using Grpc.Core;
using Spectre.Console;

namespace FedRad.Cli.Demo;

/// <summary>
/// `fedrad demo --model cnn`: synthetic PET/CT DICOM lesions whose label is their uptake heterogeneity, a 3D CNN on
/// PET/CT patches (early fusion) whose initial weights are made here, where TorchSharp runs, and uploaded to the
/// coordinator (which never loads TorchSharp).
/// </summary>
public static class DeepDemo
{
    public const string Model = DeepModelSpec.CnnEarly;
    public const int PatchSize = 16;
    public const int Width = 8;
    private const ulong InitialSeed = 7;

    /// <summary>
    /// Null when TorchSharp's native library loads in this process, else why not and what to do (on Debian 12 its
    /// libstdc++ is too old unless the program runs through scripts/torchsharp-runtime.sh).
    /// </summary>
    public static string? TorchProblem()
    {
        try { TorchRuntime.Configure(); return null; }
        catch (TypeInitializationException e)
        {
            return $"TorchSharp does not load on this host ({(e.InnerException ?? e).Message.Split('\n')[0].Trim()}). Where the system libstdc++ lacks GLIBCXX_3.4.32 "
                + $"(Debian 12), run fedrad through the runtime script: scripts/torchsharp-runtime.sh run {Environment.ProcessPath} demo --model cnn ...";
        }
    }

    /// <summary>The share of each site's patients held out of training (outcomes.csv split = test); the pooled AUC is theirs.</summary>
    public const double HeldOutFraction = 0.25;

    /// <summary>
    /// Per site: one PET/CT study per patient (PET with SUV tags, CT, RTSTRUCT "Lesion"), manifest.csv with a PT and a
    /// CT row per patient, and outcomes.csv with the label and the split: the last quarter of each site's patients is
    /// held out (test), so that the evaluation measures lesions the model never trained on. Label 0 lesions have a
    /// heterogeneity (coefficient of variation of the uptake texture) in [0.05, 0.15], label 1 in [0.35, 0.5]; size and
    /// mean uptake carry no label information.
    /// </summary>
    public static DemoData WriteSites(int sites, string root, IProgress<(int Done, int Total)>? written = null)
    {
        var rng = new Random(2028);
        var profiles = Enumerable.Range(1, sites).Select(s => (
            Id: $"site-{s}",
            Patients: 48 + rng.Next(0, 3) * 8,
            Prevalence: 0.35 + 0.3 * rng.NextDouble(),
            Noise: 0.03 + 0.04 * rng.NextDouble())).ToList();
        var writer = new DemoSiteWriter(profiles.Sum(p => p.Patients), written);
        var list = new List<DemoSite>();
        foreach (var p in profiles)
        {
            var dir = Path.Combine(root, p.Id);
            var patients = DemoSiteWriter.Patients(p.Id, list.Count + 1, 100_019, p.Patients, p.Prevalence, (id, label, prng) =>
            {
                var heterogeneity = label == 1 ? 0.35 + 0.15 * prng.NextDouble() : 0.05 + 0.10 * prng.NextDouble();
                return (Id: id, Label: label, Heterogeneity: heterogeneity,
                    Radius: 12 + 8 * prng.NextDouble(), Uptake: 4 + 6 * prng.NextDouble(), Seed: prng.Next());
            });
            var studies = writer.WriteStudies(patients, pt => DemoSiteWriter.WritePetCt(dir, p.Id, pt.Id, pt.Seed, p.Noise, pt.Radius, pt.Uptake, pt.Heterogeneity));
            var heldOut = (int)Math.Round(patients.Count * HeldOutFraction);
            DemoSiteWriter.WriteTables(dir,
                "patient_id,image,mask,roi,modality", patients.SelectMany((pt, k) => new FormattableString[]
                {
                    $"{pt.Id},{Path.GetRelativePath(dir, studies[k].PetFolder)},{Path.GetRelativePath(dir, studies[k].RtStructPath)},Lesion,PT",
                    $"{pt.Id},{Path.GetRelativePath(dir, studies[k].CtFolder)},{Path.GetRelativePath(dir, studies[k].RtStructPath)},Lesion,CT",
                }),
                "patient_id,label,split", patients.Select((pt, k) => (FormattableString)$"{pt.Id},{pt.Label},{(k >= patients.Count - heldOut ? "test" : "train")}"));
            var positives = patients.Count(x => x.Label == 1);
            list.Add(new DemoSite(p.Id, dir, p.Patients, $"n={p.Patients} PET/CT studies ({positives} heterogeneous lesions, {heldOut} patients held out for evaluation), noise {p.Noise:P0}"));
        }
        return new DemoData(list, [], "label", null);
    }

    /// <summary>Makes the initial weights (seeded), uploads them and returns the study spec that starts from them.</summary>
    public static async Task<StudySpec> Spec(AdminService.AdminServiceClient admin, DemoData data, int sites, int rounds, CancellationToken ct)
    {
        var spec = new DeepModelSpec { Kind = Model, PatchSize = PatchSize, Width = Width };
        byte[] initial;
        using (var model = DeepModels.Create(spec, InitialSeed).Module)
            initial = TensorCodec.Serialize(WeightConversion.ToWeights(model));
        var uploaded = await Upload(admin, initial, ct);
        AnsiConsole.MarkupLine($"[grey]initial model:[/] {Model} (w={Width}, {PatchSize}³ patches), {uploaded.Parameters} parameters, uploaded as {uploaded.ModelId[..12]}…");
        return new StudySpec
        {
            StudyId = "demo",
            Model = Model,
            LabelColumn = data.LabelColumn,
            Rounds = rounds,
            MinSites = Math.Max(1, sites - 1),
            // The first round cuts every lesion's patch out of its DICOM at the sites.
            RoundTimeoutSeconds = 600,
            Strategy = "fedavg",
            Training = new TrainingConfig { LocalEpochs = 2, LearningRate = 2e-3, BatchSize = 16, Seed = 7 },
            DeepModel = new DeepModel { PatchSize = PatchSize, Width = Width, Roi = "Lesion" },
            InitialModelId = uploaded.ModelId,
            NoStandardisation = true,
        };
    }

    /// <summary>Streams a model to the coordinator's UploadModel in chunks of at most 1 MiB.</summary>
    public static async Task<UploadModelResponse> Upload(AdminService.AdminServiceClient admin, byte[] payload, CancellationToken ct)
    {
        using var call = admin.UploadModel(cancellationToken: ct);
        await call.WriteUnlessAnswered(new UploadModelMessage { Header = new UploadModelHeader { TotalBytes = payload.Length, Sha256 = Payload.Sha256Hex(payload) } }, ct);
        foreach (var (offset, chunk) in Payload.Chunks(payload))
            await call.WriteUnlessAnswered(new UploadModelMessage { Chunk = new PayloadChunk { Offset = offset, Data = ByteString.CopyFrom(chunk.Span), TotalBytes = payload.Length } }, ct);
        await call.RequestStream.CompleteAsync();
        return await call;
    }
}
