using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Sluice.Core.Models;
using Sluice.Core.Tracing;
using Sluice.Server.Tests.Infrastructure;
using Sluice.Server.Tests.Scheduling;
using Sluice.Server.Tests.Tracing;
using Sluice.Testing.Server;

namespace Sluice.Server.Tests.Apis;

/// <summary>
/// Exemplars on the latency histograms of the OpenMetrics exposition. Activity listeners are process-wide, so these
/// run in the tracing collection: no other test's listener may make spans in these servers, or take them away.
/// </summary>
[Collection(TracingCollection.Name)]
public sealed class MetricsExemplarTests
{
    private const string OpenMetrics = "application/openmetrics-text; version=1.0.0";

    [Fact]
    public async Task Metrics_OpenMetricsAfterATracedJob_QueueWaitJobRequestAndRunDurationBucketsCarryTheirSpans()
    {
        var stopped = new ConcurrentQueue<Activity>();
        using var listener = RecordEverySpan(stopped);
        await using var server = await TestServer.StartAsync();
        var trace = ActivityTraceId.CreateRandom();
        var before = DateTimeOffset.UtcNow;

        await SubmitAsync(server.Client, trace);

        await Poll.UntilAsync(() => Task.FromResult(stopped.Any(a => a.TraceId == trace && a.OperationName == SluiceTracing.RunSpan)),
            () => "no run span in the trace", TimeSpan.FromSeconds(30));
        var run = stopped.Single(a => a.TraceId == trace && a.OperationName == SluiceTracing.RunSpan);
        var request = stopped.Single(a => a.TraceId == trace && a.Source.Name == "Microsoft.AspNetCore");
        var text = await ScrapeAsync(server.Client, OpenMetrics);
        Assert.Empty(OpenMetricsGrammar.Check(text));

        // The job's wait in the queue points at its run span; the request's duration at the request's server span.
        var wait = Assert.Single(text.Split('\n'), l => l.StartsWith("sluice_queue_wait_seconds_bucket{model=\"echo\"", StringComparison.Ordinal) && l.Contains(" # {", StringComparison.Ordinal));
        Assert.Contains($" # {{trace_id=\"{trace.ToHexString()}\",span_id=\"{run.SpanId.ToHexString()}\"}} ", wait, StringComparison.Ordinal);
        var exemplarSeconds = double.Parse(wait[(wait.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(exemplarSeconds, before.ToUnixTimeMilliseconds() / 1000.0 - 1, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0 + 1);
        // The job's end-to-end duration, recorded where it is counted finished, points at its run span too.
        var duration = Assert.Single(text.Split('\n'), l => l.StartsWith("sluice_job_duration_seconds_bucket{model=\"echo\",status=\"succeeded\"", StringComparison.Ordinal) && l.Contains(" # {", StringComparison.Ordinal));
        Assert.Contains($" # {{trace_id=\"{trace.ToHexString()}\",span_id=\"{run.SpanId.ToHexString()}\"}} ", duration, StringComparison.Ordinal);
        Assert.Contains(text.Split('\n'), l => l.StartsWith("sluice_http_request_duration_seconds_bucket{route=\"/v1/jobs\"", StringComparison.Ordinal)
            && l.Contains($" # {{trace_id=\"{trace.ToHexString()}\",span_id=\"{request.SpanId.ToHexString()}\"}} ", StringComparison.Ordinal));
        // The batch's model time points at the batch span, a root of its own whose links lead to the job's run.
        var batch = stopped.Single(a => a.OperationName == SluiceTracing.BatchSpan && a.Links.Any(l => l.Context.SpanId == run.SpanId));
        Assert.Contains(text.Split('\n'), l => l.StartsWith("sluice_run_duration_seconds_bucket{model=\"echo\"", StringComparison.Ordinal)
            && l.Contains($" # {{trace_id=\"{batch.TraceId.ToHexString()}\",span_id=\"{batch.SpanId.ToHexString()}\"}} ", StringComparison.Ordinal));
        // Counts and the text format stay as they were: exemplars are OpenMetrics only.
        Assert.DoesNotContain(" # {", await ScrapeAsync(server.Client, null), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_OpenMetricsAfterATracedGeneration_FirstTokenPointsAtRunPerTokenCarriesNone()
    {
        var stopped = new ConcurrentQueue<Activity>();
        using var listener = RecordEverySpan(stopped);
        await using var server = await TestServer.StartAsync();
        var trace = ActivityTraceId.CreateRandom();

        await SubmitAsync(server.Client, trace, """{"model":"count","input":{"n":3}}""");

        await Poll.UntilAsync(() => Task.FromResult(stopped.Any(a => a.TraceId == trace && a.OperationName == SluiceTracing.RunSpan)),
            () => "no run span in the trace", TimeSpan.FromSeconds(30));
        var run = stopped.Single(a => a.TraceId == trace && a.OperationName == SluiceTracing.RunSpan);
        var text = await ScrapeAsync(server.Client, OpenMetrics);
        Assert.Empty(OpenMetricsGrammar.Check(text));

        // The first token is the job's own (recorded with its run span current); the per-token gaps are recorded
        // with no span current (one per token), so they point at nothing rather than at a stray trace.
        var first = Assert.Single(text.Split('\n'), l => l.StartsWith("sluice_time_to_first_token_seconds_bucket{model=\"count\"", StringComparison.Ordinal) && l.Contains(" # {", StringComparison.Ordinal));
        Assert.Contains($" # {{trace_id=\"{trace.ToHexString()}\",span_id=\"{run.SpanId.ToHexString()}\"}} ", first, StringComparison.Ordinal);
        Assert.Contains("\nsluice_time_to_first_token_seconds_count{model=\"count\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("\nsluice_time_per_output_token_seconds_count{model=\"count\"} 2\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain(text.Split('\n'), l => l.StartsWith("sluice_time_per_output_token_seconds_bucket", StringComparison.Ordinal) && l.Contains(" # {", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Metrics_OpenMetricsAfterATracedCancelOfAQueuedJob_DurationCarriesNoExemplarOfTheCancelRequest()
    {
        var stopped = new ConcurrentQueue<Activity>();
        using var listener = RecordEverySpan(stopped);
        var model = new GatedBatchModel();
        await using var server = await TestServer.StartAsync(
            new Dictionary<string, string> { [$"Sluice:Models:{GatedBatchModel.Name}:MaxBatchSize"] = "1" },
            configureServices: services => services.AddSingleton<IModelSource>(model));
        try
        {
            // One job holds the batcher in the gate; the next waits in the queue, where a traced DELETE cancels it.
            await server.PostJobAsync($$$"""{"model":"{{{GatedBatchModel.Name}}}","input":{}}""");
            await model.Entered.WaitAsync(TimeSpan.FromSeconds(30));
            var (_, body) = await server.PostJobAsync($$$"""{"model":"{{{GatedBatchModel.Name}}}","input":{"i":1}}""");
            var id = body.GetProperty("id").GetString()!;
            var trace = ActivityTraceId.CreateRandom();
            using (var delete = new HttpRequestMessage(HttpMethod.Delete, $"/v1/jobs/{id}"))
            {
                delete.Headers.Add("traceparent", $"00-{trace.ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-01");
                using var response = await server.Client.SendAsync(delete);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }

            var text = "";
            await Poll.UntilAsync(
                async () => (text = await ScrapeAsync(server.Client, OpenMetrics)).Contains($"\nsluice_job_duration_seconds_count{{model=\"{GatedBatchModel.Name}\",status=\"cancelled\"}} 1\n", StringComparison.Ordinal),
                () => $"the cancel recorded no duration: {text}", TimeSpan.FromSeconds(10));
            Assert.Empty(OpenMetricsGrammar.Check(text));

            // The job never ran, so it has no run span to point at; the DELETE's own trace is not the job's.
            Assert.DoesNotContain(text.Split('\n'), l => l.StartsWith("sluice_job_duration_seconds_bucket", StringComparison.Ordinal) && l.Contains(" # {", StringComparison.Ordinal));
        }
        finally
        {
            model.Open();
        }
    }

    [Fact]
    public async Task Metrics_OpenMetricsWithoutTracing_NoExemplar()
    {
        await using var server = await TestServer.StartAsync();

        await SubmitAsync(server.Client, ActivityTraceId.CreateRandom());
        var text = await ScrapeAsync(server.Client, OpenMetrics);

        Assert.Empty(OpenMetricsGrammar.Check(text));
        Assert.Contains("\nsluice_queue_wait_seconds_count{model=\"echo\"} 1\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain(" # {", text, StringComparison.Ordinal);
    }

    /// <summary>Samples and records every Sluice and request span, as a tracing exporter would, queuing each as it stops.</summary>
    private static ActivityListener RecordEverySpan(ConcurrentQueue<Activity> stopped)
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = static s => s.Name is SluiceTracing.SourceName or "Microsoft.AspNetCore",
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        return listener;
    }

    private static async Task SubmitAsync(HttpClient client, ActivityTraceId trace, string job = """{"model":"echo","input":{}}""")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/jobs") { Content = new StringContent(job, Encoding.UTF8, "application/json") };
        request.Headers.Add("Prefer", "wait=30");
        request.Headers.Add("traceparent", $"00-{trace.ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-01");
        using var response = await client.SendAsync(request);
        Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
    }

    private static async Task<string> ScrapeAsync(HttpClient client, string? accept)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        if (accept is not null)
        {
            request.Headers.TryAddWithoutValidation("Accept", accept);
        }

        using var response = await client.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStringAsync();
    }
}
