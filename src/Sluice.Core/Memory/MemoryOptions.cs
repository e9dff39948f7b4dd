using System.ComponentModel.DataAnnotations;

namespace Sluice.Core.Memory;

/// <summary>Process memory options (section <c>Sluice:Memory</c>).</summary>
public sealed class MemoryOptions
{
    /// <summary>Configuration section.</summary>
    public const string SectionName = "Sluice:Memory";

    /// <summary>
    /// How long the process must be nearly idle before the memory the garbage collector kept from a peak is returned to
    /// the operating system (<see cref="IdleMemoryTrimmer"/>); 0 never returns it early.
    /// </summary>
    [Range(0, 86_400)]
    public int TrimAfterIdleSeconds { get; set; } = 60;
}
