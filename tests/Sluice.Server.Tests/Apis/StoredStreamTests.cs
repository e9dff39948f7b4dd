using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Sluice.Core.Jobs;
using Sluice.Core.Scheduling;
using Sluice.Core.Storage;
using Sluice.Server.Tests.Infrastructure;
using Sluice.Sqlite;

namespace Sluice.Server.Tests.Apis;

/// <summary>The event stream of a job this process does not hold live (replayed from the store and polled).</summary>
public sealed class StoredStreamTests
{
    [Fact]
    public async Task Events_JobNotLiveAndWaiting_KeepAliveAtItsIntervalNotAtEveryStorePoll()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string> { ["Sluice:Http:KeepAliveSeconds"] = "2" });
        // Queued for a model this server does not serve (as after a restart without it): no process runs it, and the
        // stream waits on the store for as long as it stays so.
        var at = DateTimeOffset.UtcNow;
        var id = JobIds.New(at);
        await server.Services.GetRequiredService<IJobStore>().CreateAsync(
            new JobRecord { Id = id, Model = "unserved", InputJson = "{}", Owner = "anonymous", CreatedAt = at, Status = JobStatus.Queued }, CancellationToken.None);

        using var response = await server.Client.GetAsync($"/v1/jobs/{id}/events", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        // The first keep-alive (within a minute even on a loaded machine), then a window of three seconds: at a 2 s
        // interval it holds one or two more; a keep-alive per 250 ms poll would put about twelve there.
        while (await reader.ReadLineAsync(cts.Token) is { } line && line != ": keep-alive")
        {
        }

        var window = Stopwatch.StartNew();
        var more = 0;
        using var windowCts = CancellationTokenSource.CreateLinkedTokenSource(cts.Token);
        windowCts.CancelAfter(TimeSpan.FromSeconds(3));
        try
        {
            while (await reader.ReadLineAsync(windowCts.Token) is { } line)
            {
                more += line == ": keep-alive" ? 1 : 0;
            }
        }
        catch (OperationCanceledException) when (!cts.IsCancellationRequested)
        {
        }

        Assert.True(more <= 2, $"{more} keep-alives in {window.Elapsed.TotalSeconds:F1} s at a 2 s interval");
    }

    [Fact]
    public async Task Events_RunReportsWhileItsCancelIsStored_LiveAndStoredStreamsAgree()
    {
        // A batch that cannot stop at once (the essay grader's) goes on reporting progress after a cancel has settled the
        // job, while its outcome is being written. The terminal event's id is taken before that write.
        await using var server = await TestServer.StartAsync(
            new Dictionary<string, string> { ["Sluice:BuiltIns:SleepBatchBaseMs"] = "60000" },
            configureServices: services =>
            {
                services.AddSingleton(sp => new OutageJobStore(sp.GetRequiredService<SqliteJobStore>()));
                services.Replace(ServiceDescriptor.Singleton<IJobStore>(sp => sp.GetRequiredService<OutageJobStore>()));
            });
        var store = server.Services.GetRequiredService<OutageJobStore>();
        var (_, submitted) = await server.PostJobAsync("{\"model\":\"sleep-batch\",\"input\":{\"x\":1}}");
        var id = submitted.GetProperty("id").GetString()!;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (await StatusAsync(server, id) != "running")
        {
            await Task.Delay(20, cts.Token);
        }

        Assert.True(server.Services.GetRequiredService<LiveJobs>().TryGet(id, out var run));
        var live = server.ReadEventsAsync(id, ct: cts.Token);
        store.HeldCompletions = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var cancel = server.Client.DeleteAsync($"/v1/jobs/{id}", cts.Token);
        await store.CompletionHeld.Task.WaitAsync(cts.Token);
        server.Services.GetRequiredService<JobLifecycle>().Progress(run, "scoring", 0.5, null);
        store.HeldCompletions.SetResult();
        (await cancel).Dispose();

        var seen = await live;
        var stored = await store.GetEventsAsync(id, 0, CancellationToken.None);
        Assert.Equal("cancelled", seen[^1].Event);
        Assert.Equal(Describe(stored), string.Join(", ", seen.Select(e => $"{e.Id} {e.Event}")));
        // A client that lost the connection after the last event before the terminal one resumes to the terminal event.
        var resumed = await server.ReadEventsAsync(id, seen[^2].Id, cts.Token);
        Assert.Equal("cancelled", Assert.Single(resumed).Event);
    }

    private static string Describe(IReadOnlyList<JobEvent> events) => string.Join(", ", events.Select(e => $"{e.Id} {e.Type}"));

    private static async Task<string> StatusAsync(TestServer server, string id)
    {
        using var r = await server.Client.GetAsync($"/v1/jobs/{id}");
        return (await TestServer.ReadJsonAsync(r)).GetProperty("status").GetString()!;
    }
}
