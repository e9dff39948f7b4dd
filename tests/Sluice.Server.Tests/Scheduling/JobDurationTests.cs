using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Sluice.Core.Models;
using Sluice.Server.Tests.Admission;
using Sluice.Server.Tests.Infrastructure;
using Sluice.Testing.Server;

namespace Sluice.Server.Tests.Scheduling;

/// <summary>
/// <c>sluice_job_duration_seconds</c>, the end-to-end latency from a job's acceptance to its terminal status, over real
/// HTTP with the embedded queue: across a retry (which moves the enqueue time the queue wait counts from) and a dead
/// letter's requeue (a new acceptance). The server's wall clock is shifted by hand, so minutes pass in no time.
/// </summary>
public sealed class JobDurationTests
{
    private const string Metric = "sluice_job_duration_seconds";

    [Fact]
    public async Task Metrics_JobRetriedOnce_OneDurationFromAcceptanceCoveringTheFirstAttempt()
    {
        var clock = new ShiftedTimeProvider();
        var model = new SlowFirstAttemptModel(clock);
        await using var server = await TestServer.StartAsync(
            new Dictionary<string, string>
            {
                ["Sluice:Retry:BaseDelay"] = "00:00:00",
                ["Sluice:Retry:MaxDelay"] = "00:00:00",
            },
            configureServices: s =>
            {
                s.Replace(ServiceDescriptor.Singleton<TimeProvider>(clock));
                s.AddSingleton<IModelSource>(model);
            });

        var (response, body) = await server.PostJobAsync($$$"""{"model":"{{{SlowFirstAttemptModel.Name}}}","input":{"x":1}}""");
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var job = await server.WaitTerminalAsync(body.GetProperty("id").GetString()!, TimeSpan.FromSeconds(30));
        Assert.Equal("succeeded", job.GetProperty("status").GetString());
        Assert.Equal(2, job.GetProperty("attempts").GetInt32());

        // Recorded where the job is counted finished, which the poll's terminal read may come just before.
        var label = $"model=\"{SlowFirstAttemptModel.Name}\"";
        var text = "";
        await Poll.UntilAsync(
            async () => PrometheusText.Counter(text = await server.Client.GetStringAsync("/metrics"), Metric + "_count", label) == 1,
            () => $"no single {Metric} observation: {text}", TimeSpan.FromSeconds(10));

        // One observation, of the succeeded status, from the acceptance: the first attempt's 100 s are in it, though the
        // retry's queue wait (from when the retry fell due) is not.
        Assert.Equal(1, PrometheusText.Counter(text, Metric + "_count", label, "status=\"succeeded\""));
        Assert.Equal(0, PrometheusText.Counter(text, Metric + "_count", label, "status=\"failed\""));
        var seconds = PrometheusText.Value(text, Metric + "_sum", label, "status=\"succeeded\"");
        Assert.InRange(seconds, SlowFirstAttemptModel.FirstAttempt.TotalSeconds, SlowFirstAttemptModel.FirstAttempt.TotalSeconds + 30);
        Assert.Equal(0, PrometheusText.Counter(text, Metric + "_bucket", label, "le=\"60\""));
        Assert.Equal(1, PrometheusText.Counter(text, Metric + "_bucket", label, "le=\"120\""));
        Assert.Equal(2, PrometheusText.Counter(text, "sluice_queue_wait_seconds_count", label));
        Assert.True(PrometheusText.Value(text, "sluice_queue_wait_seconds_sum", label) < SlowFirstAttemptModel.FirstAttempt.TotalSeconds, "the queue wait counted the first attempt");
        Assert.Equal(1, PrometheusText.Counter(text, "sluice_jobs_finished_total", label, "status=\"succeeded\""));
    }

    [Fact]
    public async Task Metrics_DeadLetterRequeuedLater_SecondOutcomeTimedFromTheRequeue()
    {
        var clock = new ShiftedTimeProvider();
        await using var server = await TestServer.StartAsync(
            new Dictionary<string, string>
            {
                ["Sluice:BuiltIns:SleepBatchBaseMs"] = "1",
                ["Sluice:Models:sleep-batch:MaxAttempts"] = "1",
            },
            configureServices: s => s.Replace(ServiceDescriptor.Singleton<TimeProvider>(clock)));

        var (response, body) = await server.PostJobAsync("""{"model":"sleep-batch","input":{"fail":true}}""");
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = body.GetProperty("id").GetString()!;
        Assert.Equal("dead_lettered", (await server.WaitTerminalAsync(id, TimeSpan.FromSeconds(30))).GetProperty("status").GetString());
        const string Model = "model=\"sleep-batch\"";
        const string DeadLettered = "status=\"dead_lettered\"";
        await Poll.UntilAsync(async () => await PrometheusText.CounterAsync(server.Client, Metric + "_count", Model, DeadLettered) == 1,
            () => $"the dead letter recorded no {Metric}", TimeSpan.FromSeconds(10));

        // An operator requeues it a quarter of an hour later: a new acceptance, timed from the requeue, so the time it
        // lay dead-lettered (between two outcomes already recorded) is not counted in the second.
        clock.Offset += TimeSpan.FromMinutes(15);
        using (var requeue = await server.Client.PostAsync($"/v1/dead-letters/{id}/requeue", null))
        {
            Assert.True(requeue.IsSuccessStatusCode, await requeue.Content.ReadAsStringAsync());
        }

        var text = "";
        await Poll.UntilAsync(
            async () => PrometheusText.Counter(text = await server.Client.GetStringAsync("/metrics"), Metric + "_count", Model, DeadLettered) == 2,
            () => $"the requeued job's second dead letter recorded no {Metric}: {text}", TimeSpan.FromSeconds(30));
        Assert.InRange(PrometheusText.Value(text, Metric + "_sum", Model, DeadLettered), 0, 60);
        Assert.Equal(2, PrometheusText.Counter(text, "sluice_jobs_finished_total", Model, DeadLettered));
    }
}
