using Sluice.Core.Jobs;
using Sluice.Core.Queueing;

namespace Sluice.Core.Tests.Queueing;

public sealed class PriorityLanesTests
{
    private static readonly DateTimeOffset s_t0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static QueuedJob Job(string id, JobPriority p, DateTimeOffset at) =>
        new() { Id = id, Model = "m", Priority = p, InputJson = "{}", EnqueuedAt = at };

    [Fact]
    public void TryDequeue_FreshJobs_ServesHighThenNormalThenLow()
    {
        var lanes = new PriorityLanes(TimeSpan.FromSeconds(10));
        lanes.Enqueue(Job("low", JobPriority.Low, s_t0));
        lanes.Enqueue(Job("normal", JobPriority.Normal, s_t0));
        lanes.Enqueue(Job("high", JobPriority.High, s_t0));
        var order = new List<string>();
        while (lanes.TryDequeue(s_t0, out var j))
        {
            order.Add(j.Id);
        }

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
}
