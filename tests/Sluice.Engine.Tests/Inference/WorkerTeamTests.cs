using Sluice.Engine.Inference;

namespace Sluice.Engine.Tests.Inference;

public sealed class WorkerTeamTests
{
    private static readonly ParallelOptions s_fallback = new() { MaxDegreeOfParallelism = 2 };

    [Fact]
    public void Run_ManyRegionsInARow_EveryItemRunsExactlyOnce()
    {
        // Thousands of back-to-back regions, as a forward pass issues them: no item lost or repeated between
        // generations, whether the workers are spinning or had gone to sleep.
        for (var region = 0; region < 2000; region++)
        {
            var items = 1 + (region % 37);
            var counts = new int[items];
            WorkerTeam.Shared.Run(items, 2, i => Interlocked.Increment(ref counts[i]), s_fallback);
            Assert.All(counts, c => Assert.Equal(1, c));
            if (region % 500 == 499)
            {
                Thread.Sleep(5); // longer than the spin time: the workers block and must be woken
            }
        }
    }

    [Fact]
    public void Run_ItemThrows_RethrowsOnTheCallerAndTheTeamStillWorks()
    {
        var ex = Assert.Throws<InvalidOperationException>(() =>
            WorkerTeam.Shared.Run(64, 2, i => { if (i == 40) { throw new InvalidOperationException("item 40"); } }, s_fallback));
        Assert.Equal("item 40", ex.Message);

        var counts = new int[16];
        WorkerTeam.Shared.Run(counts.Length, 2, i => Interlocked.Increment(ref counts[i]), s_fallback);
        Assert.All(counts, c => Assert.Equal(1, c));
    }

    [Fact]
    public void Run_ItemThrowsWhileTheTeamIsBusy_FallbackRethrowsTheSameException()
    {
        // A region started from inside another region finds the team busy and takes the Parallel.For path,
        // which must surface the item's own exception too, not an AggregateException.
        Exception? nested = null;
        WorkerTeam.Shared.Run(2, 2, i =>
        {
            if (i == 0)
            {
                nested = Record.Exception(() =>
                    WorkerTeam.Shared.Run(64, 2, j => { if (j == 7) { throw new InvalidOperationException("item 7"); } }, s_fallback));
            }
        }, s_fallback);

        var ex = Assert.IsType<InvalidOperationException>(nested);
        Assert.Equal("item 7", ex.Message);
    }

    [Fact]
    public async Task Run_TwoCallersAtOnce_BothComplete()
    {
        // Two models stepping at the same time: one holds the team, the other falls back to Parallel.For.
        var a = new int[5000];
        var b = new int[5000];
        var first = Task.Run(() => { for (var r = 0; r < 200; r++) { WorkerTeam.Shared.Run(25, 2, i => Interlocked.Increment(ref a[(r * 25) + i]), s_fallback); } });
        var second = Task.Run(() => { for (var r = 0; r < 200; r++) { WorkerTeam.Shared.Run(25, 2, i => Interlocked.Increment(ref b[(r * 25) + i]), s_fallback); } });
        await Task.WhenAll(first, second);

        Assert.All(a, c => Assert.Equal(1, c));
        Assert.All(b, c => Assert.Equal(1, c));
    }
}
