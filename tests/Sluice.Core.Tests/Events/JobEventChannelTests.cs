using Sluice.Core.Events;
using Sluice.Core.Jobs;

namespace Sluice.Core.Tests.Events;

/// <summary>The subscriber channel keeps the framework unbounded channel's contract: never drops, never blocks, one reader.</summary>
public sealed class JobEventChannelTests
{
    private static JobEvent Event(long id) => new("job_1", id, JobEventTypes.Delta, "{}", DateTimeOffset.UnixEpoch);

    [Fact]
    public async Task TryWrite_ManyEventsAroundTheRing_AllReadInOrderThenEnd()
    {
        var channel = new JobEventChannel();
        var next = 1L;
        var read = new List<long>();
        // Partly drained between bursts, so the ring wraps and grows with events on both sides of its end.
        for (var burst = 0; burst < 5; burst++)
        {
            for (var i = 0; i < 3 + (burst * 7); i++)
            {
                Assert.True(channel.Writer.TryWrite(Event(next++)));
            }

            for (var i = 0; i < 2 && channel.Reader.TryRead(out var e); i++)
            {
                read.Add(e.Id);
            }
        }

        Assert.Equal(next - 1 - read.Count, channel.Reader.Count);
        Assert.True(channel.Writer.TryComplete());
        Assert.False(channel.Writer.TryWrite(Event(next)));
        Assert.False(channel.Reader.Completion.IsCompleted);
        await foreach (var e in channel.Reader.ReadAllAsync())
        {
            read.Add(e.Id);
        }

        Assert.Equal(Enumerable.Range(1, (int)(next - 1)).Select(i => (long)i), read);
        await channel.Reader.Completion.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task WaitToReadAsync_EventWrittenWhileWaiting_WakesTheReader()
    {
        var channel = new JobEventChannel();
        var wait = channel.Reader.WaitToReadAsync(CancellationToken.None).AsTask();
        Assert.False(wait.IsCompleted);

        channel.Writer.TryWrite(Event(1));

        Assert.True(await wait.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.True(channel.Reader.TryRead(out var e));
        Assert.Equal(1, e.Id);
    }

    [Fact]
    public async Task WaitToReadAsync_TokenCancelledWhileWaiting_ThrowsAndTheNextWaitStillGetsTheEvent()
    {
        // The SSE loop waits with a keep-alive token that fires while the job is idle, then waits again.
        var channel = new JobEventChannel();
        using var idle = new CancellationTokenSource();
        var first = channel.Reader.WaitToReadAsync(idle.Token).AsTask();
        await idle.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first.WaitAsync(TimeSpan.FromSeconds(5)));

        using var next = new CancellationTokenSource();
        var second = channel.Reader.WaitToReadAsync(next.Token).AsTask();
        channel.Writer.TryWrite(Event(1));
        Assert.True(await second.WaitAsync(TimeSpan.FromSeconds(5)));
        // The cancelled token's registration is gone: cancelling the live one later changes nothing read.
        await next.CancelAsync();
        Assert.True(channel.Reader.TryRead(out _));
    }

    [Fact]
    public async Task TryComplete_WhileTheReaderWaits_EndsTheWaitWithFalse()
    {
        var channel = new JobEventChannel();
        var completion = channel.Reader.Completion;
        var wait = channel.Reader.WaitToReadAsync(CancellationToken.None).AsTask();

        channel.Writer.TryComplete();

        Assert.False(await wait.WaitAsync(TimeSpan.FromSeconds(5)));
        await completion.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.False(await channel.Reader.WaitToReadAsync(CancellationToken.None));
    }

    [Fact]
    public async Task TryWrite_FromManyThreads_NoEventLost()
    {
        var channel = new JobEventChannel();
        const int writers = 4, each = 500;
        var reading = Task.Run(async () =>
        {
            var n = 0;
            await foreach (var _ in channel.Reader.ReadAllAsync())
            {
                n++;
            }

            return n;
        });
        var writing = Enumerable.Range(0, writers).Select(w => Task.Run(() =>
        {
            for (var i = 0; i < each; i++)
            {
                Assert.True(channel.Writer.TryWrite(Event((w * each) + i)));
            }
        })).ToArray();
        await Task.WhenAll(writing);
        channel.Writer.TryComplete();

        Assert.Equal(writers * each, await reading.WaitAsync(TimeSpan.FromSeconds(10)));
    }
}
