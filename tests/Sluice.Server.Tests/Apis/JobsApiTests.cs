using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Sluice.Core.Jobs;
using Sluice.Core.Models;
using Sluice.Core.Scheduling;
using Sluice.Core.Storage;
using Sluice.Server.Tests.Infrastructure;

namespace Sluice.Server.Tests.Apis;

public sealed class JobsApiTests : IAsyncLifetime
{
    private TestServer _server = null!;

    public async Task InitializeAsync() => _server = await TestServer.StartAsync(new Dictionary<string, string>
    {
        ["Sluice:BuiltIns:CountStepMs"] = "5",
        ["Sluice:BuiltIns:SleepBatchBaseMs"] = "10",
    });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Theory]
    [InlineData("echo", "{\"a\":[1,2,3]}")]
    [InlineData("sleep-batch", "{\"x\":1}")]
    [InlineData("count", "{\"n\":4}")]
    public async Task Submit_ThenEventsThenResult_CompletesWithOrderedEvents(string model, string input)
    {
        var (response, body) = await _server.PostJobAsync($"{{\"model\":\"{model}\",\"input\":{input}}}");
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = body.GetProperty("id").GetString()!;
        Assert.Equal($"/v1/jobs/{id}", response.Headers.Location!.OriginalString);
        Assert.Equal("queued", body.GetProperty("status").GetString());

        var events = await _server.ReadEventsAsync(id);
        Assert.Equal("queued", events[0].Event);
        Assert.Equal("started", events[1].Event);
        Assert.Equal("completed", events[^1].Event);
        for (var i = 0; i < events.Count; i++)
        {
            Assert.Equal(i + 1, events[i].Id);
        }

        var job = await _server.GetJobAsync(id);
        Assert.Equal("succeeded", job.GetProperty("status").GetString());
        Assert.Equal(1, job.GetProperty("attempts").GetInt32());
        Assert.True(job.GetProperty("batch_size").GetInt32() >= 1);
        Assert.True(job.GetProperty("run_ms").GetDouble() >= 0);
        Assert.True(job.TryGetProperty("queued_ms", out _));
        if (model == "count")
        {
            Assert.Equal(4, events.Count(e => e.Event == "delta"));
            Assert.Equal("1 2 3 4", job.GetProperty("result").GetProperty("text").GetString());
        }
        else if (model == "echo")
        {
            Assert.Equal(input, job.GetProperty("result").GetRawText());
        }
    }

    [Theory]
    [InlineData("wait=100000", "wait=300")]
    [InlineData("wait=99999999999", "wait=300")]
    [InlineData("respond-async, wait=99999999999999999999999", "wait=300")]
    [InlineData("wait=abc", null)]
    [InlineData("wait=-1", null)]
    public async Task Submit_PreferWaitOutOfRange_CappedOrIgnored(string prefer, string? applied)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/jobs") { Content = TestServer.Json("{\"model\":\"count\",\"input\":{\"n\":2},\"cache\":false}") };
        request.Headers.TryAddWithoutValidation("Prefer", prefer);
        using var response = await _server.Client.SendAsync(request);
        Assert.Equal(applied is null ? HttpStatusCode.Accepted : HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(applied, response.Headers.TryGetValues("Preference-Applied", out var values) ? values.Single() : null);
    }

    [Theory]
    [InlineData("wait = 10", "wait=10")]
    [InlineData("wait=\"10\"", "wait=10")]
    [InlineData("respond-async , wait =\t10", "wait=10")]
    [InlineData("wait=10; foo=bar", "wait=10")]
    [InlineData("foo=\"a, b; wait=10\"", null)]
    [InlineData("handling=strict; wait=10", null)]
    [InlineData("wait=0, wait=10", null)]
    public async Task Submit_PreferWaitInRfc7240Syntax_HonouredOnlyAsTheFirstWaitPreference(string prefer, string? applied)
    {
        // RFC 7240: whitespace may surround '=', a value may be quoted, what follows ';' is a parameter of the
        // preference before it, and only the first instance of a preference counts.
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/jobs") { Content = TestServer.Json("{\"model\":\"count\",\"input\":{\"n\":2},\"cache\":false}") };
        request.Headers.TryAddWithoutValidation("Prefer", prefer);
        using var response = await _server.Client.SendAsync(request);
        Assert.Equal(applied is null ? HttpStatusCode.Accepted : HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(applied, response.Headers.TryGetValues("Preference-Applied", out var values) ? values.Single() : null);
    }

    [Fact]
    public async Task Submit_WithPreferWait_ReturnsFinishedJobInline()
    {
        var (response, body) = await _server.PostJobAsync("{\"model\":\"count\",\"input\":{\"n\":3},\"cache\":false}", waitSeconds: 10);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("succeeded", body.GetProperty("status").GetString());
        Assert.Equal("1 2 3", body.GetProperty("result").GetProperty("text").GetString());
        Assert.Equal("wait=10", response.Headers.GetValues("Preference-Applied").Single());
    }

    [Fact]
    public async Task Submit_IntegersWrittenWithFraction_ReadByValue()
    {
        // 3.0 and 6e4 are the integers 3 and 60000 (clients write integral floats); 1.5 is no integer.
        var (response, body) = await _server.PostJobAsync("{\"model\":\"count\",\"input\":{\"n\":3.0},\"deadline_ms\":6e4,\"cache\":false}", waitSeconds: 10);
        var (fraction, problem) = await _server.PostJobAsync("{\"model\":\"count\",\"input\":{\"n\":1.5}}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("1 2 3", body.GetProperty("result").GetProperty("text").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, fraction.StatusCode);
        Assert.Equal("input.n", problem.GetProperty("field").GetString());
    }

    [Fact]
    public async Task Submit_WithPreferWaitTooShort_Returns202()
    {
        var (response, body) = await _server.PostJobAsync("{\"model\":\"count\",\"input\":{\"n\":400}}", waitSeconds: 1);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.NotEqual("succeeded", body.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Events_LastEventId_ResumesWithoutGaps()
    {
        var (_, body) = await _server.PostJobAsync("{\"model\":\"count\",\"input\":{\"n\":6},\"cache\":false}", waitSeconds: 10);
        var id = body.GetProperty("id").GetString()!;
        var all = await _server.ReadEventsAsync(id);
        var resumed = await _server.ReadEventsAsync(id, lastEventId: 4);
        Assert.Equal(all.Skip(4).Select(e => e.Id), resumed.Select(e => e.Id));
        Assert.Equal(5, resumed[0].Id);
    }

    [Fact]
    public async Task Events_ReconnectAfterTerminalEvent_Gets204AndNothingResent()
    {
        // An EventSource reconnects after every stream end with the last id it saw: it must not get the end again.
        var (_, body) = await _server.PostJobAsync("{\"model\":\"count\",\"input\":{\"n\":3},\"cache\":false}", waitSeconds: 10);
        var id = body.GetProperty("id").GetString()!;
        var all = await _server.ReadEventsAsync(id);
        foreach (var after in new[] { all[^1].Id, all[^1].Id + 1000 })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/jobs/{id}/events");
            request.Headers.Add("Last-Event-ID", after.ToString(System.Globalization.CultureInfo.InvariantCulture));
            using var response = await _server.Client.SendAsync(request);
            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        }

        var hub = (Sluice.Core.Events.InMemoryJobEventHub)_server.Services.GetRequiredService<Sluice.Core.Events.IJobEventHub>();
        hub.Forget(id);
        Assert.Empty(await _server.ReadEventsAsync(id, lastEventId: all[^1].Id));
        var last = await _server.ReadEventsAsync(id, lastEventId: all[^1].Id - 1);
        Assert.Equal([(all[^1].Id, "completed")], last.Select(e => (e.Id, e.Event)).ToArray());
    }

    [Fact]
    public async Task Events_LastEventIdAheadOfRunningJob_NeverRepeatsAnId()
    {
        var (_, body) = await _server.PostJobAsync("{\"model\":\"count\",\"input\":{\"n\":30},\"cache\":false}");
        var id = body.GetProperty("id").GetString()!;
        var resumed = await _server.ReadEventsAsync(id, lastEventId: 20);
        Assert.All(resumed, e => Assert.True(e.Id > 20, $"event {e.Id} ({e.Event}) sent after Last-Event-ID 20"));
        Assert.Equal("completed", resumed[^1].Event);
    }

    [Fact]
    public async Task Events_ForFinishedJobAfterMemoryEviction_ReplaysFromStore()
    {
        var (_, body) = await _server.PostJobAsync("{\"model\":\"count\",\"input\":{\"n\":2},\"cache\":false}", waitSeconds: 10);
        var id = body.GetProperty("id").GetString()!;
        var hub = (Sluice.Core.Events.InMemoryJobEventHub)_server.Services.GetRequiredService<Sluice.Core.Events.IJobEventHub>();
        hub.Forget(id);
        var events = await _server.ReadEventsAsync(id);
        Assert.Equal(["queued", "started", "delta", "delta", "completed"], events.Select(e => e.Event).ToArray());
    }

    [Fact]
    public async Task Events_Headers_DisableProxyBuffering()
    {
        var (_, body) = await _server.PostJobAsync("{\"model\":\"echo\",\"input\":{}}", waitSeconds: 10);
        using var r = await _server.Client.GetAsync($"/v1/jobs/{body.GetProperty("id").GetString()}/events", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", r.Content.Headers.ContentType!.MediaType);
        Assert.Equal("no", r.Headers.GetValues("X-Accel-Buffering").Single());
        Assert.Contains("no-cache", r.Headers.CacheControl!.ToString());
    }

    [Fact]
    public async Task Events_ResultWithBareCarriageReturns_DataStaysOneJsonDocument()
    {
        // JSON allows a lone CR as whitespace, and echo returns its input as written; SSE ends a line at a lone CR.
        using var content = TestServer.Json("{\"model\":\"echo\",\"cache\":false,\"input\":{\r\"a\":\r1,\r\n\"b\":\n2}}");
        using var submitted = await _server.Client.PostAsync("/v1/jobs", content);
        Assert.Equal(HttpStatusCode.Accepted, submitted.StatusCode);
        var id = (await TestServer.ReadJsonAsync(submitted)).GetProperty("id").GetString()!;

        // The test reader splits lines at CR, LF and CRLF, as the SSE spec (and EventSource) does.
        var completed = (await _server.ReadEventsAsync(id)).Single(e => e.Event == "completed");
        using var data = JsonDocument.Parse(completed.Data);
        var result = data.RootElement.GetProperty("result");
        Assert.Equal(1, result.GetProperty("a").GetInt32());
        Assert.Equal(2, result.GetProperty("b").GetInt32());
    }

    [Fact]
    public async Task WebSocket_StreamsSameEventsAsSse()
    {
        var (_, body) = await _server.PostJobAsync("{\"model\":\"count\",\"input\":{\"n\":3},\"cache\":false}");
        var id = body.GetProperty("id").GetString()!;
        using var ws = new ClientWebSocket();
        var uri = new Uri(_server.BaseAddress.ToString().Replace("http://", "ws://") + $"v1/jobs/{id}/ws");
        await ws.ConnectAsync(uri, CancellationToken.None);

        Assert.Equal(["queued", "started", "delta", "delta", "delta", "completed"], await WebSocketEvents.ReadTypesAsync(ws, CancellationToken.None));
    }

    [Fact]
    public async Task WebSocket_ClientClosesFirst_ServerAnswersTheCloseHandshake()
    {
        var (_, body) = await _server.PostJobAsync("{\"model\":\"count\",\"input\":{\"n\":100000},\"cache\":false}");
        var id = body.GetProperty("id").GetString()!;
        using var ws = new ClientWebSocket();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await ws.ConnectAsync(new Uri(_server.BaseAddress.ToString().Replace("http://", "ws://") + $"v1/jobs/{id}/ws"), cts.Token);
        Assert.True((await ws.ReceiveAsync(new byte[4096], cts.Token)).Count > 0);

        // CloseAsync waits for the server's close frame; a server that only drops the connection makes it throw.
        await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", cts.Token);
        Assert.Equal(WebSocketState.Closed, ws.State);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, ws.CloseStatus);
        using var cancel = await _server.Client.DeleteAsync($"/v1/jobs/{id}", cts.Token);
    }

    [Fact]
    public async Task Cancel_QueuedJob_NeverRuns()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string>
        {
            ["Sluice:BuiltIns:SleepBatchBaseMs"] = "2000",
            ["Sluice:Models:sleep-batch:MaxBatchSize"] = "1",
        });
        // The first job holds the only slot (seen running, not assumed after a sleep) while the second is queued and
        // cancelled; its 2 s leave a loaded machine room for the submit and the cancel.
        var (_, first) = await server.PostJobAsync("{\"model\":\"sleep-batch\",\"input\":{\"i\":1}}");
        var firstId = first.GetProperty("id").GetString()!;
        await WaitStatusAsync(server, firstId, "running");
        var (_, second) = await server.PostJobAsync("{\"model\":\"sleep-batch\",\"input\":{\"i\":2}}");
        var id = second.GetProperty("id").GetString()!;
        using var cancel = await server.Client.DeleteAsync($"/v1/jobs/{id}");
        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        var firstNow = (await server.GetJobAsync(firstId)).GetProperty("status").GetString();
        Assert.True(firstNow == "running", $"the first job was {firstNow} by the time of the cancel, so the second was not held in the queue");
        await server.WaitTerminalAsync(firstId, TimeSpan.FromSeconds(30));

        // A third job runs only after the batcher has taken (and dropped) the cancelled one ahead of it in the queue.
        var (_, third) = await server.PostJobAsync("{\"model\":\"sleep-batch\",\"input\":{\"i\":3}}", waitSeconds: 30);
        Assert.Equal("succeeded", third.GetProperty("status").GetString());
        var job = await server.GetJobAsync(id);
        Assert.Equal("cancelled", job.GetProperty("status").GetString());
        Assert.Equal(0, job.GetProperty("attempts").GetInt32());
        Assert.DoesNotContain(await server.ReadEventsAsync(id), e => e.Event == "started");
    }

    [Fact]
    public async Task Cancel_RunningCountJob_StopsWithinOneStepAndSlotIsReused()
    {
        // Steps long beside the noise of a loaded machine (the client reading the stream, the cancel's round trip).
        await using var server = await TestServer.StartAsync(new Dictionary<string, string>
        {
            ["Sluice:BuiltIns:CountStepMs"] = "1000",
            ["Sluice:Models:count:MaxNumSeqs"] = "1",
        });
        var (_, a) = await server.PostJobAsync("{\"model\":\"count\",\"input\":{\"n\":10000}}");
        var id = a.GetProperty("id").GetString()!;
        var deltas = 0;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var reading = Task.Run(async () =>
        {
            using var r = await server.Client.GetAsync($"/v1/jobs/{id}/events", HttpCompletionOption.ResponseHeadersRead, cts.Token);
            return await SseParser.ReadAllAsync(await r.Content.ReadAsStreamAsync(cts.Token), cts.Token, e =>
            {
                if (e.Event == "delta")
                {
                    Interlocked.Increment(ref deltas);
                }
            });
        });
        while (Volatile.Read(ref deltas) < 2)
        {
            Assert.False(reading.IsCompleted, "the event stream ended before the job streamed");
            await Task.Delay(10);
        }

        var deltasAtCancel = Volatile.Read(ref deltas);
        using var cancel = await server.Client.DeleteAsync($"/v1/jobs/{id}");
        var cancelled = await TestServer.ReadJsonAsync(cancel);
        Assert.Equal("cancelled", cancelled.GetProperty("status").GetString());
        var events = await reading;
        Assert.Equal("cancelled", events[^1].Event);
        // The stop comes at the next step: the step running when the cancel arrived may still emit its token,
        // plus at most one the client had not read yet when it sent the cancel (steps are 1 s apart).
        Assert.InRange(events.Count(e => e.Event == "delta") - deltasAtCancel, 0, 2);

        // With max_num_seqs 1, a new job can only run if the cancelled one freed its slot.
        var (r2, b) = await server.PostJobAsync("{\"model\":\"count\",\"input\":{\"n\":2}}", waitSeconds: 30);
        Assert.Equal(HttpStatusCode.OK, r2.StatusCode);
        Assert.Equal("succeeded", b.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Cancel_FinishedJob_Returns409()
    {
        var (_, body) = await _server.PostJobAsync("{\"model\":\"echo\",\"input\":{}}", waitSeconds: 10);
        using var r = await _server.Client.DeleteAsync($"/v1/jobs/{body.GetProperty("id").GetString()}");
        Assert.Equal(HttpStatusCode.Conflict, r.StatusCode);
    }

    [Fact]
    public async Task Idempotency_FiftyConcurrentIdenticalSubmits_CreateOneJob()
    {
        const string json = "{\"model\":\"sleep-batch\",\"input\":{\"k\":\"same\"}}";
        var tasks = Enumerable.Range(0, 50).Select(_ => _server.PostJobAsync(json, idempotencyKey: "order-42")).ToArray();
        var results = await Task.WhenAll(tasks);
        Assert.All(results, r => Assert.True(r.Response.IsSuccessStatusCode));
        var ids = results.Select(r => r.Body.GetProperty("id").GetString()).Distinct().ToArray();
        Assert.Single(ids);
        using var list = await _server.Client.GetAsync("/v1/jobs?model=sleep-batch&limit=1000");
        var page = await TestServer.ReadJsonAsync(list);
        Assert.Equal(1, page.GetProperty("data").EnumerateArray().Count(j => j.GetProperty("id").GetString() == ids[0]));
        Assert.Equal(1, page.GetProperty("data").GetArrayLength());
    }

    [Fact]
    public async Task Idempotency_SameKeyDifferentBody_Returns422()
    {
        var (first, _) = await _server.PostJobAsync("{\"model\":\"echo\",\"input\":{\"v\":1}}", idempotencyKey: "k-422");
        Assert.True(first.IsSuccessStatusCode);
        var (second, problem) = await _server.PostJobAsync("{\"model\":\"echo\",\"input\":{\"v\":2}}", idempotencyKey: "k-422");
        Assert.Equal((HttpStatusCode)422, second.StatusCode);
        Assert.Equal("Idempotency-Key", problem.GetProperty("field").GetString());
    }

    [Fact]
    public async Task Idempotency_RetrySendsUnsetOptionalFieldsAsNull_ReplaysTheJob()
    {
        // A null optional field means "left out" (as generated clients send it), so this is the same request.
        var (first, created) = await _server.PostJobAsync("{\"model\":\"echo\",\"input\":{\"v\":3}}", idempotencyKey: "k-null");
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);

        var (again, replayed) = await _server.PostJobAsync("{\"model\":\"echo\",\"input\":{\"v\":3},\"priority\":null,\"deadline_ms\":null,\"cache\":null}", idempotencyKey: "k-null");

        Assert.True(again.Headers.Contains("Idempotent-Replayed"), $"{(int)again.StatusCode}: {replayed}");
        Assert.Equal(created.GetProperty("id").GetString(), replayed.GetProperty("id").GetString());
    }

    [Theory]
    [InlineData("echo", true)]
    [InlineData("count", false)]
    public async Task Idempotency_KeyStoredWithTheBodyOnlyHash_ReplaysOnlyTheSameModelsJob(string storedModel, bool replayed)
    {
        // A key stored before the hash covered the endpoint holds the body's hash alone: its retry is the same request
        // (within the 24 h retention), but only for a job of the model the body names; anything else stays a 422.
        const string json = "{\"model\":\"echo\",\"input\":{\"v\":11}}";
        var key = "k-legacy-" + storedModel;
        var store = _server.Services.GetRequiredService<IJobStore>();
        using (var body = JsonDocument.Parse(json))
        {
            await store.CreateAsync(new JobRecord
            {
                Id = JobIds.New(DateTimeOffset.UtcNow),
                Model = storedModel,
                InputJson = "{\"v\":11}",
                Owner = "anonymous",
                CreatedAt = DateTimeOffset.UtcNow,
                IdempotencyKey = key,
                RequestHash = Sluice.Core.Caching.CacheKeys.LegacyBodyHash(body.RootElement, "priority", "deadline_ms", "cache"),
            }, CancellationToken.None);
        }

        var (again, answer) = await _server.PostJobAsync(json, idempotencyKey: key);

        if (replayed)
        {
            Assert.True(again.Headers.Contains("Idempotent-Replayed"), $"{(int)again.StatusCode}: {answer}");
            Assert.Equal(storedModel, answer.GetProperty("model").GetString());
        }
        else
        {
            Assert.Equal((HttpStatusCode)422, again.StatusCode);
            Assert.Equal("Idempotency-Key", answer.GetProperty("field").GetString());
        }
    }

    [Fact]
    public async Task Idempotency_ReplayAfterCompletion_ReturnsResult()
    {
        var (_, first) = await _server.PostJobAsync("{\"model\":\"echo\",\"input\":{\"v\":7}}", waitSeconds: 10, idempotencyKey: "k-done");
        var (again, body) = await _server.PostJobAsync("{\"model\":\"echo\",\"input\":{\"v\":7}}", idempotencyKey: "k-done");
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(first.GetProperty("id").GetString(), body.GetProperty("id").GetString());
        Assert.Equal("{\"v\":7}", body.GetProperty("result").GetRawText());
        Assert.Equal("true", again.Headers.GetValues("Idempotent-Replayed").Single());
    }

    [Fact]
    public async Task Cache_DeterministicRepeat_AnswersWithoutQueueing()
    {
        var (_, first) = await _server.PostJobAsync("{\"model\":\"count\",\"input\":{\"n\":5}}", waitSeconds: 10);
        Assert.False(first.GetProperty("cached").GetBoolean());
        var (r, second) = await _server.PostJobAsync("{\"input\":{ \"n\" : 5 },\"model\":\"count\"}");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.True(second.GetProperty("cached").GetBoolean());
        Assert.Equal(0, second.GetProperty("batch_size").GetInt32());
        Assert.Equal(first.GetProperty("result").GetRawText(), second.GetProperty("result").GetRawText());
        var metrics = await _server.Client.GetStringAsync("/metrics");
        Assert.Contains("sluice_cache_requests_total{result=\"hit\"}", metrics);
    }

    [Fact]
    public async Task DeadLetters_AlwaysFailingJob_DeadLetteredAfterMaxAttemptsAndRequeueable()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string>
        {
            ["Sluice:Models:sleep-batch:MaxAttempts"] = "3",
            ["Sluice:Retry:BaseDelay"] = "00:00:00.010",
            ["Sluice:BuiltIns:SleepBatchBaseMs"] = "1",
        });
        var (_, body) = await server.PostJobAsync("{\"model\":\"sleep-batch\",\"input\":{\"fail\":true}}");
        var id = body.GetProperty("id").GetString()!;
        var job = await server.WaitTerminalAsync(id, TimeSpan.FromSeconds(20));
        Assert.Equal("dead_lettered", job.GetProperty("status").GetString());
        Assert.Equal(3, job.GetProperty("attempts").GetInt32());
        Assert.Contains("asked to fail", job.GetProperty("error").GetString());
        var events = await server.ReadEventsAsync(id);
        Assert.Equal(2, events.Count(e => e.Event == "retrying"));

        var dl = await TestServer.ReadJsonAsync(await server.Client.GetAsync("/v1/dead-letters"));
        Assert.Contains(dl.GetProperty("data").EnumerateArray(), j => j.GetProperty("id").GetString() == id);

        using var requeue = await server.Client.PostAsync($"/v1/dead-letters/{id}/requeue", null);
        Assert.Equal(HttpStatusCode.Accepted, requeue.StatusCode);
        var again = await server.WaitTerminalAsync(id, TimeSpan.FromSeconds(20));
        Assert.Equal("dead_lettered", again.GetProperty("status").GetString());
        Assert.Equal(3, again.GetProperty("attempts").GetInt32());

        // The requeued run continues the ids: a client resuming from the first run's last event gets the second run
        // whole, and no id ever names two different events.
        var lastBefore = events[^1].Id;
        var resumed = await server.ReadEventsAsync(id, lastEventId: lastBefore);
        Assert.Equal(lastBefore + 1, resumed[0].Id);
        Assert.Equal("queued", resumed[0].Event);
        Assert.Equal("dead_lettered", resumed[^1].Event);
        Assert.Equal(Enumerable.Range((int)lastBefore + 1, resumed.Count).Select(i => (long)i), resumed.Select(e => e.Id));
    }

    [Fact]
    public async Task RequeueDeadLetter_Answer_CarriesNoFiguresOfTheEarlierRun()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string>
        {
            ["Sluice:Models:sleep-batch:MaxAttempts"] = "1",
            ["Sluice:BuiltIns:SleepBatchBaseMs"] = "1",
        });
        var (id, dead) = await DeadLetteredJobAsync(server);
        Assert.True(dead.TryGetProperty("run_ms", out _));

        using var requeue = await server.Client.PostAsync($"/v1/dead-letters/{id}/requeue", null);
        Assert.Equal(HttpStatusCode.Accepted, requeue.StatusCode);
        var queued = await TestServer.ReadJsonAsync(requeue);

        // A queued job has not run yet (no started_at), so the dead run's queue wait, run time and batch are not its own.
        Assert.Equal("queued", queued.GetProperty("status").GetString());
        Assert.False(queued.TryGetProperty("started_at", out _));
        foreach (var field in new[] { "queued_ms", "run_ms", "batch_size" })
        {
            Assert.False(queued.TryGetProperty(field, out _), $"{field} in {queued}");
        }
    }

    [Fact]
    public async Task RequeueDeadLetter_ModelNoLongerServed_409NamingModelAndStaysDeadLettered()
    {
        var dataDir = Directory.CreateTempSubdirectory("sluice-requeue-gone-").FullName;
        var settings = new Dictionary<string, string>
        {
            ["Sluice:Models:sleep-batch:MaxAttempts"] = "1",
            ["Sluice:BuiltIns:SleepBatchBaseMs"] = "1",
        };
        string id;
        await using (var first = await TestServer.StartAsync(settings, dataDir))
        {
            (id, _) = await DeadLetteredJobAsync(first);
            await first.StopKeepingDataAsync();
        }

        // The same store served without the model: the requeued job would be in no queue, "queued" for ever.
        await using var second = await TestServer.StartAsync(new Dictionary<string, string>(settings) { ["Sluice:Models:sleep-batch:Enabled"] = "false" }, dataDir);
        using var requeue = await second.Client.PostAsync($"/v1/dead-letters/{id}/requeue", null);

        Assert.Equal(HttpStatusCode.Conflict, requeue.StatusCode);
        var problem = await TestServer.ReadJsonAsync(requeue);
        Assert.Equal("model", problem.GetProperty("field").GetString());
        Assert.Contains("sleep-batch", problem.GetProperty("detail").GetString());
        Assert.Equal("dead_lettered", (await second.GetJobAsync(id)).GetProperty("status").GetString());
        var dl = await TestServer.ReadJsonAsync(await second.Client.GetAsync("/v1/dead-letters"));
        Assert.Contains(dl.GetProperty("data").EnumerateArray(), j => j.GetProperty("id").GetString() == id);
    }

    [Fact]
    public async Task RequeueDeadLetter_ModelFailedToLoad_503NamingModelAndStaysDeadLettered()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string>
        {
            ["Sluice:Models:sleep-batch:MaxAttempts"] = "1",
            ["Sluice:BuiltIns:SleepBatchBaseMs"] = "1",
        });
        var (id, _) = await DeadLetteredJobAsync(server);

        // The model is registered but no longer ready (as after a failed reload): a requeued job would wait in a queue
        // nothing drains, so the requeue is refused as a submit to the model is.
        Assert.True(server.Services.GetRequiredService<ModelRegistry>().TryGet("sleep-batch", out var model));
        model.Error = "weights unreadable (test)";
        model.State = ModelState.Failed;
        using var requeue = await server.Client.PostAsync($"/v1/dead-letters/{id}/requeue", null);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, requeue.StatusCode);
        Assert.NotNull(requeue.Headers.RetryAfter);
        var problem = await TestServer.ReadJsonAsync(requeue);
        Assert.Equal("model", problem.GetProperty("field").GetString());
        Assert.Contains("weights unreadable (test)", problem.GetProperty("detail").GetString());
        Assert.Equal("dead_lettered", (await server.GetJobAsync(id)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Submit_ConcurrentBurstPastMaxQueueDepth_AcceptsNoMoreThanTheBound()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string>
        {
            // The job that starts must outlast the whole burst, however slow the machine (the stop cancels it).
            ["Sluice:BuiltIns:SleepBatchBaseMs"] = "60000",
            ["Sluice:Models:sleep-batch:MaxBatchSize"] = "1",
            ["Sluice:Models:sleep-batch:MaxQueueDepth"] = "10",
        });
        using var gate = new SemaphoreSlim(0);
        var submits = Enumerable.Range(0, 100).Select(async i =>
        {
            await gate.WaitAsync();
            using var r = await server.Client.PostAsync("/v1/jobs", TestServer.Json("{\"model\":\"sleep-batch\",\"input\":{\"i\":" + i + "}}"));
            return r.StatusCode;
        }).ToList();
        gate.Release(100);
        var statuses = await Task.WhenAll(submits);

        // At most the bound queued plus the one batch of 1 that may already have started.
        var accepted = statuses.Count(s => s == HttpStatusCode.Accepted);
        Assert.InRange(accepted, 10, 11);
        Assert.Equal(100 - accepted, statuses.Count(s => s == HttpStatusCode.TooManyRequests));
    }

    [Fact]
    public async Task Deadline_JobThatCannotStartInTime_ExpiresWithoutRunning()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string>
        {
            // The job ahead holds the only slot far past the deadline, however slow the machine (the stop cancels it).
            ["Sluice:BuiltIns:SleepBatchBaseMs"] = "60000",
            ["Sluice:Models:sleep-batch:MaxBatchSize"] = "1",
        });
        var (_, ahead) = await server.PostJobAsync("{\"model\":\"sleep-batch\",\"input\":{\"i\":0}}");
        await WaitStatusAsync(server, ahead.GetProperty("id").GetString()!, "running");
        var (_, body) = await server.PostJobAsync("{\"model\":\"sleep-batch\",\"input\":{\"i\":1},\"deadline_ms\":100}");
        var job = await server.WaitTerminalAsync(body.GetProperty("id").GetString()!, TimeSpan.FromSeconds(30));
        Assert.Equal("expired", job.GetProperty("status").GetString());
        Assert.Equal(0, job.GetProperty("attempts").GetInt32());
    }

    [Fact]
    public async Task List_LimitOfAThousandWithMoreJobs_SaysHasMoreAndNextPageHasTheRest()
    {
        var ids = await SeedJobsAsync(1001, JobStatus.Succeeded);

        var first = await TestServer.ReadJsonAsync(await _server.Client.GetAsync("/v1/jobs?model=seeded&limit=1000"));
        Assert.Equal(1000, first.GetProperty("data").GetArrayLength());
        Assert.True(first.GetProperty("has_more").GetBoolean());
        var next = first.GetProperty("next").GetString();
        Assert.Equal(ids[1], next);
        var rest = await TestServer.ReadJsonAsync(await _server.Client.GetAsync($"/v1/jobs?model=seeded&limit=1000&before={next}"));
        Assert.Equal(ids[0], Assert.Single(rest.GetProperty("data").EnumerateArray()).GetProperty("id").GetString());
        Assert.False(rest.GetProperty("has_more").GetBoolean());
    }

    [Fact]
    public async Task DeadLetters_ListWithLimitAndBefore_PagesThroughEveryDeadLetter()
    {
        var ids = await SeedJobsAsync(3, JobStatus.DeadLettered);
        await SeedJobsAsync(1, JobStatus.Succeeded);

        var first = await TestServer.ReadJsonAsync(await _server.Client.GetAsync("/v1/dead-letters?limit=2"));
        Assert.Equal([ids[2], ids[1]], first.GetProperty("data").EnumerateArray().Select(j => j.GetProperty("id").GetString()));
        Assert.True(first.GetProperty("has_more").GetBoolean());
        var second = await TestServer.ReadJsonAsync(await _server.Client.GetAsync($"/v1/dead-letters?limit=2&before={first.GetProperty("next").GetString()}"));
        Assert.Equal(ids[0], Assert.Single(second.GetProperty("data").EnumerateArray()).GetProperty("id").GetString());
        Assert.False(second.GetProperty("has_more").GetBoolean());
        var byModel = await TestServer.ReadJsonAsync(await _server.Client.GetAsync("/v1/dead-letters?model=echo"));
        Assert.Equal(0, byModel.GetProperty("data").GetArrayLength());
    }

    /// <summary>Finished jobs of model <c>seeded</c> written straight to the store, oldest first (ids ascending).</summary>
    private async Task<List<string>> SeedJobsAsync(int count, JobStatus status)
    {
        var store = _server.Services.GetRequiredService<IJobStore>();
        var at = DateTimeOffset.UtcNow;
        var jobs = Enumerable.Range(0, count).Select(i => new JobRecord
        {
            Id = JobIds.New(at.AddMilliseconds(i)),
            Model = "seeded",
            InputJson = "{}",
            Owner = "anonymous",
            CreatedAt = at.AddMilliseconds(i),
            Status = status,
        }).ToList();
        await Task.WhenAll(jobs.Select(j => store.CreateAsync(j, CancellationToken.None).AsTask()));
        return jobs.Select(j => j.Id).ToList();
    }

    [Fact]
    public async Task List_OtherKeysJobs_AreInvisible()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string>
        {
            ["Sluice:Auth:Keys:0:Id"] = "alice",
            ["Sluice:Auth:Keys:0:Key"] = "alice-secret",
            ["Sluice:Auth:Keys:1:Id"] = "bob",
            ["Sluice:Auth:Keys:1:Key"] = "bob-secret",
        });
        using var alice = new HttpRequestMessage(HttpMethod.Post, "/v1/jobs") { Content = TestServer.Json("{\"model\":\"echo\",\"input\":{}}") };
        alice.Headers.Authorization = new("Bearer", "alice-secret");
        var created = await TestServer.ReadJsonAsync(await server.Client.SendAsync(alice));
        var id = created.GetProperty("id").GetString();

        using var asBob = new HttpRequestMessage(HttpMethod.Get, $"/v1/jobs/{id}");
        asBob.Headers.Add("X-Api-Key", "bob-secret");
        Assert.Equal(HttpStatusCode.NotFound, (await server.Client.SendAsync(asBob)).StatusCode);

        using var asAlice = new HttpRequestMessage(HttpMethod.Get, $"/v1/jobs/{id}");
        asAlice.Headers.Add("X-Api-Key", "alice-secret");
        Assert.Equal(HttpStatusCode.OK, (await server.Client.SendAsync(asAlice)).StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, (await server.Client.GetAsync($"/v1/jobs/{id}")).StatusCode);
    }

    [Fact]
    public async Task RateLimit_BurstExceeded_Returns429WithRetryAfter()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string>
        {
            ["Sluice:Auth:Keys:0:Id"] = "slow",
            ["Sluice:Auth:Keys:0:Key"] = "slow-secret",
            // One request per 20 s: the five below must not see a refill, however slowly a loaded machine answers them.
            ["Sluice:Auth:Keys:0:RequestsPerSecond"] = "0.05",
            ["Sluice:Auth:Keys:0:Burst"] = "3",
        });
        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? limited = null;
        for (var i = 0; i < 5; i++)
        {
            var req = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
            req.Headers.Authorization = new("Bearer", "slow-secret");
            var r = await server.Client.SendAsync(req);
            statuses.Add(r.StatusCode);
            if (r.StatusCode == HttpStatusCode.TooManyRequests)
            {
                limited = r;
            }
        }

        Assert.Equal(3, statuses.Count(s => s == HttpStatusCode.OK));
        Assert.NotNull(limited);
        Assert.True(int.Parse(limited!.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture) >= 1);
    }

    [Fact]
    public async Task Submit_QueueFullBeforeAnyBatchFinished_RetryAfterIsTheModelsDeclaredBatchNotOneSecond()
    {
        // sleep-batch declares its configured cost (a + b·32 = 6 s here): a queue that fills while its first batch
        // still runs has no timing yet, and used to answer a flat Retry-After: 1.
        await using var server = await TestServer.StartAsync(new Dictionary<string, string>
        {
            ["Sluice:BuiltIns:SleepBatchBaseMs"] = "6000",
            ["Sluice:BuiltIns:SleepBatchPerItemMs"] = "0",
            ["Sluice:Models:sleep-batch:MaxBatchSize"] = "1",
            ["Sluice:Models:sleep-batch:MaxQueueDepth"] = "1",
        });
        var (_, first) = await server.PostJobAsync("{\"model\":\"sleep-batch\",\"input\":{\"i\":0}}");
        await WaitStatusAsync(server, first.GetProperty("id").GetString()!, "running");

        // Submit until the queue is full (the batcher may already hold the next job), at most a few times.
        HttpResponseMessage? full = null;
        for (var i = 1; i <= 5 && full is null; i++)
        {
            var (response, _) = await server.PostJobAsync($"{{\"model\":\"sleep-batch\",\"input\":{{\"i\":{i}}}}}");
            full = response.StatusCode == HttpStatusCode.TooManyRequests ? response : null;
        }

        Assert.NotNull(full);
        // Declared 6 s, or measured about as much if the first batch ended meanwhile: never the 1 s of no data.
        Assert.True(full!.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(6), $"Retry-After: {full.Headers.RetryAfter}");
    }

    /// <summary>Submits a sleep-batch job asked to fail and waits until it is dead-lettered (the server's MaxAttempts is 1).</summary>
    private static async Task<(string Id, JsonElement Dead)> DeadLetteredJobAsync(TestServer server)
    {
        var (_, body) = await server.PostJobAsync("{\"model\":\"sleep-batch\",\"input\":{\"fail\":true}}");
        var id = body.GetProperty("id").GetString()!;
        var dead = await server.WaitTerminalAsync(id, TimeSpan.FromSeconds(30));
        Assert.Equal("dead_lettered", dead.GetProperty("status").GetString());
        return (id, dead);
    }

    /// <summary>Polls until the job has <paramref name="status"/>; fails after 60 s with the status last seen.</summary>
    private static async Task WaitStatusAsync(TestServer server, string id, string status)
    {
        var until = DateTime.UtcNow.AddSeconds(60);
        string? seen;
        while ((seen = (await server.GetJobAsync(id)).GetProperty("status").GetString()) != status)
        {
            Assert.True(DateTime.UtcNow < until, $"job {id} never became {status}; it is {seen}");
            await Task.Delay(10);
        }
    }
}
