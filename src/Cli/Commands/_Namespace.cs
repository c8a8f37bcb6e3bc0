namespace FedRad.Cli.Commands;
