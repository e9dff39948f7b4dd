using Sluice.Bench.Targets;

namespace Sluice.Bench.Scenarios;

/// <summary>A serving mode of the batching scenario: the target kind, its largest batch, and the server settings that make it.</summary>
internal sealed record BatchingMode(string Name, TargetKind Kind, int MaxBatch, IReadOnlyList<string> ServerArgs);
