using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using OpenTelemetry.Trace;
using Sluice.Core.Paths;
using Sluice.Core.Scheduling;
using Sluice.Core.Tracing;
using Sluice.Server.Hosting;
using Sluice.Server.Tests.Infrastructure;
using Sluice.Testing;
using Sluice.Testing.Server;

namespace Sluice.Server.Tests.Tracing;

/// <summary>Spans of a job's life over real HTTP on loopback, and their OTLP export.</summary>
[Collection(TracingCollection.Name)]
public sealed class TracingTests
{
    private const string AspNetCore = "Microsoft.AspNetCore";
    private const string HttpClientSource = "System.Net.Http";

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
                Assert.Equal(ActivityKind.Internal, span.Kind);
                Assert.Equal(request.SpanId, span.ParentSpanId);
                Assert.Equal(ids[i], span.GetTagItem(SluiceTracing.JobIdTag));
                Assert.Equal("sleep-batch", span.GetTagItem(SluiceTracing.ModelTag));
                Assert.Equal(1, span.GetTagItem(SluiceTracing.AttemptTag));
            }

            // The wait ends where the run begins.
            Assert.True(queue.StartTimeUtc + queue.Duration <= run.StartTimeUtc + TimeSpan.FromMilliseconds(1), $"queue ends {queue.StartTimeUtc + queue.Duration:O}, run starts {run.StartTimeUtc:O}");
            Assert.Equal("succeeded", run.GetTagItem(SluiceTracing.OutcomeTag));
            Assert.Equal(2, run.GetTagItem(SluiceTracing.BatchSizeTag));
            Assert.Null(run.GetTagItem(SluiceTracing.ErrorTypeTag));
            Assert.Equal(ActivityStatusCode.Unset, run.Status);
            runs[i] = run;
        }

        // One batch served both traces: a root of its own, linked to each job's run.
        var batch = Assert.Single(stopped, a => a.OperationName == SluiceTracing.BatchSpan && a.Links.Any(l => l.Context.TraceId == clients[0].Item1));
        Assert.Equal(default, batch.ParentSpanId);
        Assert.Equal(ActivityKind.Internal, batch.Kind);
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
    public async Task Submit_RemoteBackendJob_UpstreamCallIsAClientSpanOfTheRunAndCarriesTheJobsTrace()
    {
        var stopped = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = static s => s.Name is SluiceTracing.SourceName or HttpClientSource,
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        var seen = new ConcurrentQueue<string>();
        await using var upstream = await FakeUpstream.StartAsync(app =>
        {
            app.MapGet("/v1/models", FakeOpenAi.ModelsAsync);
            app.MapPost("/v1/chat/completions", ctx =>
            {
                seen.Enqueue(ctx.Request.Headers.TraceParent.ToString());
                return FakeOpenAi.StreamAsync(ctx, ["Hel", "lo"]);
            });
        });
        await using var server = await TestServer.StartAsync(new Dictionary<string, string>
        {
            ["Sluice:Backends:remote:Type"] = "openai",
            ["Sluice:Backends:remote:BaseUrl"] = upstream.Url + "/v1",
        });
        var trace = ActivityTraceId.CreateRandom();

        var id = await SubmitAsync(server.Client, trace, ActivitySpanId.CreateRandom(), """{"model":"remote","input":{"prompt":"Say hello","max_tokens":4}}""");

        Activity[] InTrace() => [.. stopped.Where(a => a.TraceId == trace)];
        await Poll.UntilAsync(() => Task.FromResult(InTrace().Any(a => a.OperationName == SluiceTracing.RunSpan) && InTrace().Any(a => a.Source.Name == HttpClientSource)),
            () => "spans in the trace: " + string.Join(", ", InTrace().Select(a => a.OperationName)), TimeSpan.FromSeconds(30));
        var run = Assert.Single(InTrace(), a => a.OperationName == SluiceTracing.RunSpan);
        var call = Assert.Single(InTrace(), a => a.Source.Name == HttpClientSource);
        Assert.Equal(id, run.GetTagItem(SluiceTracing.JobIdTag));
        Assert.Equal("succeeded", run.GetTagItem(SluiceTracing.OutcomeTag));
        Assert.Equal(ActivityKind.Client, call.Kind);
        Assert.Equal(run.SpanId, call.ParentSpanId);
        // The upstream got the job's trace, as a child of the client span.
        var traceParent = Assert.Single(seen);
        Assert.Equal($"00-{trace.ToHexString()}-{call.SpanId.ToHexString()}-01", traceParent);
    }

    [Fact]
    public async Task Submit_RemoteJobWhileEveryUpstreamSlotIsTaken_SlotWaitIsAChildSpanOfTheRunBeforeTheUpstreamCall()
    {
        var stopped = new ConcurrentQueue<Activity>();
        var started = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = static s => s.Name is SluiceTracing.SourceName or HttpClientSource,
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStarted = started.Enqueue,
            ActivityStopped = stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var calls = 0;
        // A fake Ollama with two models behind one backend, so two models' jobs share its one upstream slot.
        await using var upstream = await FakeUpstream.StartAsync(app =>
        {
            app.MapGet("/api/tags", static ctx => ctx.Response.WriteAsJsonAsync(new
            {
                models = new[] { new { name = "a:1b", model = "a:1b", size = 1 }, new { name = "b:1b", model = "b:1b", size = 1 } },
            }));
            app.MapPost("/api/generate", async ctx =>
            {
                if (Interlocked.Increment(ref calls) == 1)
                {
                    await release.Task;
                }

                ctx.Response.ContentType = "application/x-ndjson";
                await FakeUpstream.WriteLineAsync(ctx.Response, """{"model":"a:1b","response":"hi","done":false}""");
                await FakeUpstream.WriteLineAsync(ctx.Response, """{"model":"a:1b","done":true,"done_reason":"stop","prompt_eval_count":1,"eval_count":1}""");
            });
        });
        await using var server = await TestServer.StartAsync(new Dictionary<string, string>
        {
            ["Sluice:Backends:ollama:Type"] = "ollama",
            ["Sluice:Backends:ollama:BaseUrl"] = upstream.Url,
            ["Sluice:Backends:ollama:Discover"] = "true",
            ["Sluice:Backends:ollama:MaxConcurrency"] = "1",
        });
        var held = await SubmitNoWaitAsync(server.Client, ActivityTraceId.CreateRandom(), """{"model":"ollama.a-1b","input":{"prompt":"hold","max_tokens":2}}""");
        await Poll.UntilAsync(() => Task.FromResult(Volatile.Read(ref calls) == 1), () => $"job {held} never reached the upstream", TimeSpan.FromSeconds(30));
        var trace = ActivityTraceId.CreateRandom();

        var waiting = SubmitAsync(server.Client, trace, ActivitySpanId.CreateRandom(), """{"model":"ollama.b-1b","input":{"prompt":"wait","max_tokens":2}}""");
        await Poll.UntilAsync(() => Task.FromResult(started.Any(a => a.TraceId == trace && a.OperationName == SluiceTracing.SlotWaitSpan)),
            () => "the second job never waited for the upstream's slot", TimeSpan.FromSeconds(30));
        await Task.Delay(300);
        release.SetResult();
        var id = await waiting;

        Activity[] InTrace() => [.. stopped.Where(a => a.TraceId == trace)];
        await Poll.UntilAsync(() => Task.FromResult(InTrace().Any(a => a.OperationName == SluiceTracing.RunSpan)),
            () => "spans in the trace: " + string.Join(", ", InTrace().Select(a => a.OperationName)), TimeSpan.FromSeconds(30));
        var run = Assert.Single(InTrace(), a => a.OperationName == SluiceTracing.RunSpan);
        var wait = Assert.Single(InTrace(), a => a.OperationName == SluiceTracing.SlotWaitSpan);
        var call = Assert.Single(InTrace(), a => a.Source.Name == HttpClientSource);
        Assert.Equal(id, run.GetTagItem(SluiceTracing.JobIdTag));
        Assert.Equal(run.SpanId, wait.ParentSpanId);
        Assert.Equal(ActivityKind.Internal, wait.Kind);
        Assert.Equal("ollama", wait.GetTagItem(SluiceTracing.BackendTag));
        Assert.True(wait.Duration >= TimeSpan.FromMilliseconds(250), $"slot_wait lasted {wait.Duration}");
        // The call is the run's child, made once the slot was free.
        Assert.Equal(run.SpanId, call.ParentSpanId);
        Assert.True(call.StartTimeUtc >= wait.StartTimeUtc + wait.Duration, $"call at {call.StartTimeUtc:O}, wait ended {wait.StartTimeUtc + wait.Duration:O}");
    }

    [Fact]
    public async Task Submit_KServeBatchWhileEveryUpstreamSlotIsTaken_SlotWaitIsAChildSpanOfTheBatchBeforeItsUpstreamCall()
    {
        var stopped = new ConcurrentQueue<Activity>();
        var waiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var listener = new ActivityListener
        {
            ShouldListenTo = static s => s.Name is SluiceTracing.SourceName or HttpClientSource,
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStarted = a =>
            {
                // Its own tags are set once it has started: its batch's are there already.
                if (a.OperationName == SluiceTracing.SlotWaitSpan && Equals(a.Parent?.GetTagItem(SluiceTracing.ModelTag), "wide"))
                {
                    waiting.TrySetResult();
                }
            },
            ActivityStopped = stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var calls = 0;
        // A fake KServe v2 model taking rows of any width: rows of different widths cannot share an upstream call, so
        // one batch of two such jobs makes two calls, and with one upstream slot the second waits for the first.
        await using var upstream = await FakeUpstream.StartAsync(app =>
        {
            app.MapGet("/v2/models/wide/ready", () => Results.Ok());
            app.MapGet("/v2/models/wide", () => Results.Json(new
            {
                name = "wide",
                inputs = new[] { new { name = "x", datatype = "FP32", shape = new[] { -1, -1 } } },
                outputs = new[] { new { name = "y", datatype = "FP32", shape = new[] { -1, 1 } } },
            }));
            app.MapPost("/v2/models/wide/infer", async ctx =>
            {
                if (Interlocked.Increment(ref calls) == 1)
                {
                    await release.Task;
                }

                using var doc = await JsonDocument.ParseAsync(ctx.Request.Body);
                var rows = doc.RootElement.GetProperty("inputs")[0].GetProperty("shape")[0].GetInt32();
                await ctx.Response.WriteAsJsonAsync(new { model_name = "wide", outputs = new[] { new { name = "y", datatype = "FP32", shape = new[] { rows, 1 }, data = new double[rows] } } });
            });
        });
        await using var server = await TestServer.StartAsync(new Dictionary<string, string>
        {
            ["Sluice:Backends:wide:Type"] = "kserve-v2",
            ["Sluice:Backends:wide:BaseUrl"] = upstream.Url,
            ["Sluice:Backends:wide:MaxConcurrency"] = "1",
            // The batch goes once both jobs are queued, however slowly they arrive.
            ["Sluice:Backends:wide:MaxBatchSize"] = "2",
            ["Sluice:Backends:wide:MaxQueueDelayMs"] = "60000",
        });

        var narrow = await SubmitNoWaitAsync(server.Client, ActivityTraceId.CreateRandom(), """{"model":"wide","input":{"x":[1,2]}}""");
        var wide = await SubmitNoWaitAsync(server.Client, ActivityTraceId.CreateRandom(), """{"model":"wide","input":{"x":[1,2,3]}}""");
        await waiting.Task.WaitAsync(TimeSpan.FromSeconds(30));
        release.SetResult();

        foreach (var id in new[] { narrow, wide })
        {
            var job = await server.WaitTerminalAsync(id, TimeSpan.FromSeconds(30));
            Assert.Equal("succeeded", job.GetProperty("status").GetString());
            Assert.Equal(2, job.GetProperty("batch_size").GetInt32());
        }

        Activity[] Batches() => [.. stopped.Where(a => a.OperationName == SluiceTracing.BatchSpan && Equals(a.GetTagItem(SluiceTracing.ModelTag), "wide"))];
        await Poll.UntilAsync(() => Task.FromResult(Batches().Length > 0), () => "the batch span never ended", TimeSpan.FromSeconds(30));
        var batch = Assert.Single(Batches());
        Activity[] InTrace() => [.. stopped.Where(a => a.TraceId == batch.TraceId)];
        var wait = Assert.Single(InTrace(), a => a.OperationName == SluiceTracing.SlotWaitSpan);
        var upstreamCalls = InTrace().Where(a => a.Source.Name == HttpClientSource).OrderBy(a => a.StartTimeUtc).ToArray();
        Assert.Equal(batch.SpanId, wait.ParentSpanId);
        Assert.Equal(ActivityKind.Internal, wait.Kind);
        Assert.Equal("wide", wait.GetTagItem(SluiceTracing.BackendTag));
        Assert.True(wait.StartTimeUtc + wait.Duration <= batch.StartTimeUtc + batch.Duration, "slot_wait ended after its batch");
        // Both calls are the batch's children, not the wait's; the second was made once the first had freed the slot.
        Assert.Equal(2, upstreamCalls.Length);
        Assert.All(upstreamCalls, call => Assert.Equal(batch.SpanId, call.ParentSpanId));
        Assert.True(upstreamCalls[0].StartTimeUtc <= wait.StartTimeUtc, $"first call at {upstreamCalls[0].StartTimeUtc:O}, wait began {wait.StartTimeUtc:O}");
        Assert.True(upstreamCalls[1].StartTimeUtc >= wait.StartTimeUtc + wait.Duration, $"second call at {upstreamCalls[1].StartTimeUtc:O}, wait ended {wait.StartTimeUtc + wait.Duration:O}");
        Assert.True(upstreamCalls[1].StartTimeUtc >= upstreamCalls[0].StartTimeUtc + upstreamCalls[0].Duration, "the second call began before the first ended");
    }

    [SharedDataFact("models/stories260K.bin", "models/tok512.bin")]
    public async Task Submit_EngineJobWhileTheKvCacheIsAllReserved_RoomWaitIsAChildSpanOfTheRunUntilItsSequenceStarts()
    {
        var stopped = new ConcurrentQueue<Activity>();
        using var listener = ListenToSluice(stopped);
        await using var server = await TestServer.StartAsync(EngineWithRoomForOneLongSequence());
        Assert.True(server.Services.GetRequiredService<ModelRegistry>().TryGet("stories260k", out var entry));
        // The model's steps are held: the first job takes its room and stays before its first step.
        await entry.ExecutionLock.WaitAsync();
        var firstTrace = ActivityTraceId.CreateRandom();
        var first = await SubmitNoWaitAsync(server.Client, firstTrace, LongGeneration(1));
        await Poll.UntilAsync(async () => (await server.GetJobAsync(first)).GetProperty("status").GetString() == "running",
            () => $"job {first} never started", TimeSpan.FromSeconds(60));
        var trace = ActivityTraceId.CreateRandom();

        // Its sequence cannot start while the first one holds most of the KV cache: it waits for the first to end.
        var id = await SubmitNoWaitAsync(server.Client, trace, LongGeneration(2));
        entry.ExecutionLock.Release();

        var job = await server.WaitTerminalAsync(id, TimeSpan.FromSeconds(60));
        Assert.Equal("succeeded", job.GetProperty("status").GetString());
        var run = await RunSpanAsync(stopped, trace);
        var wait = Assert.Single(stopped, a => a.TraceId == trace && a.OperationName == SluiceTracing.RoomWaitSpan);
        Assert.Equal(id, run.GetTagItem(SluiceTracing.JobIdTag));
        Assert.Equal("succeeded", run.GetTagItem(SluiceTracing.OutcomeTag));
        Assert.Equal(run.SpanId, wait.ParentSpanId);
        Assert.Equal(ActivityKind.Internal, wait.Kind);
        Assert.Equal("stories260k", wait.GetTagItem(SluiceTracing.ModelTag));
        Assert.True(wait.StartTimeUtc >= run.StartTimeUtc && wait.StartTimeUtc + wait.Duration <= run.StartTimeUtc + run.Duration,
            $"room_wait {wait.StartTimeUtc:O} for {wait.Duration} outside run {run.StartTimeUtc:O} for {run.Duration}");
        Assert.True(wait.Duration > TimeSpan.Zero, "room_wait lasted nothing");
        // As docs/architecture.md says: queued_ms counts the wait (the start is stored once there is room), run_ms does not.
        var queuedMs = job.GetProperty("queued_ms").GetDouble();
        var runMs = job.GetProperty("run_ms").GetDouble();
        Assert.True(queuedMs + 2 >= wait.Duration.TotalMilliseconds, $"queued_ms {queuedMs} < room_wait {wait.Duration.TotalMilliseconds} ms");
        Assert.True(runMs <= (run.Duration - wait.Duration).TotalMilliseconds + 2, $"run_ms {runMs}, run span {run.Duration}, room_wait {wait.Duration}");
        // The first job had room at once: no wait of its own.
        Assert.DoesNotContain(stopped, a => a.TraceId == firstTrace && a.OperationName == SluiceTracing.RoomWaitSpan);
    }

    [SharedDataFact("models/stories260K.bin", "models/tok512.bin")]
    public async Task Stop_WhileAnEngineJobWaitsForRoom_ItsSpansEndReleasedAndTheJobRunsAfterTheRestart()
    {
        var stopped = new ConcurrentQueue<Activity>();
        var trace = ActivityTraceId.CreateRandom();
        SemaphoreSlim? steps = null;
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var listener = new ActivityListener
        {
            ShouldListenTo = static s => s.Name == SluiceTracing.SourceName,
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            // The hook: as the job begins to wait (on the batcher's loop, between steps, the steps' lock free), the
            // steps are held, so the stop comes while it still waits and the first job still runs.
            ActivityStarted = a =>
            {
                if (a.TraceId == trace && a.OperationName == SluiceTracing.RoomWaitSpan)
                {
                    _ = steps!.Wait(0) ? held.TrySetResult() : held.TrySetException(new InvalidOperationException("the steps' lock was taken between steps"));
                }
            },
            ActivityStopped = stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        var settings = EngineWithRoomForOneLongSequence();
        var dataDir = Path.Combine(Path.GetTempPath(), "sluice-test-" + Guid.NewGuid().ToString("N"));
        string first, id;
        var server = await TestServer.StartAsync(settings, dataDir);
        try
        {
            Assert.True(server.Services.GetRequiredService<ModelRegistry>().TryGet("stories260k", out var entry));
            steps = entry.ExecutionLock;
            await steps.WaitAsync();
            first = await SubmitNoWaitAsync(server.Client, ActivityTraceId.CreateRandom(), LongGeneration(1));
            await Poll.UntilAsync(async () => (await server.GetJobAsync(first)).GetProperty("status").GetString() == "running",
                () => $"job {first} never started", TimeSpan.FromSeconds(60));
            id = await SubmitNoWaitAsync(server.Client, trace, LongGeneration(2));
            steps.Release();
            await held.Task.WaitAsync(TimeSpan.FromSeconds(60));
        }
        finally
        {
            // A graceful stop with the steps held and the job waiting: it must not hang.
            await server.StopKeepingDataAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(60));
        }

        var run = await RunSpanAsync(stopped, trace);
        var wait = Assert.Single(stopped, a => a.TraceId == trace && a.OperationName == SluiceTracing.RoomWaitSpan);
        Assert.Equal(id, run.GetTagItem(SluiceTracing.JobIdTag));
        Assert.Equal(SluiceTracing.ReleasedOutcome, run.GetTagItem(SluiceTracing.OutcomeTag));
        Assert.Equal(ActivityStatusCode.Unset, run.Status);
        Assert.Equal(run.SpanId, wait.ParentSpanId);
        Assert.True(wait.StartTimeUtc + wait.Duration <= run.StartTimeUtc + run.Duration, $"room_wait ended after its run ({wait.StartTimeUtc + wait.Duration:O})");

        // Handed back, neither failed nor lost: after the restart it runs, on its first counted attempt, as does the first.
        await using var restarted = await TestServer.StartAsync(settings, dataDir);
        foreach (var job in new[] { id, first })
        {
            var done = await restarted.WaitTerminalAsync(job, TimeSpan.FromSeconds(60));
            Assert.Equal("succeeded", done.GetProperty("status").GetString());
            Assert.Equal(1, done.GetProperty("attempts").GetInt32());
        }
    }

    [Fact]
    public void AddSluiceTracing_ExportOn_TracesOutgoingHttpWithinATraceOnly()
    {
        var services = new ServiceCollection();
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Sluice:Tracing:Enabled"] = "true", ["Sluice:Tracing:Endpoint"] = "http://127.0.0.1:1" }).Build();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging().AddSluiceTracing(configuration);
        using var provider = services.BuildServiceProvider();
        using var tracer = provider.GetRequiredService<TracerProvider>();
        using var http = new ActivitySource(HttpClientSource);

        using (var parent = SluiceTracing.Source.StartActivity(SluiceTracing.RunSpan))
        {
            using var inRun = http.StartActivity("System.Net.Http.HttpRequestOut", ActivityKind.Client);
            Assert.NotNull(parent);
            Assert.NotNull(inRun);
            Assert.True(inRun.Recorded);
            Assert.Equal(parent.SpanId, inRun.ParentSpanId);
        }

        // A backend's health probe, outside any trace: not a trace of its own.
        Activity.Current = null;
        using var probe = http.StartActivity("System.Net.Http.HttpRequestOut", ActivityKind.Client);
        Assert.True(probe is null || !probe.Recorded);
    }

    [Theory]
    [InlineData(null, null, null, true, true)]
    [InlineData("always_off", null, null, false, false)]
    [InlineData("parentbased_always_off", null, null, false, true)]
    [InlineData("traceidratio", "0", null, false, false)]
    [InlineData("parentbased_traceidratio", "0", null, false, true)]
    [InlineData("parentbased_traceidratio", "1", null, true, true)]
    [InlineData("always_off", null, "always_on", true, true)]
    public void AddSluiceTracing_SamplerVariables_SampleAsTheyNameAndStillDropUnparentedHttp(string? sampler, string? arg, string? setting, bool root, bool child)
    {
        var settings = new Dictionary<string, string?> { ["Sluice:Tracing:Enabled"] = "true", ["Sluice:Tracing:Endpoint"] = "http://127.0.0.1:1" };
        settings["OTEL_TRACES_SAMPLER"] = sampler;
        settings["OTEL_TRACES_SAMPLER_ARG"] = arg;
        settings["Sluice:Tracing:Sampler"] = setting;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging().AddSluiceTracing(configuration);
        using var provider = services.BuildServiceProvider();
        using var tracer = provider.GetRequiredService<TracerProvider>();
        using var http = new ActivitySource(HttpClientSource);
        Activity.Current = null;

        using (var span = SluiceTracing.Source.StartActivity(SluiceTracing.RunSpan))
        {
            Assert.Equal(root, span?.Recorded ?? false);
        }

        var sampledParent = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded, isRemote: true);
        using (var span = SluiceTracing.Source.StartActivity(SluiceTracing.RunSpan, ActivityKind.Internal, sampledParent))
        {
            Assert.Equal(child, span?.Recorded ?? false);
        }

        // A backend's health probe, outside any trace, is dropped whatever the sampler.
        Activity.Current = null;
        using var probe = http.StartActivity("System.Net.Http.HttpRequestOut", ActivityKind.Client);
        Assert.True(probe is null || !probe.Recorded);
    }

    [Fact]
    public async Task FinishAsync_OutcomeWrittenElsewhereWhileTheRunStoredItsOwn_RunSpanEndsSuperseded()
    {
        var stopped = new ConcurrentQueue<Activity>();
        using var listener = ListenToSluice(stopped);
        await using var server = await StartWithHeldStoreAsync();
        var store = server.Services.GetRequiredService<OutageJobStore>();
        store.HeldCompletions = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var trace = ActivityTraceId.CreateRandom();

        // The run has its result and is about to store it; meanwhile another gateway's cancel settles the job.
        var id = await SubmitNoWaitAsync(server.Client, trace, """{"model":"sleep-batch","input":{}}""");
        await store.CompletionHeld.Task.WaitAsync(TimeSpan.FromSeconds(20));
        await SettleElsewhereAsync(server, id);
        store.HeldCompletions.SetResult();

        var run = await RunSpanAsync(stopped, trace);
        Assert.Equal(id, run.GetTagItem(SluiceTracing.JobIdTag));
        Assert.Equal(SluiceTracing.SupersededOutcome, run.GetTagItem(SluiceTracing.OutcomeTag));
        Assert.Equal(ActivityStatusCode.Error, run.Status);
        Assert.Equal("cancelled", (await server.GetJobAsync(id)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task StartAsync_GenerativeRunRefusedByTheRunGuard_RunSpanBegunForTheUpstreamCallEndsSuperseded()
    {
        var stopped = new ConcurrentQueue<Activity>();
        using var listener = ListenToSluice(stopped);
        await using var server = await StartWithHeldStoreAsync();
        var store = server.Services.GetRequiredService<OutageJobStore>();
        store.HeldStarts = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var trace = ActivityTraceId.CreateRandom();

        // A generative job's run span begins with its sequence, before its start is stored; the job is settled elsewhere
        // meanwhile, so the store refuses the start and the job never runs here.
        var id = await SubmitNoWaitAsync(server.Client, trace, """{"model":"count","input":{"prompt":"a","max_tokens":2}}""");
        await store.StartHeld.Task.WaitAsync(TimeSpan.FromSeconds(20));
        await SettleElsewhereAsync(server, id);
        store.HeldStarts.SetResult();

        var run = await RunSpanAsync(stopped, trace);
        Assert.Equal(id, run.GetTagItem(SluiceTracing.JobIdTag));
        Assert.Equal(SluiceTracing.SupersededOutcome, run.GetTagItem(SluiceTracing.OutcomeTag));
        Assert.Equal(ActivityStatusCode.Error, run.Status);
    }

    [Fact]
    public async Task RunAsync_StopWhileAGenerativeStartIsBeingStored_RunSpanBegunForItEndsReleased()
    {
        var stopped = new ConcurrentQueue<Activity>();
        using var listener = ListenToSluice(stopped);
        var trace = ActivityTraceId.CreateRandom();
        string id;
        await using (var server = await StartWithHeldStoreAsync())
        {
            var store = server.Services.GetRequiredService<OutageJobStore>();
            store.HeldStarts = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

            // A generative job's run span begins with its sequence, before its start is stored; the server stops while
            // that write is held, so the job never starts here and stays queued.
            id = await SubmitNoWaitAsync(server.Client, trace, """{"model":"count","input":{"prompt":"a","max_tokens":2}}""");
            await store.StartHeld.Task.WaitAsync(TimeSpan.FromSeconds(20));
        }

        var run = await RunSpanAsync(stopped, trace);
        Assert.Equal(id, run.GetTagItem(SluiceTracing.JobIdTag));
        Assert.Equal(SluiceTracing.ReleasedOutcome, run.GetTagItem(SluiceTracing.OutcomeTag));
        Assert.Equal(ActivityStatusCode.Unset, run.Status);
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
    [InlineData("Sluice:Tracing:Sampler", "sometimes", "Sluice:Tracing:Sampler = 'sometimes' must be 'always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off' or 'parentbased_traceidratio'.")]
    [InlineData("Sluice:Tracing:SamplerArg", "1.5", "Sluice:Tracing:SamplerArg = 1.5 must be a ratio from 0 to 1.")]
    [InlineData("OTEL_TRACES_SAMPLER", "ratio", "OTEL_TRACES_SAMPLER = 'ratio' must be 'always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off' or 'parentbased_traceidratio'.", true)]
    [InlineData("OTEL_TRACES_SAMPLER_ARG", "-0.1", "OTEL_TRACES_SAMPLER_ARG = '-0.1' must be a ratio from 0 to 1.", true, "parentbased_traceidratio")]
    public async Task RunAsync_BadTracingSetting_StopsTheStartNamingIt(string setting, string value, string message, bool exportOn = false, string? sampler = null)
    {
        var dir = Path.Combine(Path.GetTempPath(), "sluice-start-" + Guid.NewGuid().ToString("N")[..8]);
        var key = setting.Contains(':', StringComparison.Ordinal) || setting.StartsWith("OTEL_", StringComparison.Ordinal) ? setting : "Sluice:Tracing:" + setting;
        List<string> args = ["--urls=http://127.0.0.1:0", "--Sluice:Storage:DataDir=" + dir, "--Sluice:Engine:ModelsPaths:0=" + TestServer.EmptyFolder, $"--{key}={value}"];
        if (exportOn)
        {
            args.Add("--Sluice:Tracing:Enabled=true");
            args.Add("--Sluice:Tracing:Endpoint=http://127.0.0.1:1");
        }

        if (sampler is not null)
        {
            args.Add("--OTEL_TRACES_SAMPLER=" + sampler);
        }

        try
        {
            var ex = await Assert.ThrowsAsync<ServerStartException>(() => SluiceServerHost.RunAsync([.. args], CancellationToken.None));
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

    /// <summary>
    /// The shared stories260K served with a 1 MB KV cache: 51 blocks of 16 positions, of which a <see cref="LongGeneration"/>
    /// reserves 31, so a second one waits for room until the first ends.
    /// </summary>
    private static Dictionary<string, string> EngineWithRoomForOneLongSequence() => new()
    {
        ["Sluice:Engine:ModelsPaths:0"] = SharedData.TryGetPath("models")!,
        ["Sluice:Engine:KvCacheBudgetMb"] = "1",
        ["Sluice:Models:stories260k:MaxNumSeqs"] = "4",
    };

    /// <summary>A job reserving 480 positions and more of the KV cache (seeded, not from the result cache).</summary>
    private static string LongGeneration(int seed) =>
        """{"model":"stories260k","cache":false,"input":{"prompt":"Once upon a time","max_tokens":480,"temperature":0.8,"seed":""" + seed + "}}";

    /// <summary>A listener (to dispose) collecting the spans of the Sluice source into <paramref name="stopped"/> as they end.</summary>
    private static ActivityListener ListenToSluice(ConcurrentQueue<Activity> stopped)
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = static s => s.Name == SluiceTracing.SourceName,
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        return listener;
    }

    private static Task<TestServer> StartWithHeldStoreAsync() => TestServer.StartAsync(configureServices: services =>
    {
        services.AddSingleton(sp => new OutageJobStore(sp.GetRequiredService<Sluice.Sqlite.SqliteJobStore>()));
        services.Replace(ServiceDescriptor.Singleton<Sluice.Core.Storage.IJobStore>(sp => sp.GetRequiredService<OutageJobStore>()));
    });

    /// <summary>Cancels the job in the store directly, as another gateway does for a job this process runs.</summary>
    private static async Task SettleElsewhereAsync(TestServer server, string id)
    {
        var hub = server.Services.GetRequiredService<Sluice.Core.Scheduling.JobService>().Events;
        var cancelled = new Sluice.Core.Jobs.JobEvent(id, hub.NextId(id), "cancelled", "{\"status\":\"cancelled\",\"error\":\"cancelled elsewhere (test)\"}", DateTimeOffset.UtcNow);
        Assert.True(await server.Services.GetRequiredService<Sluice.Sqlite.SqliteJobStore>().CompleteAsync(new Sluice.Core.Storage.JobCompletion
        {
            JobId = id,
            Status = Sluice.Core.Jobs.JobStatus.Cancelled,
            Error = "cancelled elsewhere (test)",
            CompletedAt = DateTimeOffset.UtcNow,
            Events = [cancelled],
        }, CancellationToken.None));
    }

    private static async Task<Activity> RunSpanAsync(ConcurrentQueue<Activity> stopped, ActivityTraceId trace)
    {
        Activity[] Runs() => [.. stopped.Where(a => a.TraceId == trace && a.OperationName == SluiceTracing.RunSpan)];
        await Poll.UntilAsync(() => Task.FromResult(Runs().Length > 0), () => "the run span never ended", TimeSpan.FromSeconds(20));
        return Assert.Single(Runs());
    }

    /// <summary>Submits a job with a client <c>traceparent</c> and returns its id at once.</summary>
    private static async Task<string> SubmitNoWaitAsync(HttpClient client, ActivityTraceId trace, string body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/jobs") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("traceparent", $"00-{trace.ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-01");
        using var response = await client.SendAsync(request);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.True(response.StatusCode is HttpStatusCode.Accepted, json.RootElement.ToString());
        return json.RootElement.GetProperty("id").GetString()!;
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
