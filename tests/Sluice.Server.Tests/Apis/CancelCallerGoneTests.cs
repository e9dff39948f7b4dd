using Microsoft.Extensions.DependencyInjection;
using Sluice.Core.Scheduling;
using Sluice.Server.Tests.Infrastructure;

namespace Sluice.Server.Tests.Apis;

/// <summary>A cancel whose caller (a DELETE's client) goes away while the job's batch runs.</summary>
public sealed class CancelCallerGoneTests
{
    [Fact]
    public async Task CancelAsync_CallerGoneWhileTheBatchRuns_StoresTheCancelWithoutWaitingOutTheFiveSeconds()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string>
        {
            // The batch outlasts the test by far (the stop cancels it).
            ["Sluice:BuiltIns:SleepBatchBaseMs"] = "60000",
            ["Sluice:Models:sleep-batch:MaxBatchSize"] = "1",
        });
        var (_, body) = await server.PostJobAsync("{\"model\":\"sleep-batch\",\"input\":{\"i\":1}}");
        var id = body.GetProperty("id").GetString()!;
        // Running in memory, not only in the store (which says so a moment earlier): the cancel must take the running path.
        var live = server.Services.GetRequiredService<LiveJobs>();
        LiveJob? job = null;
        var until = DateTime.UtcNow.AddSeconds(60);
        while (!live.TryGet(id, out job) || !job.Running)
        {
            Assert.True(DateTime.UtcNow < until, $"job {id} never started");
            await Task.Delay(10);
        }

        // The caller goes away the moment the cancel reaches the running job: the cancel is stored then, not after the
        // 5 s wait for the batch (which this test never lets pass).
        using var gone = new CancellationTokenSource();
        using var link = job.Cancellation.Token.Register(gone.Cancel);
        var jobs = server.Services.GetRequiredService<JobService>();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await jobs.CancelAsync(id, gone.Token));

        var stored = await server.GetJobAsync(id);
        Assert.Equal("cancelled", stored.GetProperty("status").GetString());
    }
}
