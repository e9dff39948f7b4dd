using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Sluice.Core.Storage;
using Sluice.Server.Tests.Infrastructure;
using Sluice.Sqlite;

namespace Sluice.Server.Tests.Scheduling;

/// <summary>
/// How the continuous batcher admits new sequences next to running ones: the durable write that marks a new run
/// started must not pause the streams already running.
/// </summary>
public sealed class ContinuousAdmissionTests
{
    [Fact]
    public async Task Admit_NewJobsStartIsSlowToStore_RunningStreamKeepsProducing()
    {
        await using var server = await TestServer.StartAsync(
            new Dictionary<string, string> { ["Sluice:BuiltIns:CountStepMs"] = "5" },
            configureServices: services =>
            {
                services.AddSingleton(sp => new OutageJobStore(sp.GetRequiredService<SqliteJobStore>()));
                services.Replace(ServiceDescriptor.Singleton<IJobStore>(sp => sp.GetRequiredService<OutageJobStore>()));
            });
        var store = server.Services.GetRequiredService<OutageJobStore>();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var (_, running) = await server.PostJobAsync("{\"model\":\"count\",\"input\":{\"n\":100000}}");
        var runningId = running.GetProperty("id").GetString()!;
        using var stream = await server.Client.GetAsync($"/v1/jobs/{runningId}/events", HttpCompletionOption.ResponseHeadersRead, cts.Token);
        Assert.Equal(HttpStatusCode.OK, stream.StatusCode);
        var deltas = 0;
        var reading = SseParser.ReadAllAsync(await stream.Content.ReadAsStreamAsync(cts.Token), cts.Token,
            e => Interlocked.Add(ref deltas, e.Event == "delta" ? 1 : 0));
        while (Volatile.Read(ref deltas) == 0)
        {
            await Task.Delay(10, cts.Token);
        }

        // A second job arrives while the store is slow to record that its run started.
        store.HeldStarts = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var (_, joining) = await server.PostJobAsync("{\"model\":\"count\",\"input\":{\"n\":3}}");
        var joiningId = joining.GetProperty("id").GetString()!;
        await store.StartHeld.Task.WaitAsync(cts.Token);

        // While that write is held, the running stream goes on producing tokens (before, the whole batch waited for it).
        var before = Volatile.Read(ref deltas);
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (Volatile.Read(ref deltas) < before + 50 && waited.Elapsed < TimeSpan.FromSeconds(20))
        {
            await Task.Delay(10, cts.Token);
        }

        Assert.True(Volatile.Read(ref deltas) >= before + 50, $"{Volatile.Read(ref deltas) - before} tokens streamed in {waited.Elapsed.TotalSeconds:F0} s while the new job's start was being stored");

        Assert.Equal("queued", (await server.GetJobAsync(joiningId)).GetProperty("status").GetString());

        store.HeldStarts.SetResult();
        store.HeldStarts = null;
        var joined = await server.WaitTerminalAsync(joiningId, TimeSpan.FromSeconds(30));
        Assert.Equal("succeeded", joined.GetProperty("status").GetString());
        Assert.Equal("1 2 3", joined.GetProperty("result").GetProperty("text").GetString()!.Trim());

        (await server.Client.DeleteAsync($"/v1/jobs/{runningId}", cts.Token)).Dispose();
        await reading;
        Assert.Equal("cancelled", (await server.WaitTerminalAsync(runningId, TimeSpan.FromSeconds(30))).GetProperty("status").GetString());
    }
}
