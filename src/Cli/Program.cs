using System.CommandLine;
using FedRad.Cli.Commands;

// `fedrad`: one entry point for every role. Each command lives in Commands/ and
// registers itself here with one line.
var root = new RootCommand("FedRad: federated learning for PET/CT and SPECT/CT radiomics");
root.Subcommands.Add(DemoCommand.Create());
root.Subcommands.Add(CoordinatorCommand.Create());
root.Subcommands.Add(SiteCommand.Create());
root.Subcommands.Add(StudyCommand.Create());
root.Subcommands.Add(AnalysisCommand.Create());
root.Subcommands.Add(AuditCommand.Create());
root.Subcommands.Add(SitesCommand.Create());
root.Subcommands.Add(TokenCommand.Create());
root.Subcommands.Add(FeaturesCommand.Create());
root.Subcommands.Add(SimCommand.Create());
root.Subcommands.Add(ReportCommand.Create());
root.Subcommands.Add(PetCommand.Create());
root.Subcommands.Add(DicomCommand.Create());
root.Subcommands.Add(PkiCommand.Create());
return await root.Parse(args).InvokeAsync();
