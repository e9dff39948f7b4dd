using System.Globalization;
using System.Net;
using Sluice.Distributed.Tests.Infrastructure;

namespace Sluice.Distributed.Tests.Faults;

/// <summary>Fault test 3: a gateway killed and restarted while clients stream events.</summary>
[Collection(BrokersCollection.Name)]
public sealed class GatewayRestartTests(Brokers brokers)
{
    /// <summary>
    /// Tokens per streamed job (20 ms each): the kill comes once about 20 of them are stored, and the rest (8 s) must
    /// outlast it and the store's lag on a loaded machine, or a stream ends before it can break.
    /// </summary>
    private const int Tokens = 400;

    [Fact]
    public async Task GatewayStop_SigtermWhileClientsWaitAndStreamWithCancelOnDisconnect_JobsKeepRunningAndClientsAreAnswered()
    {
        await using var cluster = await Cluster.CreateAsync(brokers, new Dictionary<string, string>
        {
            ["Sluice:BuiltIns:CountStepMs"] = "20",
        });
        var gateway = await cluster.StartAsync("gateway");
        var other = await cluster.StartAsync("gateway");
        await cluster.StartAsync("worker");
        const string Long = "{\"model\":\"count\",\"input\":{\"n\":5000},\"cache\":false}";

        // One client waits on the submit (Prefer: wait), another streams with cancel_on_disconnect=true.
        using var waitRequest = new HttpRequestMessage(HttpMethod.Post, "/v1/jobs") { Content = new StringContent(Long, System.Text.Encoding.UTF8, "application/json") };
        waitRequest.Headers.Add("Prefer", "wait=120");
        var waiting = gateway.Client.SendAsync(waitRequest);
        var (status, body) = await Cluster.PostJobAsync(gateway.Client, Long);
        Assert.Equal(HttpStatusCode.Accepted, status);
        var streamed = body.GetProperty("id").GetString()!;
        var stream = Task.Run(async () =>
        {
            try
            {
                using var r = await gateway.Client.GetAsync($"/v1/jobs/{streamed}/events?cancel_on_disconnect=true", HttpCompletionOption.ResponseHeadersRead);
                await r.Content.CopyToAsync(Stream.Null);
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException)
            {
            }
        });
        var until = DateTime.UtcNow.AddSeconds(30);
        while (await cluster.ScalarAsync("SELECT count(DISTINCT job_id) FROM events WHERE type = 'delta'") < 2)
        {
            Assert.True(DateTime.UtcNow < until, "jobs never started: " + cluster.Output);
            await Task.Delay(50);
        }

        await gateway.TerminateAsync();

        // The waiting client is answered (202, the job still running) rather than cut off; neither job is cancelled.
        using var answer = await waiting;
        Assert.Equal(HttpStatusCode.Accepted, answer.StatusCode);
        var waited = System.Text.Json.JsonDocument.Parse(await answer.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
        await stream;
        foreach (var id in new[] { waited, streamed })
        {
            var job = await Cluster.GetJobAsync(other.Client, id);
            Assert.True(job.GetProperty("status").GetString() == "running", $"{id}: {job}\n{cluster.Output}");
        }
    }

    [Fact]
    public async Task GatewayRestart_WhileClientsStream_ClientsResumeWithLastEventIdAndMissNothing()
    {
        await using var cluster = await Cluster.CreateAsync(brokers, new Dictionary<string, string>
        {
            ["Sluice:BuiltIns:CountStepMs"] = "20",
        });
        var gateway = await cluster.StartAsync("gateway");
        var other = await cluster.StartAsync("gateway");
        await cluster.StartAsync("worker");

        var ids = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            var (status, body) = await Cluster.PostJobAsync(gateway.Client, $"{{\"model\":\"count\",\"input\":{{\"n\":{Tokens}}},\"cache\":false}}");
            Assert.Equal(HttpStatusCode.Accepted, status);
            ids.Add(body.GetProperty("id").GetString()!);
        }

        // Every client streams from the gateway about to die; on a broken stream half of them come back to it
        // (once it is restarted on the same address) and half move to the other gateway, with Last-Event-ID.
        var clients = ids.Select((id, i) => Task.Run(() => FollowAsync(id, gateway.Client, i % 2 == 0 ? gateway.Client : other.Client))).ToList();
        var until = DateTime.UtcNow.AddSeconds(30);
        while (await cluster.ScalarAsync("SELECT count(*) FROM events WHERE type = 'delta'") < 6 * 20)
        {
            Assert.True(DateTime.UtcNow < until, "streams never started: " + cluster.Output);
            await Task.Delay(20);
        }

        await gateway.KillAsync();
        await Task.Delay(300);
        await gateway.StartAsync();

        var results = await Task.WhenAll(clients);
        var expectedText = string.Join(' ', Enumerable.Range(1, Tokens));
        foreach (var r in results)
        {
            Assert.True(r.Reconnects > 0, $"{r.Id} never lost its stream, so the test proved nothing");
            // Ids 1..n exactly once each, in order, across the reconnects.
            Assert.Equal(Enumerable.Range(1, r.Events.Count).Select(i => (long)i), r.Events.Select(e => e.Id));
            Assert.Equal(1, r.Events.Count(e => e.Type == "completed"));
            Assert.Equal("completed", r.Events[^1].Type);
            var text = string.Concat(r.Events.Where(e => e.Type == "delta").Select(e => WorkerCrashTests.Parse(e.Data).GetProperty("text").GetString()));
            Assert.Equal(expectedText, text);
            Assert.Equal(r.Events.Count, await cluster.ScalarAsync($"SELECT count(*) FROM events WHERE job_id = '{r.Id}'"));
        }
    }

    private static async Task<(string Id, List<(long Id, string Type, string Data)> Events, int Reconnects)> FollowAsync(string id, HttpClient first, HttpClient then)
    {
        var events = new List<(long Id, string Type, string Data)>();
        var reconnects = 0;
        var client = first;
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/jobs/{id}/events");
                if (events.Count > 0)
                {
                    request.Headers.Add("Last-Event-ID", events[^1].Id.ToString(CultureInfo.InvariantCulture));
                }

                using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
                response.EnsureSuccessStatusCode();
                using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
                long eventId = 0;
                string type = "", data = "";
                while (await reader.ReadLineAsync() is { } line)
                {
                    if (line.StartsWith("id: ", StringComparison.Ordinal))
                    {
                        eventId = long.Parse(line[4..], CultureInfo.InvariantCulture);
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
                        events.Add((eventId, type, data));
                        if (type == "completed")
                        {
                            return (id, events, reconnects);
                        }

                        type = "";
                    }
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException)
            {
            }

            // The stream broke (or the gateway is still down): reconnect with Last-Event-ID.
            reconnects++;
            client = then;
            await Task.Delay(100);
        }

        return (id, events, reconnects);
    }
}
