using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Sluice.Distributed.Tests.Infrastructure;

namespace Sluice.Distributed.Tests.Faults;

/// <summary>Fault test 1: a worker SIGKILLed in the middle of a batch while 1,000 jobs are in flight.</summary>
[Collection(BrokersCollection.Name)]
public sealed class WorkerCrashTests(Brokers brokers)
{
    [Fact]
    public async Task WorkerSigkill_MidBatchWith1000JobsInFlight_EveryJobCompletesExactlyOnce()
    {
        await using var cluster = await Cluster.CreateAsync(brokers, new Dictionary<string, string>
        {
            ["Sluice:BuiltIns:SleepBatchBaseMs"] = "150",
            ["Sluice:BuiltIns:SleepBatchPerItemMs"] = "1",
            ["Sluice:Models:sleep-batch:MaxBatchSize"] = "32",
        });
        var gateway = await cluster.StartAsync("gateway");

        // 1,000 accepted jobs, submitted by 8 concurrent clients. The workers start after: with them running, a
        // loaded machine submitting slower than they drain left no backlog, and the kill could find no batch running.
        var ids = new ConcurrentBag<string>();
        await Parallel.ForEachAsync(Enumerable.Range(0, 1000), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) =>
        {
            var (status, body) = await Cluster.PostJobAsync(gateway.Client, $"{{\"model\":\"sleep-batch\",\"input\":{{\"i\":{i}}}}}");
            Assert.Equal(HttpStatusCode.Accepted, status);
            ids.Add(body.GetProperty("id").GetString()!);
        });

        var victim = await cluster.StartAsync("worker");
        var survivor = await cluster.StartAsync("worker");

        // Both workers are busy with full batches; kill one in the middle of its work.
        var until = DateTime.UtcNow.AddSeconds(60);
        while (await cluster.ScalarAsync("SELECT count(*) FROM jobs WHERE status = 2") < 100)
        {
            Assert.True(DateTime.UtcNow < until, "no progress: " + cluster.Output);
            await Task.Delay(20);
        }

        var runningAtKill = await cluster.ScalarAsync("SELECT count(*) FROM jobs WHERE status = 1");
        await victim.KillAsync();
        // A replacement comes up, as an orchestrator would start one.
        await cluster.StartAsync("worker");

        await cluster.WaitAllTerminalAsync(1000, TimeSpan.FromSeconds(120));

        Assert.Equal(1000, ids.Count);
        Assert.Equal(1000, await cluster.ScalarAsync("SELECT count(*) FROM jobs WHERE status = 2"));
        // Exactly one result and one completed event per job, and gapless event ids.
        Assert.Equal(1000, await cluster.ScalarAsync("SELECT count(*) FROM jobs WHERE result IS NOT NULL"));
        Assert.Equal(1000, await cluster.ScalarAsync("SELECT count(*) FROM events WHERE type = 'completed'"));
        Assert.Equal(1000, await cluster.ScalarAsync("SELECT count(DISTINCT job_id) FROM events WHERE type = 'completed'"));
        Assert.Equal(0, await cluster.ScalarAsync("SELECT count(*) FROM (SELECT job_id FROM events GROUP BY job_id HAVING max(id) <> count(*)) gaps"));
        Assert.Equal(0, await cluster.ScalarAsync("SELECT count(*) FROM events WHERE type IN ('failed', 'dead_lettered', 'cancelled', 'expired')"));
        var interrupted = await cluster.ScalarAsync("SELECT count(*) FROM jobs WHERE attempts > 1");
        Assert.True(runningAtKill > 0 && interrupted > 0, $"the kill hit no running batch (running {runningAtKill}, interrupted {interrupted}), so it proved nothing");

        // What clients see through the gateway: one completed event per stream, ids 1..n without repeats.
        foreach (var id in ids.Take(25))
        {
            var events = await ReadEventsAsync(gateway.Client, id);
            Assert.Equal(1, events.Count(e => e.Type == "completed"));
            Assert.Equal(Enumerable.Range(1, events.Count).Select(i => (long)i), events.Select(e => e.Id));
        }

        _ = survivor;
    }

    internal static async Task<List<(long Id, string Type, string Data)>> ReadEventsAsync(HttpClient client, string id, long after = 0)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/jobs/{id}/events");
        if (after > 0)
        {
            request.Headers.Add("Last-Event-ID", after.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var list = new List<(long, string, string)>();
        long eventId = 0;
        string type = "", data = "";
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.StartsWith("id: ", StringComparison.Ordinal))
            {
                eventId = long.Parse(line[4..], System.Globalization.CultureInfo.InvariantCulture);
            }
            else if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                type = line[7..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                data = line[6..];
            }
            else if (line.Length == 0 && type.Length > 0)
            {
                list.Add((eventId, type, data));
                type = "";
            }
        }

        return list;
    }

    internal static JsonElement Parse(string json) => JsonDocument.Parse(json).RootElement.Clone();
}
