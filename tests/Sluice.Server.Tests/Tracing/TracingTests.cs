using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;
using Sluice.Core.Tracing;
using Sluice.Server.Hosting;
using Sluice.Server.Tests.Infrastructure;
using Sluice.Testing.Server;

namespace Sluice.Server.Tests.Tracing;

/// <summary>Spans of a job's life over real HTTP on loopback, and their OTLP export.</summary>
[Collection(TracingCollection.Name)]
public sealed class TracingTests
{
    private const string AspNetCore = "Microsoft.AspNetCore";

    [Fact]
    public async Task Submit_ClientTraceParent_QueueAndRunSpansAreChildrenOfTheRequestSpanAndTheBatchLinksEveryJob()
    {
        var stopped = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = static s => s.Name is SluiceTracing.SourceName or AspNetCore,
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        // Both jobs wait for each other (at most 2 s), so they run in one batch.
        await using var server = await TestServer.StartAsync(new Dictionary<string, string>
        {
            ["Sluice:Models:sleep-batch:MaxBatchSize"] = "2",
            ["Sluice:Models:sleep-batch:MaxQueueDelayMs"] = "2000",
        });
        var clients = new[] { (ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom()), (ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom()) };

        var ids = await Task.WhenAll(clients.Select(c => SubmitAsync(server.Client, c.Item1, c.Item2)));

        var runs = new Activity[2];
        for (var i = 0; i < 2; i++)
        {
            var (trace, clientSpan) = clients[i];
            Activity[] InTrace() => [.. stopped.Where(a => a.TraceId == trace)];
            await Poll.UntilAsync(() => Task.FromResult(InTrace().Any(a => a.OperationName == SluiceTracing.RunSpan)),
                () => "spans in the trace: " + string.Join(", ", InTrace().Select(a => a.OperationName)), TimeSpan.FromSeconds(30));
            var spans = InTrace();
            var request = Assert.Single(spans, a => a.Source.Name == AspNetCore);
            Assert.Equal(clientSpan, request.ParentSpanId);
            var queue = Assert.Single(spans, a => a.OperationName == SluiceTracing.QueueSpan);
            var run = Assert.Single(spans, a => a.OperationName == SluiceTracing.RunSpan);
            foreach (var span in new[] { queue, run })
            {
                Assert.Equal(SluiceTracing.SourceName, span.Source.Name);
                Assert.Equal(request.SpanId, span.ParentSpanId);
                Assert.Equal(ids[i], span.GetTagItem(SluiceTracing.JobIdTag));
                Assert.Equal("sleep-batch", span.GetTagItem(SluiceTracing.ModelTag));
                Assert.Equal(1, span.GetTagItem(SluiceTracing.AttemptTag));
            }

            // The wait ends where the run begins.
            Assert.True(queue.StartTimeUtc + queue.Duration <= run.StartTimeUtc + TimeSpan.FromMilliseconds(1), $"queue ends {queue.StartTimeUtc + queue.Duration:O}, run starts {run.StartTimeUtc:O}");
            Assert.Equal("succeeded", run.GetTagItem(SluiceTracing.OutcomeTag));
            Assert.Null(run.GetTagItem(SluiceTracing.ErrorTypeTag));
            Assert.Equal(ActivityStatusCode.Unset, run.Status);
            runs[i] = run;
        }

        // One batch served both traces: a root of its own, linked to each job's run.
        var batch = Assert.Single(stopped, a => a.OperationName == SluiceTracing.BatchSpan && a.Links.Any(l => l.Context.TraceId == clients[0].Item1));
        Assert.Equal(default, batch.ParentSpanId);
        Assert.Equal("sleep-batch", batch.GetTagItem(SluiceTracing.ModelTag));
        Assert.Equal(2, batch.GetTagItem(SluiceTracing.BatchSizeTag));
        Assert.Equal(
            runs.Select(r => (r.TraceId, r.SpanId)).OrderBy(x => x.TraceId.ToHexString()),
            batch.Links.Select(l => (l.Context.TraceId, l.Context.SpanId)).OrderBy(x => x.TraceId.ToHexString()));
    }

    [Fact]
    public async Task Submit_FailingJob_RunSpansCarryRetryingThenFailureWithErrorType()
    {
        var stopped = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = static s => s.Name == SluiceTracing.SourceName,
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        await using var server = await TestServer.StartAsync(new Dictionary<string, string>
        {
            ["Sluice:Models:sleep-batch:MaxAttempts"] = "2",
            ["Sluice:Retry:BaseDelay"] = "00:00:00.010",
            ["Sluice:Retry:MaxDelay"] = "00:00:00.020",
        });
        var trace = ActivityTraceId.CreateRandom();

        var id = await SubmitAsync(server.Client, trace, ActivitySpanId.CreateRandom(), """{"model":"sleep-batch","input":{"fail":true}}""", "dead_lettered");

        Activity[] Runs() => [.. stopped.Where(a => a.TraceId == trace && a.OperationName == SluiceTracing.RunSpan).OrderBy(a => a.GetTagItem(SluiceTracing.AttemptTag))];
        await Poll.UntilAsync(() => Task.FromResult(Runs().Length == 2), () => $"{Runs().Length} run spans", TimeSpan.FromSeconds(30));
        var runs = Runs();
        Assert.Equal([1, 2], runs.Select(r => (int)r.GetTagItem(SluiceTracing.AttemptTag)!));
        Assert.Equal(["retrying", "dead_lettered"], runs.Select(r => (string?)r.GetTagItem(SluiceTracing.OutcomeTag)));
        Assert.All(runs, r => Assert.Equal(ActivityStatusCode.Error, r.Status));
        Assert.All(runs, r => Assert.Equal("model_error", r.GetTagItem(SluiceTracing.ErrorTypeTag)));
        Assert.All(runs, r => Assert.Equal(id, r.GetTagItem(SluiceTracing.JobIdTag)));
        Assert.Equal(2, stopped.Count(a => a.TraceId == trace && a.OperationName == SluiceTracing.QueueSpan));
    }

    [Fact]
    public async Task Serve_OtlpHttpProtobufConfigured_PostsTheJobSpansToV1Traces()
    {
        await using var collector = await OtlpCollector.StartAsync();
        string id;
        await using (var server = await TestServer.StartAsync(new Dictionary<string, string>
        {
            ["Sluice:Tracing:Enabled"] = "true",
            ["Sluice:Tracing:Endpoint"] = collector.BaseUri.ToString(),
            ["Sluice:Tracing:Protocol"] = "http/protobuf",
            ["Sluice:Tracing:ServiceName"] = "sluice-under-test",
        }))
        {
            id = await SubmitAsync(server.Client, ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom());
            await Poll.UntilAsync(() => Task.FromResult(Sent(collector.Posts, id)), () => $"{collector.Posts.Length} posts, none with job {id}'s run", TimeSpan.FromSeconds(30));
        }

        var bodies = collector.Posts;
        var post = bodies.First(b => Contains(b.Body, id));
        Assert.Equal("/v1/traces", post.Path);
        Assert.Equal("application/x-protobuf", post.ContentType);
        Assert.True(Contains(post.Body, SluiceTracing.JobIdTag), "no sluice.job.id attribute in the export");
        Assert.True(bodies.Any(b => Contains(b.Body, "sluice-under-test")), "no service.name in the export");
    }

    [Fact]
    public async Task Serve_TracingOff_NothingListensToTheSluiceSourceAndTheClientContextIsStored()
    {
        await using var server = await TestServer.StartAsync();
        var trace = ActivityTraceId.CreateRandom();
        var span = ActivitySpanId.CreateRandom();

        var id = await SubmitAsync(server.Client, trace, span);

        Assert.Null(server.Services.GetService<TracerProvider>());
        Assert.False(SluiceTracing.Source.HasListeners(), "something listens to the Sluice source with tracing off");
        var job = await server.GetJobAsync(id);
        Assert.Equal($"00-{trace.ToHexString()}-{span.ToHexString()}-01", job.GetProperty("trace_parent").GetString());
    }

    [Theory]
    [InlineData("Protocol", "udp", "Sluice:Tracing:Protocol = 'udp' must be 'grpc' or 'http/protobuf'.")]
    [InlineData("Endpoint", "collector:4318", "Sluice:Tracing:Endpoint = 'collector:4318' must be an absolute http:// or https:// address.")]
    public async Task RunAsync_BadTracingSetting_StopsTheStartNamingIt(string setting, string value, string message)
    {
        var dir = Path.Combine(Path.GetTempPath(), "sluice-start-" + Guid.NewGuid().ToString("N")[..8]);
        string[] args = ["--urls=http://127.0.0.1:0", "--Sluice:Storage:DataDir=" + dir, "--Sluice:Engine:ModelsPaths:0=" + TestServer.EmptyFolder, $"--Sluice:Tracing:{setting}={value}"];
        try
        {
            var ex = await Assert.ThrowsAsync<ServerStartException>(() => SluiceServerHost.RunAsync(args, CancellationToken.None));
            Assert.Equal("the server could not start: " + message, ex.Message);
        }
        finally
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }

    /// <summary>Submits a job with a client <c>traceparent</c>, waits for <paramref name="status"/> and returns its id.</summary>
    private static async Task<string> SubmitAsync(HttpClient client, ActivityTraceId trace, ActivitySpanId span,
        string body = """{"model":"sleep-batch","input":{}}""", string status = "succeeded")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/jobs") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("Prefer", "wait=30");
        request.Headers.Add("traceparent", $"00-{trace.ToHexString()}-{span.ToHexString()}-01");
        using var response = await client.SendAsync(request);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Created or HttpStatusCode.Accepted, json.RootElement.ToString());
        Assert.Equal(status, json.RootElement.GetProperty("status").GetString());
        return json.RootElement.GetProperty("id").GetString()!;
    }

    private static bool Sent((string Path, string? ContentType, byte[] Body)[] bodies, string id) =>
        bodies.Any(b => Contains(b.Body, id) && Contains(b.Body, SluiceTracing.RunSpan));

    private static bool Contains(byte[] body, string text) => OtlpCollector.Contains(body, text);
}
