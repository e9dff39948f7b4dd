using System.Net;
using Sluice.Distributed.Tests.Faults;
using Sluice.Distributed.Tests.Infrastructure;
using Sluice.Testing.Server;

namespace Sluice.Distributed.Tests.Fallback;

/// <summary>
/// An OpenAI request whose job's attempt the upstream turns away with a long <c>Retry-After</c>, with a gateway and a
/// worker: the worker moves it to the <c>Fallback</c> (which answers), or, with none, the gateway answers 503 and
/// settles the job failed in the store, not cancelled.
/// </summary>
[Collection(BrokersCollection.Name)]
public sealed class HeldBackRetryTests(Brokers brokers)
{
    private const string Chat = """{"model":"remote","messages":[{"role":"user","content":"x"}],"max_tokens":2}""";

    [Fact]
    public async Task ChatCompletions_UpstreamRetryAfterAnHourWithFallback_WorkerMovesItAndFallbackAnswers()
    {
        await using var upstream = await FakeOpenAi.StartBusyAsync(3600);
        await using var cluster = await Cluster.CreateAsync(brokers, QueuedFallbackTests.Backend(upstream.Url + "/v1", ("HealthProbeIntervalSeconds", "0")));
        var gateway = await cluster.StartAsync("gateway");
        var worker = await cluster.StartAsync("worker");

        var (response, body) = await QueuedFallbackTests.PostAsync(gateway.Client, "/v1/chat/completions", Chat);

        Assert.True(response.StatusCode == HttpStatusCode.OK, $"answered {(int)response.StatusCode}: {body}\n{cluster.Output}");
        Assert.Equal("count", body.GetProperty("model").GetString());
        Assert.StartsWith("remote; remote's upstream asked for 3600 s", response.Headers.GetValues("X-Sluice-Fallback").Single());
        var jobId = response.Headers.GetValues("X-Sluice-Job-Id").Single();
        var job = await Cluster.GetJobAsync(gateway.Client, jobId);
        Assert.Equal("succeeded", job.GetProperty("status").GetString());
        Assert.Equal("count", job.GetProperty("model").GetString());
        var events = await WorkerCrashTests.ReadEventsAsync(gateway.Client, jobId);
        Assert.Single(events, e => e.Type == "rerouted");
        Assert.DoesNotContain(events, e => e.Type == "retrying");
        Assert.Equal(1, QueuedFallbackTests.UpstreamCalls(upstream));
        Assert.Equal(1, await QueuedFallbackTests.ReroutedCountAsync(worker));
    }

    [Fact]
    public async Task ChatCompletions_UpstreamRetryAfterAnHourNoFallback_GatewaySettlesTheJobFailedNotCancelled()
    {
        await using var upstream = await FakeOpenAi.StartBusyAsync(3600);
        await using var cluster = await Cluster.CreateAsync(brokers, WithoutFallback(upstream));
        var gateway = await cluster.StartAsync("gateway");
        await cluster.StartAsync("worker");

        var (response, body) = await QueuedFallbackTests.PostAsync(gateway.Client, "/v1/chat/completions", Chat);

        // Answered at once; the job nobody waits for ends with the upstream's refusal, which no client cancelled.
        Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"answered {(int)response.StatusCode}: {body}\n{cluster.Output}");
        var jobId = response.Headers.GetValues("X-Sluice-Job-Id").Single();
        var job = await Cluster.GetJobAsync(gateway.Client, jobId);
        Assert.True(job.GetProperty("status").GetString() == "failed", $"the job is {job}\n{cluster.Output}");
        Assert.Contains("upstream answered 429", job.GetProperty("error").GetString());
        Assert.Equal(1, await cluster.ScalarAsync("SELECT count(*) FROM events WHERE type = 'failed'"));
        Assert.Equal(0, await cluster.ScalarAsync("SELECT count(*) FROM events WHERE type = 'cancelled'"));
    }

    [Fact]
    public async Task ChatCompletions_UpstreamRetryAfterAnHourNoFallback_JobsFinishedCountsItFailedOnce()
    {
        await using var upstream = await FakeOpenAi.StartBusyAsync(3600);
        await using var cluster = await Cluster.CreateAsync(brokers, WithoutFallback(upstream));
        var gateway = await cluster.StartAsync("gateway");
        var worker = await cluster.StartAsync("worker");

        var (response, body) = await QueuedFallbackTests.PostAsync(gateway.Client, "/v1/chat/completions", Chat);
        Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"answered {(int)response.StatusCode}: {body}\n{cluster.Output}");

        // The gateway settled the queued job itself: it counts it, as a worker counts the outcomes it stores, and once.
        Assert.Equal(1, await FinishedAsync(gateway, "failed") + await FinishedAsync(worker, "failed"));
        Assert.Equal(0, await FinishedAsync(gateway, "cancelled") + await FinishedAsync(worker, "cancelled"));
    }

    /// <summary>Model "remote" on <paramref name="upstream"/> with no fallback, and the jobs' default three attempts.</summary>
    private static Dictionary<string, string> WithoutFallback(FakeUpstream upstream)
    {
        var settings = QueuedFallbackTests.Backend(upstream.Url + "/v1", ("HealthProbeIntervalSeconds", "0"), ("Sluice:Models:remote:MaxAttempts", "3"));
        settings.Remove("Sluice:Backends:remote:Fallback");
        return settings;
    }

    /// <summary><c>sluice_jobs_finished_total{model="remote",status=…}</c> on a node's /metrics (0 when absent).</summary>
    private static Task<long> FinishedAsync(SluiceNode node, string status) =>
        PrometheusText.CounterAsync(node.Client, "sluice_jobs_finished_total", "model=\"remote\"", $"status=\"{status}\"");
}
