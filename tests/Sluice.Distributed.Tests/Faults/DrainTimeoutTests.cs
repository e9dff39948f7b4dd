using System.Diagnostics;
using System.Net;
using System.Text;
using Sluice.Distributed.Tests.Infrastructure;

namespace Sluice.Distributed.Tests.Faults;

/// <summary>
/// A graceful stop whose drain uses the whole of the host's <c>ShutdownTimeout</c> (a request in flight longer than it)
/// on a node that runs models with the PostgreSQL store: the running jobs must still be handed back without counting
/// the attempt. The hand-back was given the host's token, already cancelled by then, and PostgreSQL refused every
/// write: the jobs stayed running, and their redelivered copy counted an attempt the stop had cost them.
/// </summary>
[Collection(BrokersCollection.Name)]
public sealed class DrainTimeoutTests(Brokers brokers)
{
    [Fact]
    public async Task Sigterm_RequestHoldsTheDrainPastTheShutdownTimeout_RunningJobStillHandedBackWithoutCountingTheAttempt()
    {
        await using var cluster = await Cluster.CreateAsync(brokers, new Dictionary<string, string>
        {
            ["shutdownTimeoutSeconds"] = "3",
            ["Sluice:BuiltIns:SleepBatchBaseMs"] = "12000",
            ["Sluice:Models:sleep-batch:MaxBatchSize"] = "1",
            ["Logging:LogLevel:Sluice.Core.Scheduling.ModelHost"] = "Information",
        });
        var node = await cluster.StartAsync("all");
        var (status, body) = await Cluster.PostJobAsync(node.Client, "{\"model\":\"sleep-batch\",\"input\":{\"i\":1},\"cache\":false}");
        Assert.Equal(HttpStatusCode.Accepted, status);
        var id = body.GetProperty("id").GetString()!;
        var until = DateTime.UtcNow.AddSeconds(30);
        while (await cluster.ScalarAsync($"SELECT count(*) FROM jobs WHERE id = '{id}' AND status = 1") == 0)
        {
            Assert.True(DateTime.UtcNow < until, "the job never ran: " + cluster.Output);
            await Task.Delay(20);
        }

        // A synchronous inference of 12 s keeps the listeners draining past the 3 s ShutdownTimeout.
        var infer = node.Client.PostAsync("/v1/models/sleep-batch/infer", new StringContent("{\"input\":{\"i\":2}}", Encoding.UTF8, "application/json"));
        await Task.Delay(500);
        var clock = Stopwatch.StartNew();
        await node.TerminateAsync();
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(11), $"the stop took {clock.Elapsed}, past the job's own end");
        Assert.True(node.ExitCode == 0, $"exited {node.ExitCode}: {node.Output}");
        try
        {
            // Cut off at the end of the ShutdownTimeout: not the test's concern here.
            using var _ = await infer;
        }
        catch (HttpRequestException)
        {
        }

        Assert.Contains("1 running jobs handed back", node.Output, StringComparison.Ordinal);
        // Back to queued with the attempts it had before the run, in the store, before any other worker took it.
        Assert.Equal(1, await cluster.ScalarAsync($"SELECT count(*) FROM jobs WHERE id = '{id}' AND status = 0 AND attempts = 0"));

        // Its delivery went back to the broker: another worker runs it as its first attempt.
        var gateway = await cluster.StartAsync("gateway");
        await cluster.StartAsync("worker");
        await cluster.WaitAllTerminalAsync(1, TimeSpan.FromSeconds(60));
        var job = await Cluster.GetJobAsync(gateway.Client, id);
        Assert.True(job.GetProperty("status").GetString() == "succeeded", $"{id} ended {job}: {cluster.Output}");
        Assert.Equal(1, job.GetProperty("attempts").GetInt32());
    }
}
