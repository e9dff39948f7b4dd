using System.Net;
using System.Text.Json;
using Sluice.Distributed.Tests.Infrastructure;

namespace Sluice.Distributed.Tests.Admission;

/// <summary><c>max_queue_depth</c> with RabbitMQ counts the jobs that wait, not the messages the broker still holds.</summary>
[Collection(BrokersCollection.Name)]
public sealed class QueueDepthTests(Brokers brokers)
{
    private const int Bound = 3;

    [Fact]
    public async Task QueueDepth_JobsCancelledWhileQueued_NotCounted()
    {
        await using var cluster = await Cluster.CreateAsync(brokers, new Dictionary<string, string>
        {
            ["Sluice:Models:sleep-batch:MaxQueueDepth"] = Bound.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Sluice:Queue:DepthPollInterval"] = "00:00:00.100",
        });
        // A gateway and no worker: nothing takes the cancelled jobs' messages out of the lane.
        var gateway = await cluster.StartAsync("gateway");
        var ids = new List<string>();
        for (var i = 0; i < Bound; i++)
        {
            var (status, body) = await Cluster.PostJobAsync(gateway.Client, $"{{\"model\":\"sleep-batch\",\"input\":{{\"i\":{i}}},\"cache\":false}}");
            Assert.Equal(HttpStatusCode.Accepted, status);
            ids.Add(body.GetProperty("id").GetString()!);
        }

        await UntilQueuedAsync(gateway, Bound);
        var (full, problem) = await Cluster.PostJobAsync(gateway.Client, "{\"model\":\"sleep-batch\",\"input\":{\"i\":9},\"cache\":false}");
        Assert.Equal(HttpStatusCode.TooManyRequests, full);
        Assert.Contains("max_queue_depth", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);

        foreach (var id in ids)
        {
            using var deleted = await gateway.Client.DeleteAsync($"/v1/jobs/{id}");
            Assert.Equal("cancelled", (await Cluster.GetJobAsync(gateway.Client, id)).GetProperty("status").GetString());
        }

        // The broker still holds the three messages (only a worker takes them out), but no job waits: the depth the
        // gateway reports and admits against drops to 0, and the next submit is admitted.
        Assert.Equal(Bound, await BrokerQueues.MessagesLeftAsync(brokers.QueueUrl, cluster.Prefix, ["sleep-batch"]));
        await UntilQueuedAsync(gateway, 0);
        var (admitted, _) = await Cluster.PostJobAsync(gateway.Client, "{\"model\":\"sleep-batch\",\"input\":{\"i\":10},\"cache\":false}");
        Assert.Equal(HttpStatusCode.Accepted, admitted);
        await UntilQueuedAsync(gateway, 1);
    }

    /// <summary>Polls <c>GET /v1/models/sleep-batch</c> until its queue total is <paramref name="expected"/> (10 s at most).</summary>
    private static async Task UntilQueuedAsync(SluiceNode gateway, int expected)
    {
        var until = DateTime.UtcNow.AddSeconds(10);
        var total = -1;
        while (DateTime.UtcNow < until)
        {
            using var r = await gateway.Client.GetAsync("/v1/models/sleep-batch");
            using var doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync());
            total = doc.RootElement.GetProperty("queue").GetProperty("total").GetInt32();
            if (total == expected)
            {
                return;
            }

            await Task.Delay(100);
        }

        Assert.Fail($"the gateway reported {total} jobs queued, expected {expected}");
    }
}
