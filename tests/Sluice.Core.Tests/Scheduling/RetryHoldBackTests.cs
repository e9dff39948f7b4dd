using Sluice.Core.Scheduling;

namespace Sluice.Core.Tests.Scheduling;

public sealed class RetryHoldBackTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void HoldBack_ModelAsksForLongerThanTheBackoff_WaitsThatLong() =>
        Assert.Equal(TimeSpan.FromSeconds(12), JobLifecycle.HoldBack(TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(12), null, Now));

    [Fact]
    public void HoldBack_ModelAsksForLessThanTheBackoff_KeepsTheBackoff() =>
        Assert.Equal(TimeSpan.FromSeconds(2), JobLifecycle.HoldBack(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1), null, Now));

    [Fact]
    public void HoldBack_NothingAsked_KeepsTheBackoff() =>
        Assert.Equal(TimeSpan.FromSeconds(2), JobLifecycle.HoldBack(TimeSpan.FromSeconds(2), null, Now.AddSeconds(1), Now));

    [Fact]
    public void HoldBack_WaitWouldPassTheDeadline_StopsAtTheDeadline() =>
        // The job cannot run again in time: its deadline expires it then, rather than leaving it queued for later.
        Assert.Equal(TimeSpan.FromSeconds(5), JobLifecycle.HoldBack(TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(30), Now.AddSeconds(5), Now));

    [Fact]
    public void HoldBack_DeadlineSoonerThanTheBackoff_NeverShortensTheBackoff() =>
        Assert.Equal(TimeSpan.FromSeconds(1), JobLifecycle.HoldBack(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), Now.AddMilliseconds(200), Now));

    [Fact]
    public void HoldBack_AskedForMoreThanATimerTakes_CappedAtMaxWait() =>
        Assert.Equal(Sluice.Core.Configuration.WaitLimits.MaxWait, JobLifecycle.HoldBack(TimeSpan.FromSeconds(1), TimeSpan.FromDays(400), null, Now));
}
