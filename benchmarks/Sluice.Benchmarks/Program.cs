using BenchmarkDotNet.Running;

// Every benchmark class of the assembly, one folder per subsystem (Engine/, ...):
//   dotnet run -c Release --project benchmarks/Sluice.Benchmarks -- --filter '*Engine*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
