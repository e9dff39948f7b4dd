using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Sluice.Distributed.Tests.Faults;
using Sluice.Distributed.Tests.Infrastructure;
using Sluice.Testing.Server;

namespace Sluice.Distributed.Tests.Fallback;

/// <summary>
/// Jobs queued (in RabbitMQ, or prefetched by a worker) on a remote backend that becomes unusable while they wait:
/// the worker moves the OpenAI endpoints' jobs to the backend's <c>Fallback</c> through the fallback's queue, the
/// gateway answers from the fallback, and the store, the event streams and the broker all end consistent.
/// </summary>
[Collection(BrokersCollection.Name)]
public sealed class QueuedFallbackTests(Brokers brokers)
{
    private const string Chat = """{"model":"remote","messages":[{"role":"user","content":"x"}],"max_tokens":2}""";
    private const string Completion = """{"model":"remote","prompt":"x","max_tokens":2}""";

    [Fact]
    public async Task QueuedOpenAiRequests_CircuitOpensWhileQueued_AnsweredByFallbackExactlyOnce()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var upstream = await FakeUpstream.StartAsync(app =>
        {
            app.MapGet("/v1/models", FakeOpenAi.ModelsAsync);
            RequestDelegate failing = async ctx =>
            {
                await release.Task;
                ctx.Response.StatusCode = 500;
                await ctx.Response.WriteAsync("boom");
            };
            app.MapPost("/v1/chat/completions", failing);
            app.MapPost("/v1/completions", failing);
        });
        await using var cluster = await Cluster.CreateAsync(brokers, Backend(upstream.Url + "/v1",
            ("BreakerMinimumThroughput", "2"), ("BreakerFailureRatio", "0.5"), ("BreakerSamplingSeconds", "60"), ("BreakerCooldownSeconds", "600"),
            ("HealthProbeIntervalSeconds", "0")));
        var gateway = await cluster.StartAsync("gateway");
        var worker = await cluster.StartAsync("worker");

        // One request holds the only upstream slot; four more queue behind it (chat and completions, in whatever order).
        var requests = new List<Task<(HttpResponseMessage Response, JsonElement Body)>>();
        try
        {
            requests.Add(PostAsync(gateway.Client, "/v1/chat/completions", Chat));
            await Poll.UntilAsync(() => Task.FromResult(UpstreamCalls(upstream) == 1), () => "the first request never reached the upstream: " + cluster.Output);
            for (var i = 0; i < 4; i++)
            {
                requests.Add(PostAsync(gateway.Client, i % 2 == 0 ? "/v1/chat/completions" : "/v1/completions", i % 2 == 0 ? Chat : Completion));
            }

            // Confirmed by the broker (published) and not started: waiting in a lane or in the worker's prefetch.
            await Poll.UntilAsync(async () => await cluster.ScalarAsync("SELECT count(*) FROM jobs WHERE status = 0 AND published_at > 0") == 4, () => "the four requests never queued: " + cluster.Output);
        }
        finally
        {
            // The held call fails, and so does the next one: the circuit opens with three jobs still queued. The two
            // failed jobs are retried by their backoff, find the circuit open, and move too.
            release.TrySetResult();
        }

        var answers = await Task.WhenAll(requests);
        foreach (var (response, body) in answers)
        {
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"answered {(int)response.StatusCode}: {body}; {Describe(answers)}\n{cluster.Output}");
            Assert.Equal("count", body.GetProperty("model").GetString());
            var choice = body.GetProperty("choices")[0];
            Assert.Equal("1 2", choice.TryGetProperty("message", out var message) ? message.GetProperty("content").GetString() : choice.GetProperty("text").GetString());
            Assert.Equal("count", response.Headers.GetValues("X-Sluice-Model").Single());
            Assert.StartsWith("remote; remote is circuit_open", response.Headers.GetValues("X-Sluice-Fallback").Single());

            // The gateway's record and event stream: the model that ran it, one move, ids 1..n as the worker numbered them.
            var jobId = response.Headers.GetValues("X-Sluice-Job-Id").Single();
            var job = await Cluster.GetJobAsync(gateway.Client, jobId);
            Assert.Equal("count", job.GetProperty("model").GetString());
            Assert.Equal("succeeded", job.GetProperty("status").GetString());
            var events = await WorkerCrashTests.ReadEventsAsync(gateway.Client, jobId);
            Assert.Equal(Enumerable.Range(1, events.Count).Select(i => (long)i), events.Select(e => e.Id));
            var rerouted = Assert.Single(events, e => e.Type == "rerouted");
            var data = WorkerCrashTests.Parse(rerouted.Data);
            Assert.Equal("remote", data.GetProperty("from").GetString());
            Assert.Equal("count", data.GetProperty("to").GetString());
            Assert.Equal("completed", events[^1].Type);
            Assert.Equal(1, events.SkipWhile(e => e.Type != "rerouted").Count(e => e.Type == "started"));
        }

        // The store: every job ran on the fallback once, with exactly one terminal event and a gapless stream.
        Assert.Equal(5, await cluster.ScalarAsync("SELECT count(*) FROM jobs WHERE model = 'count' AND status = 2 AND result IS NOT NULL"));
        Assert.Equal(5, await cluster.ScalarAsync("SELECT count(*) FROM events WHERE type = 'completed'"));
        Assert.Equal(5, await cluster.ScalarAsync("SELECT count(*) FROM events WHERE type = 'rerouted'"));
        Assert.Equal(0, await cluster.ScalarAsync("SELECT count(*) FROM events WHERE type IN ('failed', 'cancelled', 'expired', 'dead_lettered')"));
        Assert.Equal(0, await cluster.ScalarAsync("SELECT count(*) FROM (SELECT job_id FROM events GROUP BY job_id HAVING max(id) <> count(*)) gaps"));
        Assert.Equal(2, UpstreamCalls(upstream));

        // The worker counted the moves (the gateway moves nothing: it runs no batcher).
        Assert.Equal(5, await ReroutedCountAsync(worker));

        // Nothing left in any queue once the processes are gone (their unacknowledged deliveries would be back).
        await worker.TerminateAsync();
        await gateway.TerminateAsync();
        Assert.Equal(0, await BrokerQueues.MessagesLeftAsync(brokers.QueueUrl, cluster.Prefix, ["remote", "count"]));
    }

    internal static Dictionary<string, string> Backend(string baseUrl, params (string Key, string Value)[] extra)
    {
        var s = new Dictionary<string, string>
        {
            ["Sluice:Backends:remote:Type"] = "openai",
            ["Sluice:Backends:remote:BaseUrl"] = baseUrl,
            ["Sluice:Backends:remote:RetryBaseDelayMs"] = "20",
            ["Sluice:Backends:remote:MaxConcurrency"] = "1",
            ["Sluice:Backends:remote:MaxRetries"] = "0",
            ["Sluice:Backends:remote:Fallback"] = "count",
            ["Sluice:BuiltIns:CountStepMs"] = "1",
        };
        foreach (var (k, v) in extra)
        {
            s[k.StartsWith("Sluice:", StringComparison.Ordinal) ? k : "Sluice:Backends:remote:" + k] = v;
        }

        return s;
    }

    internal static async Task<(HttpResponseMessage Response, JsonElement Body)> PostAsync(HttpClient client, string path, string json)
    {
        var response = await client.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        return (response, text.Length > 0 ? JsonDocument.Parse(text).RootElement.Clone() : default);
    }

    internal static int UpstreamCalls(FakeUpstream upstream) => upstream.Hits("/v1/chat/completions") + upstream.Hits("/v1/completions");

    /// <summary><c>sluice_jobs_rerouted_total{model="remote",fallback="count"}</c> on a node's /metrics (0 when absent).</summary>
    internal static Task<long> ReroutedCountAsync(SluiceNode node) =>
        PrometheusText.CounterAsync(node.Client, "sluice_jobs_rerouted_total", "model=\"remote\"", "fallback=\"count\"");

    private static string Describe((HttpResponseMessage Response, JsonElement Body)[] answers) =>
        string.Join("; ", answers.Select(a => $"{(int)a.Response.StatusCode} {a.Body}"));
}
