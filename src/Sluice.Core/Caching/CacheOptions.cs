using System.ComponentModel.DataAnnotations;

namespace Sluice.Core.Caching;

/// <summary>Result cache options (section <c>Sluice:Cache</c>).</summary>
public sealed class CacheOptions
{
    /// <summary>Configuration section.</summary>
    public const string SectionName = "Sluice:Cache";

    /// <summary><see cref="Scope"/>: each API key has its own entries (the default).</summary>
    public const string OwnerScope = "owner";

    /// <summary><see cref="Scope"/>: one entry per request, shared by every API key.</summary>
    public const string GlobalScope = "global";

    /// <summary>Turns the result cache on for deterministic requests.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Memory bound of the in-memory LRU.</summary>
    [Range(0, long.MaxValue)]
    public long MaxBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>
    /// Whose requests share cache entries: <c>owner</c> keys them by API key as well, so one key is never answered with
    /// (nor, by a hit's <c>cached: true</c> or speed, told of) another key's request; <c>global</c> shares them across
    /// keys, for deployments whose keys all belong to one tenant.
    /// </summary>
    [RegularExpression("^(owner|global)$")]
    public string Scope { get; set; } = OwnerScope;
}
