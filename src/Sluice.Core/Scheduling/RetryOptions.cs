namespace Sluice.Core.Scheduling;

/// <summary>Retry backoff (section <c>Sluice:Retry</c>): delay = min(base·2^(attempt−1), max), with full jitter in [½, 1].</summary>
public sealed class RetryOptions
{
    /// <summary>Configuration section.</summary>
    public const string SectionName = "Sluice:Retry";

    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(60);
}
