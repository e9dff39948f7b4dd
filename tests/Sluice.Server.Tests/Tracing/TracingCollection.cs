namespace Sluice.Server.Tests.Tracing;

/// <summary>
/// Activity listeners are process-wide: tests that attach one, or that check nothing listens, run alone so that no
/// other test's server adds spans or listeners meanwhile.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TracingCollection
{
    public const string Name = "Tracing";
}
