using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Sluice.Postgres.Tests;

/// <summary>Distributed rate limits: several gateways (separate stores and pools) share one bucket per key.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresRateLimiterTests(PostgresServer server)
{
    [Fact]
    public async Task TryTakeAsync_ThreeGatewaysHammeringOneKey_AdmitOnlyTheBurstTogether()
    {
        var url = await server.NewDatabaseAsync();
        // Ten connections per gateway: 300 concurrent takes otherwise open up to 150 connections at once, and on a
        // busy 2-core machine some of those openings outlived the store's 2 s connect timeout.
        var stores = Enumerable.Range(0, 3).Select(_ => new PostgresJobStore(Options.Create(new PostgresStoreOptions { Url = url, MaxPoolSize = 10 }), NullLogger<PostgresJobStore>.Instance)).ToList();
        foreach (var s in stores)
        {
            await s.InitializeAsync(CancellationToken.None);
        }

        var limiters = stores.Select(s => new PostgresRateLimiter(s)).ToList();
        // Burst 20, refill one per 1000 s: however long a loaded machine takes over 300 requests spread across 3
        // gateways, nothing refills meanwhile, so exactly the burst gets in.
        var tasks = Enumerable.Range(0, 300).Select(i => limiters[i % 3].TryTakeAsync("rps:key1", 0.001, 20, 1, CancellationToken.None).AsTask()).ToArray();
        var results = await Task.WhenAll(tasks);
        var allowed = results.Count(r => r.Allowed);
        Assert.Equal(20, allowed);
        // Another key has its own bucket.
        Assert.True((await limiters[0].TryTakeAsync("rps:key2", 0.001, 20, 1, CancellationToken.None)).Allowed);

        await using var conn = await stores[0].DataSource.OpenConnectionAsync();
        await using var cmd = new Npgsql.NpgsqlCommand("SELECT sum(requests), sum(rejected) FROM key_usage WHERE key = 'rps:key1'", conn);
        await using var reader = await cmd.ExecuteReaderAsync();
        await reader.ReadAsync();
        Assert.Equal(300m, reader.GetDecimal(0));
        Assert.Equal(300m - allowed, reader.GetDecimal(1));
        foreach (var s in stores)
        {
            await s.DisposeAsync();
        }
    }

    [Fact]
    public async Task TryTakeAsync_AfterRefillTime_AdmitsAgain()
    {
        var url = await server.NewDatabaseAsync();
        await using var store = new PostgresJobStore(Options.Create(new PostgresStoreOptions { Url = url }), NullLogger<PostgresJobStore>.Instance);
        await store.InitializeAsync(CancellationToken.None);
        var limiter = new PostgresRateLimiter(store);

        // One token per 2 s: the three takes fit in that even on a loaded machine (at 10/s one refilled in 100 ms).
        Assert.True((await limiter.TryTakeAsync("k", 0.5, 2, 1, CancellationToken.None)).Allowed);
        Assert.True((await limiter.TryTakeAsync("k", 0.5, 2, 1, CancellationToken.None)).Allowed);
        Assert.False((await limiter.TryTakeAsync("k", 0.5, 2, 1, CancellationToken.None)).Allowed);
        await Task.Delay(2500);
        Assert.True((await limiter.TryTakeAsync("k", 0.5, 2, 1, CancellationToken.None)).Allowed);
    }
}
