using Microsoft.Extensions.Options;
using Sluice.Core.Caching;

namespace Sluice.Core.Tests.Caching;

public sealed class ResultCacheTests
{
    [Fact]
    public void Put_BeyondByteBound_EvictsLeastRecentlyUsed()
    {
        // Each entry is (2 + 100) chars × 2 bytes + 64 = 268 bytes; 1,000 bytes hold three.
        var cache = new ResultCache(Options.Create(new CacheOptions { MaxBytes = 1000 }));
        var value = new string('v', 100);
        cache.Put("k1", value);
        cache.Put("k2", value);
        cache.Put("k3", value);
        Assert.True(cache.TryGet("k1", out _));
        cache.Put("k4", value);
        Assert.True(cache.TryGet("k1", out _));
        Assert.False(cache.TryGet("k2", out _));
        Assert.True(cache.Bytes <= 1000);
        Assert.Equal(3, cache.Count);
    }

    [Fact]
    public void Put_LargerThanBound_IsNotCached()
    {
        var cache = new ResultCache(Options.Create(new CacheOptions { MaxBytes = 100 }));
        cache.Put("k", new string('x', 1000));
        Assert.False(cache.TryGet("k", out _));
        Assert.Equal(0, cache.Bytes);
    }

    [Fact]
    public void Put_SameKeyTwice_ReplacesWithoutLeakingBytes()
    {
        var cache = new ResultCache(Options.Create(new CacheOptions { MaxBytes = 10_000 }));
        cache.Put("k", "a");
        var once = cache.Bytes;
        cache.Put("k", "b");
        Assert.Equal(once, cache.Bytes);
        Assert.True(cache.TryGet("k", out var v));
        Assert.Equal("b", v);
    }
}
