using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Sluice.Core.Jobs;
using Sluice.Core.Scheduling;
using Sluice.Core.Storage;
using Sluice.Server.Tests.Infrastructure;
using Sluice.Sqlite;
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

    [Fact]
    public async Task ReleaseRunningAsync_DeleteLandsWhileTheHandBackIsWritten_CancelStoredNotLostToTheRestart()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string>
        {
            ["Sluice:BuiltIns:SleepBatchBaseMs"] = "60000",
            ["Sluice:BuiltIns:SleepBatchPerItemMs"] = "60000",
            ["Sluice:Models:sleep-batch:MaxBatchSize"] = "1",
        }, configureServices: services =>
        {
            services.AddSingleton(sp => new OutageJobStore(sp.GetRequiredService<SqliteJobStore>()));
            services.Replace(ServiceDescriptor.Singleton<IJobStore>(sp => sp.GetRequiredService<OutageJobStore>()));
        });
        var store = server.Services.GetRequiredService<OutageJobStore>();
        var (_, body) = await server.PostJobAsync("{\"model\":\"sleep-batch\",\"input\":{\"i\":1}}");
        var id = body.GetProperty("id").GetString()!;
        await Poll.UntilAsync(async () => (await server.GetJobAsync(id)).GetProperty("status").GetString() == "running", () => $"{id} never ran");
        Assert.True(server.Services.GetRequiredService<LiveJobs>().TryGet(id, out var live));

        // The stop: the batchers stop, then the running job is handed back, and the stop is held once the hand-back is
        // stored (the job reads queued), before it has let go of the job here.
        var afterHandBack = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        store.HeldAfterRetries = afterHandBack;
        var stop = server.Services.GetRequiredService<ModelHost>().StopAsync(CancellationToken.None);
        await store.RetryCommitted.Task.WaitAsync(TimeSpan.FromSeconds(20));
        store.HeldAfterRetries = null;

        // A client's DELETE lands there (after the stop's check for a cancel); then the stop goes on.
        var cancel = server.Services.GetRequiredService<JobService>().CancelAsync(id, CancellationToken.None).AsTask();
        await Poll.UntilAsync(() => Task.FromResult(cancel.IsCompleted || live.Cancellation.IsCancellationRequested), () => "the cancel never reached the job");
        afterHandBack.SetResult();
        await stop.WaitAsync(TimeSpan.FromSeconds(20));

        // The DELETE was answered with the job cancelled, and so it is stored: handed back queued, the restart would run it.
        var answered = await cancel.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(JobStatus.Cancelled, answered?.Status);
        Assert.Equal(JobStatus.Cancelled, (await store.GetAsync(id, CancellationToken.None))?.Status);
    }
}
