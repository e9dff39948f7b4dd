using Sluice.Bench.Load;

namespace Sluice.Bench.Reporting;

/// <summary>Stages that belong together (one target at several loads).</summary>
internal sealed record StageSeries
{
    public required string Name { get; init; }

    public string Target { get; init; } = string.Empty;

    public required IReadOnlyList<StageResult> Stages { get; init; }
}
