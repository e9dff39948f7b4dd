using Sluice.Server.Admission;
using Sluice.Testing;

namespace Sluice.Server.Tests.Admission;

public sealed class InMemoryRateLimitStoreTests
{
    [Fact]
    public async Task TryAcquireAsync_BurstThenRefill_AllowsAtConfiguredRate()
    {
        var clock = new ManualTimeProvider();
        var store = new InMemoryRateLimitStore(clock);
        for (var i = 0; i < 5; i++)
        {
            Assert.True((await store.TryAcquireAsync("k", 2, 5, 1, CancellationToken.None)).Allowed);
        }

        var refused = await store.TryAcquireAsync("k", 2, 5, 1, CancellationToken.None);
        Assert.False(refused.Allowed);
        Assert.Equal(0.5, refused.RetryAfter.TotalSeconds, 3);

        clock.Advance(TimeSpan.FromMilliseconds(500));
        Assert.True((await store.TryAcquireAsync("k", 2, 5, 1, CancellationToken.None)).Allowed);
        Assert.False((await store.TryAcquireAsync("k", 2, 5, 1, CancellationToken.None)).Allowed);
        Assert.True((await store.TryAcquireAsync("other", 2, 5, 1, CancellationToken.None)).Allowed);
    }

    [Fact]
    public async Task TryAcquireAsync_LongIdle_RefillsOnlyToBurst()
    {
        var clock = new ManualTimeProvider();
        var store = new InMemoryRateLimitStore(clock);
        await store.TryAcquireAsync("k", 10, 3, 3, CancellationToken.None);
        clock.Advance(TimeSpan.FromHours(1));
        Assert.True((await store.TryAcquireAsync("k", 10, 3, 3, CancellationToken.None)).Allowed);
        Assert.False((await store.TryAcquireAsync("k", 10, 3, 1, CancellationToken.None)).Allowed);
    }
}
