using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Sluice.Core.Jobs;
using Sluice.Core.Storage;
using Sluice.Server.Tests.Infrastructure;

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
}
