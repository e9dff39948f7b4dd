using System.Diagnostics;
using Sluice.Backends.Streaming;

namespace Sluice.Backends.Tests.Streaming;

public sealed class AsyncSignalTests
{
    [Fact]
    public void WaitAsync_SetBefore_CompletesAtOnceAndConsumesTheSignal()
    {
        var signal = new AsyncSignal();
        signal.Set();

        Assert.True(signal.WaitAsync(TimeSpan.FromMinutes(10), CancellationToken.None).IsCompletedSuccessfully);
        // Consumed: the next wait has to wait again.
        Assert.False(signal.WaitAsync(TimeSpan.FromMinutes(10), CancellationToken.None).IsCompleted);
    }

    [Fact]
    public async Task WaitAsync_NotSet_ReturnsToTheCallerAndCompletesWhenSet()
    {
        var signal = new AsyncSignal();

        // The caller gets an incomplete task back instead of being blocked: no thread is held while nothing arrives.
        var wait = signal.WaitAsync(TimeSpan.FromMinutes(10), CancellationToken.None).AsTask();
        Assert.False(wait.IsCompleted);

        signal.Set();
        await wait.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(wait.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task WaitAsync_NeverSet_CompletesAfterTheBound()
    {
        var signal = new AsyncSignal();
        var watch = Stopwatch.StartNew();

        await signal.WaitAsync(TimeSpan.FromMilliseconds(50), CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(10));

        Assert.True(watch.ElapsedMilliseconds >= 40, $"returned after {watch.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task WaitAsync_Cancelled_CompletesWithoutThrowing()
    {
        var signal = new AsyncSignal();
        using var cts = new CancellationTokenSource();
        var wait = signal.WaitAsync(TimeSpan.FromMinutes(10), cts.Token).AsTask();

        await cts.CancelAsync();

        await wait.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(wait.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task WaitAsync_SetAfterATimedOutWait_WakesTheNextWait()
    {
        var signal = new AsyncSignal();
        await signal.WaitAsync(TimeSpan.FromMilliseconds(1), CancellationToken.None);

        signal.Set();

        Assert.True(signal.WaitAsync(TimeSpan.FromMinutes(10), CancellationToken.None).IsCompletedSuccessfully);
    }
}
