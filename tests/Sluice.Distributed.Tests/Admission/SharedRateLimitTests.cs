using System.Net;
using Sluice.Distributed.Tests.Infrastructure;

namespace Sluice.Distributed.Tests.Admission;

/// <summary>Per-key limits hold across gateways: two gateways together admit the key's rate, not twice it.</summary>
[Collection(BrokersCollection.Name)]
public sealed class SharedRateLimitTests(Brokers brokers)
{
    [Fact]
    public async Task RateLimit_SameKeyThroughTwoGateways_EffectiveLimitIsNotMultiplied()
    {
        await using var cluster = await Cluster.CreateAsync(brokers, new Dictionary<string, string>
        {
            ["Sluice:Auth:Keys:0:Id"] = "team-a",
            ["Sluice:Auth:Keys:0:Key"] = "secret-a",
            ["Sluice:Auth:Keys:0:RequestsPerSecond"] = "2",
            ["Sluice:Auth:Keys:0:Burst"] = "10",
        });
        var one = await cluster.StartAsync("gateway");
        var two = await cluster.StartAsync("gateway");
        foreach (var g in new[] { one, two })
        {
            g.Client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "secret-a");
        }

        var started = DateTime.UtcNow;
        // 8 clients, 10 requests each, alternating gateways, as fast as the gateways answer.
        var statuses = new HttpStatusCode[80];
        await Parallel.ForEachAsync(Enumerable.Range(0, 80), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) =>
        {
            using var r = await (i % 2 == 0 ? one : two).Client.GetAsync("/v1/models");
            statuses[i] = r.StatusCode;
        });
        var elapsed = (DateTime.UtcNow - started).TotalSeconds;
        var allowed = statuses.Count(s => s == HttpStatusCode.OK);
        Assert.All(statuses, s => Assert.True(s is HttpStatusCode.OK or HttpStatusCode.TooManyRequests, s.ToString()));
        // One bucket for the key: burst 10 plus 2/s refill over the run; per-gateway buckets would admit 20 and more.
        Assert.True(allowed >= 10 && allowed <= 10 + (int)Math.Ceiling(elapsed * 2) + 1, $"{allowed} allowed in {elapsed:F1} s");
        Assert.True(statuses.Where((_, i) => i % 2 == 1).Any(s => s == HttpStatusCode.OK) && statuses.Where((_, i) => i % 2 == 0).Any(s => s == HttpStatusCode.OK));
        // Usage is recorded per key in the shared store.
        Assert.Equal(80, await cluster.ScalarAsync("SELECT sum(requests) FROM key_usage WHERE key = 'rps:team-a'"));
    }
}
