using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Sluice.Distributed.Tests.Infrastructure;

namespace Sluice.Distributed.Tests.Waiting;

/// <summary>
/// A wait on a gateway whose event hub does not hold the job's stream (it started after the job did, so it never saw
/// the start). The wait used to read the store once and answer with the job still running elsewhere.
/// </summary>
[Collection(BrokersCollection.Name)]
public sealed class CrossGatewayWaitTests(Brokers brokers)
{
    [Fact]
    public async Task PreferWait_ReplayOnAGatewayThatMissedTheStreamsStart_WaitsForTheOutcome()
    {
        await using var cluster = await Cluster.CreateAsync(brokers, new Dictionary<string, string> { ["Sluice:BuiltIns:CountStepMs"] = "20" });
        var first = await cluster.StartAsync("gateway");
        await cluster.StartAsync("worker");

        // 600 steps of 20 ms: about 12 s of running, long enough to start the second gateway meanwhile.
        const string Body = "{\"model\":\"count\",\"input\":{\"n\":600},\"cache\":false}";
        var key = "wait-" + Guid.NewGuid().ToString("N");
        var (status, submitted) = await PostAsync(first.Client, Body, key, wait: null);
        Assert.Equal(HttpStatusCode.Accepted, status);
        var id = submitted.GetProperty("id").GetString()!;
        var until = DateTime.UtcNow.AddSeconds(30);
        while (await cluster.ScalarAsync($"SELECT count(*) FROM events WHERE job_id = '{id}' AND type = 'delta'") < 5)
        {
            Assert.True(DateTime.UtcNow < until, "the job never ran: " + cluster.Output);
            await Task.Delay(20);
        }

        var second = await cluster.StartAsync("gateway");
        Assert.Equal("running", (await Cluster.GetJobAsync(second.Client, id)).GetProperty("status").GetString());

        // The same submit through the second gateway is a replay of that job: Prefer: wait waits for its outcome there.
        var waited = Stopwatch.StartNew();
        var (replayStatus, replayed) = await PostAsync(second.Client, Body, key, wait: 60);
        Assert.True(replayStatus == HttpStatusCode.OK, $"{(int)replayStatus} after {waited.Elapsed.TotalSeconds:F1} s: {replayed}");
        Assert.Equal(id, replayed.GetProperty("id").GetString());
        Assert.Equal("succeeded", replayed.GetProperty("status").GetString());
        Assert.Equal(1, await cluster.ScalarAsync($"SELECT count(*) FROM events WHERE job_id = '{id}' AND type = 'completed'"));
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(HttpClient client, string json, string key, int? wait)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/jobs") { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Add("Idempotency-Key", key);
        if (wait is { } seconds)
        {
            request.Headers.Add("Prefer", $"wait={seconds}");
        }

        using var r = await client.SendAsync(request);
        return (r.StatusCode, JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.Clone());
    }
}
