using Sluice.Core.Jobs;

namespace Sluice.RabbitMq.Tests;

/// <summary>One process's view of a stream that two processes publish: out-of-order arrivals, gaps, the end.</summary>
public sealed class HubLogTests
{
    private static JobEvent Event(long id, string type = "delta") =>
        new("j1", id, type, type == "completed" ? "{\"status\":\"succeeded\"}" : "{}", DateTimeOffset.UnixEpoch);

    private static long[] Ids(HubLog log) => [.. log.Snapshot(0).Select(e => e.Id)];

    [Fact]
    public void Append_AfterBeginRun_EventsCarryTheRunUntilTheNextDeliverySeedsItsAttempt()
    {
        var log = new HubLog("j1", 0);
        log.Seed(0, attempt: 1);
        var started = DateTimeOffset.UnixEpoch.AddSeconds(5);
        log.BeginRun(new Sluice.Core.Storage.JobRun(1, started));
        var e = log.Append("started", "{}", DateTimeOffset.UnixEpoch, 1, out var accepted);
        Assert.True(accepted);
        Assert.Equal((1, started), (e.Attempt, e.RunStartedAt));

        // A new delivery (a requeue counts attempts from 1 again): its events are not the earlier run's until its own starts.
        log.Seed(1, attempt: 1);
        var next = log.Append("delta", "{}", DateTimeOffset.UnixEpoch, 2, out _);
        Assert.Equal(1, next.Attempt);
        Assert.Null(next.RunStartedAt);
    }

    [Fact]
    public void TryAccept_EventAheadOfGap_HeldUntilTheMissingOneArrivesThenBothInOrder()
    {
        var log = new HubLog("j1", 3);
        Assert.False(log.TryAccept(Event(5), force: false, nowTicks: 10, out var opened));
        Assert.True(opened);
        Assert.True(log.HasHeld);
        Assert.Equal(10, log.HeldSinceTicks);
        Assert.Equal(3, log.LastId);

        Assert.True(log.TryAccept(Event(4), force: false, nowTicks: 11, out opened));
        Assert.False(opened);
        Assert.False(log.HasHeld);
        Assert.Equal([4L, 5L], Ids(log));
    }

    [Fact]
    public void TryAccept_SecondEventBehindTheSameGap_DoesNotReopenIt()
    {
        var log = new HubLog("j1", 0);
        log.TryAccept(Event(3), force: false, nowTicks: 1, out var first);
        log.TryAccept(Event(2), force: false, nowTicks: 2, out var second);
        Assert.True(first);
        Assert.False(second);
        Assert.Equal(1, log.HeldSinceTicks);
        Assert.True(log.TryAccept(Event(1), force: false, nowTicks: 3, out _));
        Assert.Equal([1L, 2L, 3L], Ids(log));
    }

    [Fact]
    public void Subscribe_DisposedThroughTheLogItKnows_LeavesTheSubscribers()
    {
        // The hub unsubscribes every subscription with one delegate (no closure per subscriber): it finds the log on it.
        var log = new HubLog("j1", 0);
        var sub = log.Subscribe(0, static s => s.Log?.Remove(s))!;
        Assert.Same(log, sub.Log);
        Assert.Equal(1, log.SubscriberCount);
        sub.Dispose();
        Assert.Equal(0, log.SubscriberCount);
    }

    [Fact]
    public void Subscribe_WhileAnEventIsHeld_SubscriberGetsEveryIdWithoutAHole()
    {
        var log = new HubLog("j1", 3);
        var sub = log.Subscribe(3, _ => { })!;
        log.TryAccept(Event(5), force: false, nowTicks: 1, out _);
        Assert.False(sub.Reader.TryRead(out _));
        log.TryAccept(Event(4), force: false, nowTicks: 2, out _);
        Assert.True(sub.Reader.TryRead(out var a));
        Assert.True(sub.Reader.TryRead(out var b));
        Assert.Equal((4L, 5L), (a.Id, b.Id));
    }

    [Fact]
    public void SkipGap_MissingIdsNeverCome_StreamGoesOnFromTheHeldEvents()
    {
        var log = new HubLog("j1", 3);
        log.TryAccept(Event(6), force: false, nowTicks: 1, out _);
        log.TryAccept(Event(7), force: false, nowTicks: 1, out _);
        log.SkipGap(nowTicks: 50);
        Assert.False(log.HasHeld);
        Assert.Equal([6L, 7L], Ids(log));
        Assert.Equal(6, log.FirstId);
        // A late copy of a skipped id is not slipped in behind later ones.
        Assert.False(log.TryAccept(Event(4), force: false, nowTicks: 51, out _));
        Assert.Equal([6L, 7L], Ids(log));
    }

    [Fact]
    public void TryAccept_HeldTerminalEvent_CompletesTheStreamWhenTheGapCloses()
    {
        var log = new HubLog("j1", 1);
        var sub = log.Subscribe(1, _ => { })!;
        log.TryAccept(Event(3, "completed"), force: false, nowTicks: 1, out _);
        Assert.False(log.Completed);
        Assert.False(sub.Reader.Completion.IsCompleted);

        log.TryAccept(Event(2), force: false, nowTicks: 7, out _);
        Assert.True(log.Completed);
        Assert.Equal(7, log.CompletedTicks);
        Assert.Equal([2L, 3L], Ids(log));
        Assert.True(sub.Reader.TryRead(out _));
        Assert.True(sub.Reader.TryRead(out var last));
        Assert.True(last.IsTerminal);
        Assert.True(sub.Reader.Completion.IsCompleted);
    }

    [Fact]
    public void TryAccept_ForcedPastAGap_DropsHeldEventsItOvertook()
    {
        var log = new HubLog("j1", 0);
        log.TryAccept(Event(3), force: false, nowTicks: 1, out _);
        log.TryAccept(Event(5), force: false, nowTicks: 1, out _);
        Assert.True(log.TryAccept(Event(4), force: true, nowTicks: 2, out _));
        Assert.Equal([4L, 5L], Ids(log));
        Assert.False(log.HasHeld);
    }

    [Fact]
    public void Append_TerminalEvent_RefusesAnythingAfterIt()
    {
        var log = new HubLog("j1", 0);
        log.Append("completed", "{\"status\":\"succeeded\"}", DateTimeOffset.UnixEpoch, 5, out var accepted);
        Assert.True(accepted);
        Assert.True(log.Completed);
        log.Append("delta", "{}", DateTimeOffset.UnixEpoch, 6, out accepted);
        Assert.False(accepted);
        Assert.Equal([1L], Ids(log));
    }

    [Fact]
    public void Seed_NewRunAfterHeldEvents_HeldOnesThatFollowAreApplied()
    {
        var log = new HubLog("j1", 0);
        log.TryAccept(Event(6), force: false, nowTicks: 1, out _);
        log.Seed(5);
        Assert.Equal([6L], Ids(log));
        Assert.False(log.HasHeld);
    }
}
