using System.ComponentModel.DataAnnotations;

namespace Sluice.Core.Caching;

/// <summary>Result cache options (section <c>Sluice:Cache</c>).</summary>
public sealed class CacheOptions
{
    /// <summary>Configuration section.</summary>
    public const string SectionName = "Sluice:Cache";

    /// <summary>Turns the result cache on for deterministic requests.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Memory bound of the in-memory LRU.</summary>
    [Range(0, long.MaxValue)]
    public long MaxBytes { get; set; } = 64L * 1024 * 1024;
}
