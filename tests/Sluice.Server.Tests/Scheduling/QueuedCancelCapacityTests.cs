using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Sluice.Core.Models;
using Sluice.Server.Tests.Infrastructure;
using Sluice.Testing.Server;

namespace Sluice.Server.Tests.Scheduling;

/// <summary>
/// A job settled while it waits in the embedded queue (DELETE, its deadline, a disconnect's cancel) gives its place back
/// at once: it no longer counts against <c>max_queue_depth</c> or in <c>sluice_queue_depth</c> while the model is busy.
/// </summary>
public sealed class QueuedCancelCapacityTests
{
    private const int MaxQueueDepth = 4;

    [Fact]
    public async Task Submit_QueueFullThenQueuedJobsCancelledWhileTheModelIsBusy_NewJobIsAccepted()
    {
        var model = new GatedBatchModel();
        await using var server = await StartAsync(model);
        var queued = await FillQueueAsync(server, model);

        var (refused, _) = await server.PostJobAsync(Body(99));
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);

        // Two of the waiting jobs are cancelled: no live job waits in their places any more.
        for (var i = 0; i < 2; i++)
        {
            using var cancel = await server.Client.DeleteAsync($"/v1/jobs/{queued[i]}");
            Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        }

        Assert.Equal(MaxQueueDepth - 2, await QueueTotalAsync(server));
        Assert.Equal(MaxQueueDepth - 2, await DepthGaugeAsync(server));
        var accepted = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            var (response, body) = await server.PostJobAsync(Body(100 + i));
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            accepted.Add(body.GetProperty("id").GetString()!);
        }

        var (fullAgain, _) = await server.PostJobAsync(Body(102));
        Assert.Equal(HttpStatusCode.TooManyRequests, fullAgain.StatusCode);

        // The model frees up: the jobs still waiting run, the cancelled ones stay cancelled.
        model.Open();
        foreach (var id in queued[2..].Concat(accepted))
        {
            Assert.Equal("succeeded", (await server.WaitTerminalAsync(id, TimeSpan.FromSeconds(30))).GetProperty("status").GetString());
        }

        Assert.Equal("cancelled", (await server.GetJobAsync(queued[0])).GetProperty("status").GetString());
        Assert.Equal("cancelled", (await server.GetJobAsync(queued[1])).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Deadline_QueuedJobExpiresWhileTheModelIsBusy_LeavesTheQueueDepth()
    {
        var model = new GatedBatchModel();
        await using var server = await StartAsync(model);
        var (_, first) = await server.PostJobAsync(Body(0));
        await model.Entered.WaitAsync(TimeSpan.FromSeconds(30));

        var (_, waiting) = await server.PostJobAsync(Body(1));
        var (response, expiring) = await server.PostJobAsync("{\"model\":\"gated\",\"input\":{\"i\":2},\"deadline_ms\":300}");
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(2, await QueueTotalAsync(server));

        var expired = await server.WaitTerminalAsync(expiring.GetProperty("id").GetString()!, TimeSpan.FromSeconds(30));
        Assert.Equal("expired", expired.GetProperty("status").GetString());
        // The timer takes the entry out just after the store has the outcome (which the poll above may read first).
        await Poll.UntilAsync(async () => await QueueTotalAsync(server) == 1, () => "the expired job still counts in the queue", TimeSpan.FromSeconds(10));
        Assert.Equal(1, await DepthGaugeAsync(server));

        model.Open();
        Assert.Equal("succeeded", (await server.WaitTerminalAsync(first.GetProperty("id").GetString()!, TimeSpan.FromSeconds(30))).GetProperty("status").GetString());
        Assert.Equal("succeeded", (await server.WaitTerminalAsync(waiting.GetProperty("id").GetString()!, TimeSpan.FromSeconds(30))).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Events_CancelOnDisconnectOfAQueuedJobWhileTheModelIsBusy_LeavesTheQueueDepth()
    {
        var model = new GatedBatchModel();
        await using var server = await StartAsync(model);
        var queued = await FillQueueAsync(server, model);

        using (var cts = new CancellationTokenSource())
        {
            using var r = await server.Client.GetAsync($"/v1/jobs/{queued[0]}/events?cancel_on_disconnect=true", HttpCompletionOption.ResponseHeadersRead, cts.Token);
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            using var stream = await r.Content.ReadAsStreamAsync(cts.Token);
            Assert.True(await stream.ReadAsync(new byte[256], cts.Token) > 0);
            await cts.CancelAsync();
        }

        Assert.Equal("cancelled", (await server.WaitTerminalAsync(queued[0], TimeSpan.FromSeconds(30))).GetProperty("status").GetString());
        // Its entry goes just after the store has the outcome (which the poll above may read first).
        await Poll.UntilAsync(async () => await QueueTotalAsync(server) == MaxQueueDepth - 1, () => "the cancelled job still counts in the queue", TimeSpan.FromSeconds(10));
        var (accepted, _) = await server.PostJobAsync(Body(99));
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        model.Open();
    }

    private static Task<TestServer> StartAsync(GatedBatchModel model) =>
        TestServer.StartAsync(
            new Dictionary<string, string>
            {
                [$"Sluice:Models:{GatedBatchModel.Name}:MaxBatchSize"] = "1",
                [$"Sluice:Models:{GatedBatchModel.Name}:MaxQueueDepth"] = MaxQueueDepth.ToString(System.Globalization.CultureInfo.InvariantCulture),
            },
            configureServices: services => services.AddSingleton<IModelSource>(model));

    /// <summary>One job holds the batcher in the gate; <see cref="MaxQueueDepth"/> more wait behind it (their ids).</summary>
    private static async Task<List<string>> FillQueueAsync(TestServer server, GatedBatchModel model)
    {
        var (_, _) = await server.PostJobAsync(Body(0));
        await model.Entered.WaitAsync(TimeSpan.FromSeconds(30));
        var ids = new List<string>();
        for (var i = 1; i <= MaxQueueDepth; i++)
        {
            var (response, body) = await server.PostJobAsync(Body(i));
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            ids.Add(body.GetProperty("id").GetString()!);
        }

        Assert.Equal(MaxQueueDepth, await QueueTotalAsync(server));
        return ids;
    }

    private static async Task<int> QueueTotalAsync(TestServer server)
    {
        using var doc = JsonDocument.Parse(await server.Client.GetStringAsync($"/v1/models/{GatedBatchModel.Name}"));
        return doc.RootElement.GetProperty("queue").GetProperty("total").GetInt32();
    }

    private static async Task<long> DepthGaugeAsync(TestServer server) =>
        await PrometheusText.CounterAsync(server.Client, "sluice_queue_depth", $"model=\"{GatedBatchModel.Name}\"", "priority=\"normal\"");

    private static string Body(int i) => $"{{\"model\":\"{GatedBatchModel.Name}\",\"input\":{{\"i\":{i}}}}}";
}
