namespace Sluice.Core;

/// <summary>The store and broker waits of a retry loop: the first wait, then doubling up to a ceiling.</summary>
public static class Backoff
{
    /// <summary>First wait of a retry loop against an outage.</summary>
    public static readonly TimeSpan First = TimeSpan.FromMilliseconds(100);

    /// <summary>The wait after <paramref name="current"/>: twice as long, at most <paramref name="max"/>.</summary>
    public static TimeSpan Next(TimeSpan current, TimeSpan max) => TimeSpan.FromTicks(Math.Min(max.Ticks, current.Ticks * 2));
}
