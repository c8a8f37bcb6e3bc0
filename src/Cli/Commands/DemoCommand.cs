using System.CommandLine;
using FedRad.Cli.Demo;

namespace FedRad.Cli.Commands;

/// <summary>`fedrad demo`: a whole federated study on synthetic sites, in one process.</summary>
public static class DemoCommand
{
    public static Command Create()
    {
        var sites = new Option<int>("--sites") { Description = "number of synthetic hospital sites", DefaultValueFactory = _ => 3 };
        var rounds = new Option<int>("--rounds") { Description = "federated training rounds", DefaultValueFactory = _ => 10 };
        var outDir = new Option<string>("--out") { Description = "output folder (report.json, audit log, site data, logs)", DefaultValueFactory = _ => "fedrad-demo" };
        var data = new Option<string>("--data") { Description = "dicom: synthetic PET/CT studies, radiomics extracted at each site; table: ready-made feature tables", DefaultValueFactory = _ => "dicom" };
        data.AcceptOnlyFromAmong("dicom", "table");
        var modality = new Option<string>("--modality") { Description = "pet: synthetic PET/CT studies; spect: synthetic SPECT/CT studies quantified with each site's camera calibration", DefaultValueFactory = _ => "pet" };
        modality.AcceptOnlyFromAmong("pet", "spect");
        var model = new Option<string>("--model") { Description = "logreg: logistic regression on radiomics features; cnn: a 3D CNN on PET/CT lesion patches (TorchSharp; on Debian 12 run fedrad through scripts/torchsharp-runtime.sh)", DefaultValueFactory = _ => "logreg" };
        model.AcceptOnlyFromAmong("logreg", "cnn");

        var command = new Command("demo", "Run a federated study on synthetic PET/CT radiomics cohorts") { sites, rounds, outDir, data, model };
        command.Options.Add(modality);
        command.SetAction(async (parse, ct) =>
        {
            var n = parse.GetValue(sites);
            var r = parse.GetValue(rounds);
            if (n is < 1 or > 50) { Console.Error.WriteLine("error: --sites must be 1..50"); return 1; }
            if (r is < 1 or > 1000) { Console.Error.WriteLine("error: --rounds must be 1..1000"); return 1; }
            if (parse.GetValue(model) == "cnn" && DeepDemo.TorchProblem() is { } torch) { Console.Error.WriteLine($"error: {torch}"); return 1; }
            if (parse.GetValue(modality) == "spect" && parse.GetValue(data) != "dicom") { Console.Error.WriteLine("error: --modality spect needs --data dicom (the SPECT demo starts from images)"); return 1; }
            var report = await new DemoRunner(n, r, parse.GetValue(outDir)!, parse.GetValue(data) == "dicom", cnn: parse.GetValue(model) == "cnn") { Modality = parse.GetValue(modality)! }.Run(ct);
            return report.State == "completed" ? 0 : 1;
        });
        return command;
    }
}
