namespace Sluice.Core.Configuration;

/// <summary>Bounds shared by the validators of settings that end up as a timer's wait.</summary>
public static class WaitLimits
{
    /// <summary>
    /// The longest wait a setting may ask for: <c>Task.Delay</c> and <c>CancelAfter</c> refuse more than
    /// <c>int.MaxValue</c> milliseconds (about 24.8 days), and a wait past that fails only when it is due, long after the
    /// start that should have refused it.
    /// </summary>
    public static readonly TimeSpan MaxWait = TimeSpan.FromDays(24);
}
