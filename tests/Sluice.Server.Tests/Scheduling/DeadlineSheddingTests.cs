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
            ["Sluice:BuiltIns:SleepBatchBaseMs"] = "300",
            ["Sluice:BuiltIns:SleepBatchPerItemMs"] = "0",
        });
        // Teach the latency model: a batch costs about 300 ms.
        for (var i = 0; i < 3; i++)
        {
            await server.PostJobAsync($"{{\"model\":\"sleep-batch\",\"input\":{{\"warm\":{i}}}}}", waitSeconds: 10);
        }

        // The queue is idle, so the job could start now, but it could not finish within 100 ms.
        var (_, body) = await server.PostJobAsync("{\"model\":\"sleep-batch\",\"input\":{\"late\":true},\"deadline_ms\":100}");
        var job = await server.WaitTerminalAsync(body.GetProperty("id").GetString()!, TimeSpan.FromSeconds(10));
        Assert.Equal("expired", job.GetProperty("status").GetString());
        Assert.Equal(0, job.GetProperty("attempts").GetInt32());
        Assert.Contains("shed", job.GetProperty("error").GetString());

        // A job with room to spare still runs.
        var (_, ok) = await server.PostJobAsync("{\"model\":\"sleep-batch\",\"input\":{\"late\":false},\"deadline_ms\":5000}", waitSeconds: 10);
        Assert.Equal("succeeded", ok.GetProperty("status").GetString());
    }
}
