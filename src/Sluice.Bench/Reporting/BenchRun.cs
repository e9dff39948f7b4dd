using Sluice.Bench.Load;

namespace Sluice.Bench.Reporting;

/// <summary>A whole bench run: what was measured, where, and every stage's result.</summary>
internal sealed record BenchRun
{
    /// <summary>Run name ("bench", "scenario batching").</summary>
    public required string Name { get; init; }

    /// <summary>The command line that produced it.</summary>
    public string Command { get; init; } = string.Empty;

    /// <summary>What was targeted.</summary>
    public string Target { get; init; } = string.Empty;

    public DateTimeOffset StartedAt { get; init; }

    public MachineInfo Machine { get; init; } = MachineInfo.Current();

    /// <summary>Groups of stages; each group is one series on the charts (e.g. one endpoint or one mode).</summary>
    public IReadOnlyList<StageSeries> Series { get; init; } = [];

    /// <summary>Scenario-specific summary rows (already formatted), shown before the stage tables.</summary>
    public IReadOnlyList<SummaryTable> Summaries { get; init; } = [];

    /// <summary>Free-form findings, one per line.</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];
}
