using System.Diagnostics;
using System.Net;
using Sluice.Distributed.Tests.Infrastructure;

namespace Sluice.Distributed.Tests.Faults;

/// <summary>
/// A job running on a worker that is SIGKILLed, with no other worker: the broker redelivers only to a live worker, so
/// the job used to stay <c>running</c> past its deadline (GET, <c>Prefer: wait</c> and the stream did not end) until a
/// worker came back. The gateway now expires it once its deadline is past by <c>Sluice:Queue:RunningDeadlineGrace</c>.
/// </summary>
[Collection(BrokersCollection.Name)]
public sealed class RunningDeadlineTests(Brokers brokers)
{
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task WorkerSigkill_WhileRunningAJobWithADeadlineAndNoOtherWorker_GatewayExpiresItShortlyAfterTheDeadlineAndAReturningWorkerChangesNothing()
    {
        await using var cluster = await Cluster.CreateAsync(brokers, new Dictionary<string, string>
        {
            ["Sluice:BuiltIns:CountStepMs"] = "20",
            ["Sluice:Queue:RunningDeadlineGrace"] = "00:00:02",
        });
        var gateway = await cluster.StartAsync("gateway");
        var worker = await cluster.StartAsync("worker");

        // 100,000 steps of 20 ms: the run would take half an hour, so only the deadline can end it.
        const int DeadlineMs = 12000;
        var submitted = Stopwatch.StartNew();
        var (status, body) = await Cluster.PostJobAsync(gateway.Client, $"{{\"model\":\"count\",\"input\":{{\"n\":100000}},\"deadline_ms\":{DeadlineMs},\"cache\":false}}");
        Assert.Equal(HttpStatusCode.Accepted, status);
        var id = body.GetProperty("id").GetString()!;

        var until = DateTime.UtcNow.AddSeconds(30);
        while (await cluster.ScalarAsync($"SELECT count(*) FROM events WHERE job_id = '{id}' AND type = 'delta'") < 10)
        {
            Assert.True(DateTime.UtcNow < until, "the job never ran: " + cluster.Output);
            await Task.Delay(20);
        }

        await worker.KillAsync();
        Assert.True(submitted.ElapsedMilliseconds < DeadlineMs - 1000, $"the kill came {submitted.ElapsedMilliseconds} ms after the submit, too close to the deadline to prove anything");
        Assert.Equal(1, await cluster.ScalarAsync($"SELECT count(*) FROM jobs WHERE id = '{id}' AND status = 1"));

        // A client following the stream sees it end, and GET sees the job expired, shortly after the deadline.
        var stream = WorkerCrashTests.ReadEventsAsync(gateway.Client, id);
        string jobStatus;
        do
        {
            await Task.Delay(100);
            jobStatus = (await Cluster.GetJobAsync(gateway.Client, id)).GetProperty("status").GetString()!;
            Assert.True(submitted.Elapsed < TimeSpan.FromMilliseconds(DeadlineMs) + Grace + TimeSpan.FromSeconds(30),
                $"still {jobStatus} {submitted.Elapsed.TotalSeconds:F1} s after the submit (deadline {DeadlineMs} ms): {cluster.Output}");
        }
        while (jobStatus == "running");

        Assert.Equal("expired", jobStatus);
        // Not before the grace (a live worker would have had that long to stop it), and within a few seconds of it. Both
        // times are the gateway's, as stored, so a slow submit or poll on a loaded machine does not count.
        var late = TimeSpan.FromMilliseconds(await cluster.ScalarAsync($"SELECT completed_at - deadline FROM jobs WHERE id = '{id}'"));
        Assert.True(late >= Grace, $"expired {late.TotalSeconds:F1} s after the deadline, before the grace");
        Assert.True(late < Grace + TimeSpan.FromSeconds(5), $"expired only {late.TotalSeconds:F1} s after the deadline");
        var expired = await Cluster.GetJobAsync(gateway.Client, id);
        var error = expired.GetProperty("error").GetString()!;
        Assert.StartsWith("deadline passed while running (attempt 1), and no worker stopped the job within 2 s after it", error);

        var events = await stream.WaitAsync(Brokers.DeliveryWait);
        Assert.Equal("expired", events[^1].Type);
        Assert.Equal(1, events.Count(e => e.Type is "completed" or "failed" or "cancelled" or "expired" or "dead_lettered"));
        Assert.Equal(Enumerable.Range(1, events.Count).Select(i => (long)i), events.Select(e => e.Id));

        // A worker that comes back takes the redelivered message, finds the job finished and drops it.
        await cluster.StartAsync("worker");
        until = DateTime.UtcNow.AddSeconds(30);
        while (await BrokerQueues.MessagesLeftAsync(brokers.QueueUrl, cluster.Prefix, ["count"]) > 0)
        {
            Assert.True(DateTime.UtcNow < until, "the returning worker never took the redelivered message: " + cluster.Output);
            await Task.Delay(100);
        }

        await Task.Delay(1000);
        var after = await Cluster.GetJobAsync(gateway.Client, id);
        Assert.Equal("expired", after.GetProperty("status").GetString());
        Assert.Equal(error, after.GetProperty("error").GetString());
        Assert.Equal(1, await cluster.ScalarAsync($"SELECT count(*) FROM jobs WHERE id = '{id}' AND attempts = 1"));
        Assert.Equal(events.Count, await cluster.ScalarAsync($"SELECT count(*) FROM events WHERE job_id = '{id}'"));
        Assert.Equal(events[^1].Id, await cluster.ScalarAsync($"SELECT max(id) FROM events WHERE job_id = '{id}'"));
    }
}
