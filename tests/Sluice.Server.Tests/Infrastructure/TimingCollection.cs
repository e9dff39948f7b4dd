namespace Sluice.Server.Tests.Infrastructure;

/// <summary>Tests that measure time or throughput run alone, not beside other test classes.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TimingCollection
{
    public const string Name = "Timing";
}
