using BenchmarkDotNet.Running;

// Every benchmark class of the assembly, one folder per subsystem (Engine/, Grading/, Core/, Server/):
//   dotnet run -c Release --project benchmarks/Sluice.Benchmarks -- --filter '*Engine*'
// (The assembly is named through one of its types: Sluice.Server's public Program would make "Program" ambiguous.)
BenchmarkSwitcher.FromAssembly(typeof(Sluice.Benchmarks.Engine.DecodeStepBenchmarks).Assembly).Run(args);
