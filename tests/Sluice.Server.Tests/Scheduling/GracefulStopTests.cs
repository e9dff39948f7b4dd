using Microsoft.Extensions.DependencyInjection;
using Sluice.Core.Scheduling;
using Sluice.Server.Tests.Infrastructure;
using Sluice.Testing.Server;

namespace Sluice.Server.Tests.Scheduling;

/// <summary>What a graceful stop does with the jobs running at that moment (through a real server and its store).</summary>
public sealed class GracefulStopTests
{
    [Fact]
    public async Task ReleaseRunningAsync_JobCancelledWhileItsBatchRuns_StoresTheCancelInsteadOfHandingItBack()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string>
        {
            // Two minutes for one item: the batch is still running when the stop comes.
            ["Sluice:BuiltIns:SleepBatchBaseMs"] = "60000",
            ["Sluice:BuiltIns:SleepBatchPerItemMs"] = "60000",
            ["Sluice:Models:sleep-batch:MaxBatchSize"] = "1",
        });
        var (_, body) = await server.PostJobAsync("{\"model\":\"sleep-batch\",\"input\":{\"i\":1}}");
        var id = body.GetProperty("id").GetString()!;
        await Poll.UntilAsync(async () => (await server.GetJobAsync(id)).GetProperty("status").GetString() == "running", () => $"{id} never ran");

        // A cancel that reached the job but whose outcome is not stored yet (a client's DELETE in its wait, a stream
        // with cancel_on_disconnect that just closed), then the stop hands running jobs back.
        Assert.True(server.Services.GetRequiredService<LiveJobs>().TryGet(id, out var live));
        JobLifecycle.TryCancel(live);
        await server.Services.GetRequiredService<JobLifecycle>().ReleaseRunningAsync(CancellationToken.None);

        // Handed back, it would run again (now, or after the restart).
        var job = await server.GetJobAsync(id);
        Assert.True(job.GetProperty("status").GetString() == "cancelled", $"the stop left {job}");
    }
}
