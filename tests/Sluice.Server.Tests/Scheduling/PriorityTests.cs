using System.Text.Json;
using Sluice.Server.Tests.Infrastructure;

namespace Sluice.Server.Tests.Scheduling;

[Collection(TimingCollection.Name)]
public sealed class PriorityTests
{
    [Fact]
    public async Task Priorities_SaturatedQueue_HighFinishesBeforeEarlierNormal()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string>
        {
            ["Sluice:BuiltIns:SleepBatchBaseMs"] = "40",
            ["Sluice:Models:sleep-batch:MaxBatchSize"] = "1",
            ["Sluice:Queue:Aging"] = "00:01:00",
        });
        var normal = new List<string>();
        for (var i = 0; i < 8; i++)
        {
            normal.Add(await SubmitAsync(server, "normal", i));
        }

        var high = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            high.Add(await SubmitAsync(server, "high", 100 + i));
        }

        var done = new Dictionary<string, DateTimeOffset>();
        foreach (var id in normal.Concat(high))
        {
            var job = await server.WaitTerminalAsync(id, TimeSpan.FromSeconds(30));
            Assert.Equal("succeeded", job.GetProperty("status").GetString());
            done[id] = job.GetProperty("completed_at").GetDateTimeOffset();
        }

        // At most the normal job already running when the highs arrived may finish first.
        var lastHigh = high.Max(h => done[h]);
        var normalsBeforeLastHigh = normal.Count(n => done[n] < lastHigh);
        Assert.InRange(normalsBeforeLastHigh, 0, 1);
    }

    [Fact]
    public async Task Priorities_ContinuousHighLoad_LowStillCompletes()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string>
        {
            ["Sluice:BuiltIns:SleepBatchBaseMs"] = "20",
            ["Sluice:Models:sleep-batch:MaxBatchSize"] = "1",
            ["Sluice:Queue:Aging"] = "00:00:00.200",
        });
        // Keep the high lane non-empty for the whole test.
        using var stop = new CancellationTokenSource();
        var highCount = 0;
        var feeder = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var depth = await QueueDepthAsync(server);
                if (depth < 20)
                {
                    await SubmitAsync(server, "high", Interlocked.Increment(ref highCount));
                }
                else
                {
                    await Task.Delay(5);
                }
            }
        });
        while (await QueueDepthAsync(server) < 10)
        {
            await Task.Delay(5);
        }

        var low = await SubmitAsync(server, "low", -1);
        var job = await server.WaitTerminalAsync(low, TimeSpan.FromSeconds(20));
        var highsQueuedAtEnd = await QueueDepthAsync(server);
        await stop.CancelAsync();
        await feeder;
        Assert.Equal("succeeded", job.GetProperty("status").GetString());
        Assert.True(highsQueuedAtEnd > 0, "the high lane drained, so this did not test starvation");
    }

    private static async Task<string> SubmitAsync(TestServer server, string priority, int i)
    {
        var (r, body) = await server.PostJobAsync($"{{\"model\":\"sleep-batch\",\"priority\":\"{priority}\",\"input\":{{\"i\":{i}}}}}");
        r.EnsureSuccessStatusCode();
        return body.GetProperty("id").GetString()!;
    }

    private static async Task<int> QueueDepthAsync(TestServer server)
    {
        using var r = await server.Client.GetAsync("/v1/models/sleep-batch");
        var m = await TestServer.ReadJsonAsync(r);
        return m.GetProperty("queue").GetProperty("total").GetInt32();
    }
}
