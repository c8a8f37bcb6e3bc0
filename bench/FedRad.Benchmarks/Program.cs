using BenchmarkDotNet.Running;

// Every benchmark class in this assembly is discoverable; pick with --filter.
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
