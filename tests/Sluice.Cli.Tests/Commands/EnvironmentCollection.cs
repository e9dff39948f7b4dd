namespace Sluice.Cli.Tests.Commands;

/// <summary>Tests that set an environment variable the CLI reads run alone, not beside other test classes.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class EnvironmentCollection
{
    public const string Name = "Environment";
}
