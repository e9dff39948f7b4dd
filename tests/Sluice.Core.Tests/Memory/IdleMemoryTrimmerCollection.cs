namespace Sluice.Core.Tests.Memory;

/// <summary>Tests that measure the process's GC memory: no other test may allocate or collect meanwhile.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class IdleMemoryTrimmerCollection
{
    public const string Name = "GC memory";
}
