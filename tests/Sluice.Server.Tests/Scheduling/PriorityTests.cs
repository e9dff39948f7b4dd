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
            ["Sluice:BuiltIns:SleepBatchBaseMs"] = "250",
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

        var jobs = new Dictionary<string, JsonElement>();
        foreach (var id in normal.Concat(high))
        {
            var job = await server.WaitTerminalAsync(id, TimeSpan.FromSeconds(60));
            Assert.Equal("succeeded", job.GetProperty("status").GetString());
            jobs[id] = job;
        }

        // Judged on the server's own timestamps, not on how fast this client submitted (on a loaded machine the
        // normals may start, even finish, while the highs are still being sent): while a high waited in the queue, no
        // normal was started. At most one may slip in between a high's creation and its arrival in the queue.
        DateTimeOffset At(string id, string field) => jobs[id].GetProperty(field).GetDateTimeOffset();
        var overtaking = normal.Where(n => high.Any(h => At(n, "started_at") > At(h, "created_at") && At(n, "started_at") < At(h, "started_at"))).ToList();
        Assert.True(overtaking.Count <= 1, $"normal jobs started while a high one waited: {string.Join(", ", overtaking)}");

        // The test proves something only if normals were still waiting when the highs came.
        var waitingNormals = normal.Count(n => At(n, "started_at") > high.Min(h => At(h, "created_at")));
        Assert.True(waitingNormals > 0, "no normal job was still queued when the first high one arrived");
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
                // Tops the lane up in one go: one submit per look at the depth could fall behind the worker on a
                // loaded machine and let the lane drain.
                var depth = await QueueDepthAsync(server);
                if (depth < 20)
                {
                    await Task.WhenAll(Enumerable.Range(0, 20 - depth).Select(_ => SubmitAsync(server, "high", Interlocked.Increment(ref highCount))));
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
        var job = await server.WaitTerminalAsync(low, TimeSpan.FromSeconds(60));
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
