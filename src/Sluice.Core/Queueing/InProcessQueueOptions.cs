namespace Sluice.Core.Queueing;

/// <summary>Options of the in-process queue (section <c>Sluice:Queue</c>).</summary>
public sealed class InProcessQueueOptions
{
    /// <summary>Configuration section.</summary>
    public const string SectionName = "Sluice:Queue";

    /// <summary>Wait after which a job moves up one priority lane (aging, so low priority never starves).</summary>
    public TimeSpan Aging { get; set; } = TimeSpan.FromSeconds(2);
}
