using System.CommandLine;
using FedRad.Cli.Commands;

// `fedrad`: one entry point for every role. Each command lives in Commands/ and
// registers itself here with one line.
var root = new RootCommand("FedRad: federated learning for PET/CT and SPECT/CT radiomics");
// Commands are added below, one line each.
return await root.Parse(args).InvokeAsync();
