using Sluice.Server.Tests.Infrastructure;

namespace Sluice.Server.Tests.Scheduling;

[Collection(TimingCollection.Name)]
public sealed class DeadlineSheddingTests
{
    [Fact]
    public async Task DynamicBatcher_DeadlineShorterThanPredictedRun_ShedsInsteadOfRunningLate()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string>
        {
            ["Sluice:BuiltIns:SleepBatchBaseMs"] = "1500",
            ["Sluice:BuiltIns:SleepBatchPerItemMs"] = "0",
        });
        // Teach the latency model: a batch costs about 1.5 s.
        for (var i = 0; i < 3; i++)
        {
            await server.PostJobAsync($"{{\"model\":\"sleep-batch\",\"input\":{{\"warm\":{i}}}}}", waitSeconds: 30);
        }

        // The queue is idle, so the job could start now, but it could not finish within 500 ms. (The deadline leaves a
        // loaded machine time to hand the job to the batcher: one that passes in the queue is expired, not shed.)
        var (_, body) = await server.PostJobAsync("{\"model\":\"sleep-batch\",\"input\":{\"late\":true},\"deadline_ms\":500}");
        var job = await server.WaitTerminalAsync(body.GetProperty("id").GetString()!, TimeSpan.FromSeconds(30));
        Assert.Equal("expired", job.GetProperty("status").GetString());
        Assert.Equal(0, job.GetProperty("attempts").GetInt32());
        Assert.Contains("shed", job.GetProperty("error").GetString());

        // A job with room to spare still runs.
        var (_, ok) = await server.PostJobAsync("{\"model\":\"sleep-batch\",\"input\":{\"late\":false},\"deadline_ms\":15000}", waitSeconds: 30);
        Assert.Equal("succeeded", ok.GetProperty("status").GetString());
    }
}
