using Sluice.Core.Jobs;
using Sluice.Core.Queueing;

namespace Sluice.Core.Tests.Queueing;

public sealed class PriorityLanesTests
{
    private static readonly DateTimeOffset s_t0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static QueuedJob Job(string id, JobPriority p, DateTimeOffset at) =>
        new() { Id = id, Model = "m", Priority = p, InputJson = "{}", EnqueuedAt = at };

    /// <summary>The ids in the order the lanes serve them at <paramref name="now"/>, until they are empty.</summary>
    private static List<string> DequeueAll(PriorityLanes lanes, DateTimeOffset now)
    {
        var order = new List<string>();
        while (lanes.TryDequeue(now, out var j))
        {
            order.Add(j.Id);
        }

        return order;
    }

    [Fact]
    public void TryDequeue_FreshJobs_ServesHighThenNormalThenLow()
    {
        var lanes = new PriorityLanes(TimeSpan.FromSeconds(10));
        lanes.Enqueue(Job("low", JobPriority.Low, s_t0));
        lanes.Enqueue(Job("normal", JobPriority.Normal, s_t0));
        lanes.Enqueue(Job("high", JobPriority.High, s_t0));
        var order = DequeueAll(lanes, s_t0);

        Assert.Equal(["high", "normal", "low"], order);
    }

    [Fact]
    public void TryDequeue_SameLane_IsFifo()
    {
        var lanes = new PriorityLanes(TimeSpan.FromSeconds(10));
        for (var i = 0; i < 5; i++)
        {
            lanes.Enqueue(Job("n" + i, JobPriority.Normal, s_t0.AddMilliseconds(i)));
        }

        for (var i = 0; i < 5; i++)
        {
            Assert.True(lanes.TryDequeue(s_t0.AddSeconds(1), out var j));
            Assert.Equal("n" + i, j.Id);
        }
    }

    [Fact]
    public void TryDequeue_LowWaitedTwoAgingIntervals_BeatsFreshHigh()
    {
        var lanes = new PriorityLanes(TimeSpan.FromSeconds(1));
        lanes.Enqueue(Job("old-low", JobPriority.Low, s_t0));
        var now = s_t0.AddMilliseconds(2500);
        lanes.Enqueue(Job("fresh-high", JobPriority.High, now));
        Assert.True(lanes.TryDequeue(now, out var first));
        Assert.Equal("old-low", first.Id);
    }

    [Fact]
    public void TryDequeue_LowWaitedLessThanTwoIntervals_StillAfterHigh()
    {
        var lanes = new PriorityLanes(TimeSpan.FromSeconds(1));
        lanes.Enqueue(Job("low", JobPriority.Low, s_t0));
        var now = s_t0.AddMilliseconds(1500);
        lanes.Enqueue(Job("high", JobPriority.High, now));
        Assert.True(lanes.TryDequeue(now, out var first));
        Assert.Equal("high", first.Id);
        Assert.Equal(new QueueDepth(0, 0, 1), lanes.Depth);
    }

    [Fact]
    public void TryRemove_EntryInTheMiddleOfALane_RemovesOnlyItKeepingOrderCountAndDepth()
    {
        var lanes = new PriorityLanes(TimeSpan.FromSeconds(10));
        lanes.Enqueue(Job("a", JobPriority.Normal, s_t0));
        lanes.Enqueue(Job("b", JobPriority.Normal, s_t0.AddMilliseconds(1)));
        lanes.Enqueue(Job("c", JobPriority.Normal, s_t0.AddMilliseconds(2)));
        lanes.Enqueue(Job("h", JobPriority.High, s_t0));

        Assert.True(lanes.TryRemove("b", 0));
        Assert.False(lanes.TryRemove("b", 0));
        Assert.False(lanes.TryRemove("unknown", 0));

        Assert.Equal(3, lanes.Count);
        Assert.Equal(new QueueDepth(1, 2, 0), lanes.Depth);
        var order = DequeueAll(lanes, s_t0);

        Assert.Equal(["h", "a", "c"], order);
        Assert.Equal(0, lanes.Count);
    }

    [Fact]
    public void TryRemove_OldestEntry_TheNextOneIsTheOldest()
    {
        var lanes = new PriorityLanes(TimeSpan.FromSeconds(10));
        lanes.Enqueue(Job("old", JobPriority.Low, s_t0));
        lanes.Enqueue(Job("new", JobPriority.Low, s_t0.AddSeconds(5)));

        Assert.True(lanes.TryRemove("old", 0));

        Assert.True(lanes.TryPeekOldest(out var oldest));
        Assert.Equal(s_t0.AddSeconds(5), oldest);
    }

    [Fact]
    public void TryRemove_EntryOfAnEarlierRunThanTheOneQueued_KeepsTheQueuedRun()
    {
        // A requeued dead letter starts again at 0 attempts: a settle naming the run before it (2 attempts) leaves it.
        var lanes = new PriorityLanes(TimeSpan.FromSeconds(10));
        lanes.Enqueue(Job("j", JobPriority.Normal, s_t0));

        Assert.False(lanes.TryRemove("j", 2));
        Assert.Equal(1, lanes.Count);

        // Its own copy (or its retry, one attempt on) goes.
        Assert.True(lanes.TryRemove("j", 0));
        Assert.Equal(0, lanes.Count);
    }

    [Fact]
    public void TryRemove_MostOfADeepQueueRemoved_LanesCompactedKeepingOrderCountAndDepth()
    {
        // A wave of cancels: each removal is O(1), and the removed entries do not pile up in the lanes behind the
        // waiting ones (once they outnumber them the lanes are compacted).
        var lanes = new PriorityLanes(TimeSpan.FromSeconds(10));
        for (var i = 0; i < 1000; i++)
        {
            lanes.Enqueue(Job("j" + i, i % 2 == 0 ? JobPriority.Normal : JobPriority.Low, s_t0.AddMilliseconds(i)));
        }

        for (var i = 0; i < 1000; i++)
        {
            if (i % 10 != 0)
            {
                Assert.True(lanes.TryRemove("j" + i, 0));
            }
        }

        Assert.Equal(100, lanes.Count);
        Assert.Equal(new QueueDepth(0, 100, 0), lanes.Depth);
        Assert.InRange(lanes.Held, 100, (2 * lanes.Count) + 65);
        Assert.True(lanes.TryPeekOldest(out var oldest));
        Assert.Equal(s_t0, oldest);
        var order = DequeueAll(lanes, s_t0.AddSeconds(2));

        var expected = new List<string>();
        for (var i = 0; i < 1000; i += 10)
        {
            expected.Add("j" + i);
        }

        Assert.Equal(expected, order);
        Assert.Equal(0, lanes.Held);
    }

    [Fact]
    public void TryRemove_SameIdQueuedTwice_RemovesTheLatestAndTheEarlierStillDequeues()
    {
        var lanes = new PriorityLanes(TimeSpan.FromSeconds(10));
        lanes.Enqueue(Job("j", JobPriority.Normal, s_t0));
        lanes.Enqueue(Job("j", JobPriority.High, s_t0.AddMilliseconds(1)));

        Assert.True(lanes.TryRemove("j", 0));

        Assert.Equal(new QueueDepth(0, 1, 0), lanes.Depth);
        Assert.True(lanes.TryDequeue(s_t0, out var left));
        Assert.Equal(JobPriority.Normal, left.Priority);
        Assert.False(lanes.TryDequeue(s_t0, out _));
        Assert.Equal(0, lanes.Count);
    }
}
