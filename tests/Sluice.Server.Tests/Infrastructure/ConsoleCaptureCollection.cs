namespace Sluice.Server.Tests.Infrastructure;

/// <summary>Tests that redirect the process's console run alone, so no other test's output lands in what they read.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ConsoleCaptureCollection
{
    public const string Name = "ConsoleCapture";
}
