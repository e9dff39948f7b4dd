namespace Sluice.Core.Models;

/// <summary>What a loaded model says about itself.</summary>
public sealed record ModelDescriptor
{
    /// <summary>Name clients use in <c>"model"</c>; lowercase, digits, '-', '_' and '.'.</summary>
    public required string Name { get; init; }

    /// <summary>Version string; part of the result-cache key so a new version never serves stale results.</summary>
    public required string Version { get; init; }

    /// <summary>
    /// What the result cache keys on instead of <see cref="Version"/> when more than the model's own version decides
    /// its output (the essay grader's spelling dictionaries); null when the version alone does.
    /// </summary>
    public string? CacheVersion { get; init; }

    /// <summary>Batch (one-shot) or generative.</summary>
    public required ModelKind Kind { get; init; }

    /// <summary>True when the same input always gives the same output (results may be cached).</summary>
    public bool Deterministic { get; init; }

    /// <summary>One line for <c>GET /v1/models</c>.</summary>
    public string? Description { get; init; }

    /// <summary>Free-form facts shown by <c>GET /v1/models</c> (file path, parameter count, context length …).</summary>
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }
}
