using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sluice.Core.Events;
using Sluice.Server.Tests.Infrastructure;
using Sluice.Testing;
using Sluice.Testing.Server;

namespace Sluice.Server.Tests.Apis;

/// <summary>Clients that go away cancel their work, as TGI and vLLM do (Triton's HTTP front end does not).</summary>
public sealed class DisconnectTests : IAsyncLifetime
{
    private TestServer _server = null!;

    public async Task InitializeAsync() => _server = await TestServer.StartAsync(new Dictionary<string, string>
    {
        ["Sluice:BuiltIns:CountStepMs"] = "20",
    });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task PreferWait_ClientDisconnects_JobIsCancelled()
    {
        // Jobs of the other tests of this class (sharing the server) may still be running: only a new one is this one.
        var earlier = await JobIdsAsync();
        using var cts = new CancellationTokenSource();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/jobs") { Content = TestServer.Json("{\"model\":\"count\",\"input\":{\"n\":5000},\"cache\":false}") };
        request.Headers.Add("Prefer", "wait=60");
        var send = _server.Client.SendAsync(request, cts.Token);
        var id = await WaitForRunningJobAsync(earlier);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => send);
        var job = await _server.WaitTerminalAsync(id, TimeSpan.FromSeconds(30));
        Assert.Equal("cancelled", job.GetProperty("status").GetString());
    }

    [Fact]
    public async Task PreferWait_ClientDisconnectsThenRetriesWithItsIdempotencyKey_RetryCreatesANewJob()
    {
        // A client that timed out retries with its Idempotency-Key: it never had an answer, and the job its
        // disconnect cancelled is not one it wants replayed.
        const string body = "{\"model\":\"count\",\"input\":{\"n\":5000},\"cache\":false}";
        var earlier = await JobIdsAsync();
        using var cts = new CancellationTokenSource();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/jobs") { Content = TestServer.Json(body) };
        request.Headers.Add("Prefer", "wait=60");
        request.Headers.Add("Idempotency-Key", "timed-out-once");
        var send = _server.Client.SendAsync(request, cts.Token);
        var id = await WaitForRunningJobAsync(earlier);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => send);
        Assert.Equal("cancelled", (await _server.WaitTerminalAsync(id, TimeSpan.FromSeconds(30))).GetProperty("status").GetString());

        var (retry, job) = await _server.PostJobAsync(body, idempotencyKey: "timed-out-once");
        var (again, replayed) = await _server.PostJobAsync(body, idempotencyKey: "timed-out-once");

        Assert.Equal(HttpStatusCode.Accepted, retry.StatusCode);
        Assert.False(retry.Headers.Contains("Idempotent-Replayed"));
        Assert.NotEqual(id, job.GetProperty("id").GetString());
        // The retry's job holds the key from then on.
        Assert.True(again.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(job.GetProperty("id").GetString(), replayed.GetProperty("id").GetString());
        using var cancel = await _server.Client.DeleteAsync($"/v1/jobs/{job.GetProperty("id").GetString()}");
    }

    [Fact]
    public async Task PreferWait_ReplayOfAnEarlierSubmitDisconnects_JobKeepsRunning()
    {
        // The job belongs to the request that created it; a retry that waits and gives up must not cancel it.
        const string body = "{\"model\":\"count\",\"input\":{\"n\":5000},\"cache\":false}";
        var (created, job) = await _server.PostJobAsync(body, idempotencyKey: "replay-disconnect");
        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        var id = job.GetProperty("id").GetString()!;
        var hub = (InMemoryJobEventHub)_server.Services.GetRequiredService<IJobEventHub>();
        var idle = hub.OpenSubscriptions;

        using var cts = new CancellationTokenSource();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/jobs") { Content = TestServer.Json(body) };
        request.Headers.Add("Prefer", "wait=60");
        request.Headers.Add("Idempotency-Key", "replay-disconnect");
        var send = _server.Client.SendAsync(request, cts.Token);
        await UntilAsync(() => hub.OpenSubscriptions > idle);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => send);
        // The waiter cancels (or not) before it lets go of its subscription.
        await UntilAsync(() => hub.OpenSubscriptions == idle);

        var after = await _server.GetJobAsync(id);
        Assert.Contains(after.GetProperty("status").GetString(), new[] { "queued", "running" });
        using var cancel = await _server.Client.DeleteAsync($"/v1/jobs/{id}");
    }

    [Fact]
    public async Task Events_CancelOnDisconnect_StreamClosedEarly_JobIsCancelled()
    {
        var (_, body) = await _server.PostJobAsync("{\"model\":\"count\",\"input\":{\"n\":5000},\"cache\":false}");
        var id = body.GetProperty("id").GetString()!;
        using (var cts = new CancellationTokenSource())
        {
            using var r = await _server.Client.GetAsync($"/v1/jobs/{id}/events?cancel_on_disconnect=true", HttpCompletionOption.ResponseHeadersRead, cts.Token);
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            using var stream = await r.Content.ReadAsStreamAsync(cts.Token);
            var buffer = new byte[256];
            Assert.True(await stream.ReadAsync(buffer, cts.Token) > 0);
            await cts.CancelAsync();
        }

        var job = await _server.WaitTerminalAsync(id, TimeSpan.FromSeconds(30));
        Assert.Equal("cancelled", job.GetProperty("status").GetString());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task WebSocket_CancelOnDisconnect_ClientLeavesEarly_JobIsCancelled(bool abort)
    {
        var (_, body) = await _server.PostJobAsync("{\"model\":\"count\",\"input\":{\"n\":5000},\"cache\":false}");
        var id = body.GetProperty("id").GetString()!;
        using (var ws = new ClientWebSocket())
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await ws.ConnectAsync(new Uri(_server.BaseAddress.ToString().Replace("http://", "ws://") + $"v1/jobs/{id}/ws?cancel_on_disconnect=true"), cts.Token);
            Assert.True((await ws.ReceiveAsync(new byte[4096], cts.Token)).Count > 0);
            if (abort)
            {
                // The connection dropped with no close frame.
                ws.Abort();
            }
            else
            {
                // A client that closes the socket itself, as a browser leaving the page does.
                await ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "leaving", cts.Token);
            }
        }

        var job = await _server.WaitTerminalAsync(id, TimeSpan.FromSeconds(30));
        Assert.Equal("cancelled", job.GetProperty("status").GetString());
    }

    [Fact]
    public async Task WebSocket_CancelOnDisconnect_DroppedDuringAReplayBurst_JobIsCancelled()
    {
        // Thousands of events already there: the server is sending its replay when the connection drops, so a send
        // fails (WebSocketException) before the read side has said the client left. Several rounds, as which side
        // notices first is up to the scheduler.
        await using var server = await TestServer.StartAsync(new Dictionary<string, string> { ["Sluice:BuiltIns:CountStepMs"] = "1" });
        var ids = new List<string>();
        for (var round = 0; round < 6; round++)
        {
            var id = await PostEndlessCountAsync(server);
            ids.Add(id);
            await Poll.UntilAsync(async () => (await server.GetJobAsync(id)).GetProperty("status").GetString() == "running", () => $"{id} never ran");
            using var ws = new ClientWebSocket();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await ws.ConnectAsync(new Uri(server.BaseAddress.ToString().Replace("http://", "ws://") + $"v1/jobs/{id}/ws?cancel_on_disconnect=true"), cts.Token);
            Assert.True((await ws.ReceiveAsync(new byte[4096], cts.Token)).Count > 0);
            ws.Abort();
        }

        foreach (var id in ids)
        {
            var job = await server.WaitTerminalAsync(id, TimeSpan.FromSeconds(30));
            Assert.Equal("cancelled", job.GetProperty("status").GetString());
        }
    }

    [Fact]
    public async Task WebSocket_CancelOnDisconnect_ClientStopsAnsweringPings_JobIsCancelled()
    {
        // A client that vanished without closing TCP sends nothing, not even the pong its ping asks for, and reads
        // nothing. This one keeps its socket open but never reads again (no receive: no pong; no keep-alive of its
        // own), with a receive buffer that fills at once, so its window stays shut: the job would run for minutes; the
        // server drops it once it has neither answered nor read anything for two intervals and a second, and cancels
        // the job. (Before the server judged by TCP progress this client had a default buffer, and its unanswered
        // ping alone dropped it. Such a client, its kernel still taking data, is now kept until that buffer is full:
        // at the TCP level it looks like a slow reader, whose ping waits behind what it has not read yet, until then.)
        await using var server = await StartPingEverySecondAsync(countStepMs: 100);
        var id = await PostEndlessCountAsync(server);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var ws = await ConnectRawAsync(server, $"/v1/jobs/{id}/ws?cancel_on_disconnect=true", s => s.ReceiveBufferSize = 1, bytesPerSecond: null, cts.Token);

        var job = await server.WaitTerminalAsync(id, TimeSpan.FromSeconds(60));
        Assert.Equal("cancelled", job.GetProperty("status").GetString());
    }

    [Fact]
    public async Task WebSocket_CancelOnDisconnect_ClientAnswersPingsThroughIdleGaps_StreamRunsToTheEnd()
    {
        // Events 1.5 s apart with pings every second: a client that reads (and so answers the pings) is not dropped.
        await using var server = await StartPingEverySecondAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var (id, ws) = await WatchWithoutOwnKeepAliveAsync(server, 3, cts.Token);
        using var _ = ws;

        var types = await WebSocketEvents.ReadTypesAsync(ws, cts.Token);

        Assert.Equal("completed", types[^1]);
        Assert.Equal("succeeded", (await server.GetJobAsync(id)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task WebSocket_CancelOnDisconnect_ClientReadsSlowlyButOn_StreamAndJobStay()
    {
        // A client reading 2,000 B/s of a stream written far faster: the server's pings queue behind the data it has
        // not read yet, so it answers each one late, but it is there and reading. The server dropped it (and cancelled
        // its job) within a few seconds, when the first pong came more than a keep-alive interval after its ping; the
        // same reader of SSE is kept, being judged by its TCP acknowledging on. The segment size is an Ethernet one
        // (loopback's 64 KiB would hold the receive window shut until half the buffer was read, a minute at this pace).
        await using var server = await StartPingEverySecondAsync(countStepMs: 5);
        var id = await PostEndlessCountAsync(server);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var ws = await ConnectRawAsync(server, $"/v1/jobs/{id}/ws?cancel_on_disconnect=true", s => s.SetRawSocketOption(6, 2, BitConverter.GetBytes(1460)), 2000, cts.Token);

        // Ten keep-alive intervals (five times the bound) of slow reading.
        var buffer = new byte[4096];
        var reading = Stopwatch.StartNew();
        var messages = 0;
        while (reading.Elapsed < TimeSpan.FromSeconds(10))
        {
            var r = await ws.ReceiveAsync(buffer, cts.Token);
            Assert.NotEqual(WebSocketMessageType.Close, r.MessageType);
            messages += r.EndOfMessage ? 1 : 0;
        }

        Assert.Equal(WebSocketState.Open, ws.State);
        Assert.Equal("running", (await server.GetJobAsync(id)).GetProperty("status").GetString());
        Assert.True(messages > 50, $"only {messages} messages read");
        using var cancel = await server.Client.DeleteAsync($"/v1/jobs/{id}");
    }

    [Fact]
    public async Task Events_CancelOnDisconnect_ClientReadsSlowlyButOn_StreamAndJobStay()
    {
        // The SSE counterpart of the WebSocket slow reader above: judged by its TCP acknowledging on, it is kept.
        await using var server = await StartPingEverySecondAsync(countStepMs: 5);
        var id = await PostEndlessCountAsync(server);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.SetRawSocketOption(6, 2, BitConverter.GetBytes(1460));
        await socket.ConnectAsync(server.BaseAddress.Host, server.BaseAddress.Port, cts.Token);
        await using var stream = new SlowReadingStream(new NetworkStream(socket), 2000);
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET /v1/jobs/{id}/events?cancel_on_disconnect=true HTTP/1.1\r\nHost: {server.BaseAddress.Authority}\r\n\r\n"), cts.Token);

        var buffer = new byte[4096];
        var reading = Stopwatch.StartNew();
        var read = 0L;
        while (reading.Elapsed < TimeSpan.FromSeconds(10))
        {
            var n = await stream.ReadAsync(buffer, cts.Token);
            Assert.True(n > 0, "the server ended the stream");
            read += n;
        }

        Assert.Equal("running", (await server.GetJobAsync(id)).GetProperty("status").GetString());
        Assert.True(read > 10_000, $"only {read} bytes read");
        using var cancel = await server.Client.DeleteAsync($"/v1/jobs/{id}");
    }

    [Theory]
    [InlineData("GET /v1/jobs/{id}/events?cancel_on_disconnect=true", null)]
    [InlineData("POST /v1/completions", "{\"model\":\"count\",\"prompt\":\"x\",\"max_tokens\":100000,\"stream\":true}")]
    public async Task ServerSentEvents_ClientStopsAcknowledging_JobIsCancelled(string request, string? body)
    {
        // A client that vanished without closing TCP acknowledges nothing. Dropping its packets needs a firewall these
        // tests cannot count on; the nearest on loopback is a client that stops reading with a tiny receive buffer:
        // its window shuts and the server's data stays unacknowledged (Linux bounds that with TCP_USER_TIMEOUT too,
        // though the zero-window probes are answered). Events 100 ms apart shut the window within seconds, while the
        // server's own buffers (the kernel's, Kestrel's 64 KiB) would take many minutes to fill, so no server write
        // blocks and Kestrel's minimum response data rate never ends the stream: only the bound does. Without it
        // the job ran for its whole 10,000 s (or until TCP gave up).
        await using var server = await TestServer.StartAsync(new Dictionary<string, string>
        {
            ["Sluice:Http:KeepAliveSeconds"] = "1",
            ["Sluice:BuiltIns:CountStepMs"] = "100",
        });
        var id = "";
        if (body is null)
        {
            id = await PostEndlessCountAsync(server);
        }

        var head = $"{request.Replace("{id}", id, StringComparison.Ordinal)} HTTP/1.1\r\nHost: {server.BaseAddress.Authority}\r\n"
            + (body is null ? "\r\n" : $"Content-Type: application/json\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\n\r\n{body}");
        using var client = await SendFromNeverReadingClientAsync(server, head);
        if (body is not null)
        {
            // The completion's job: the only one of this server.
            await Poll.UntilAsync(async () =>
            {
                var list = await TestServer.ReadJsonAsync(await server.Client.GetAsync("/v1/jobs?status=running&model=count"));
                var data = list.GetProperty("data");
                id = data.GetArrayLength() == 1 ? data[0].GetProperty("id").GetString()! : "";
                return id.Length > 0;
            }, () => "the completion's job never ran");
        }

        // The client never reads.
        var job = await server.WaitTerminalAsync(id, TimeSpan.FromSeconds(60));
        Assert.Equal("cancelled", job.GetProperty("status").GetString());
    }

    [Fact]
    public async Task ServerSentEvents_ClientStopsAcknowledging_ConnectionEndIsOneDebugLineNotAWarning()
    {
        // The bound ends the connection on purpose; Kestrel logged the ETIMEDOUT that follows as "Connection processing
        // ended abnormally", a Warning with a stack trace, for every client that vanished.
        var logs = new RecordingLoggerProvider(LogLevel.Debug);
        await using var server = await TestServer.StartAsync(
            new Dictionary<string, string>
            {
                ["Sluice:Http:KeepAliveSeconds"] = "1",
                ["Sluice:BuiltIns:CountStepMs"] = "100",
                ["Logging:LogLevel:Microsoft.AspNetCore.Server.Kestrel"] = "Debug",
            },
            configureServices: s => s.AddSingleton<ILoggerProvider>(logs));
        var id = await PostEndlessCountAsync(server);
        using var client = await SendFromNeverReadingClientAsync(server, $"GET /v1/jobs/{id}/events?cancel_on_disconnect=true HTTP/1.1\r\nHost: {server.BaseAddress.Authority}\r\n\r\n");

        Assert.Equal("cancelled", (await server.WaitTerminalAsync(id, TimeSpan.FromSeconds(60))).GetProperty("status").GetString());
        // Kestrel logs "Connection id … stopped." last, after any "ended abnormally". Whether that event comes at all
        // depends on which side meets the timed-out socket first (the request's write, or the transport's read, which
        // Kestrel logs as a Debug reset): a loaded machine takes the second path now and then.
        await Poll.UntilAsync(
            () => Task.FromResult(logs.Entries.Exists(e => e.Message.Contains("the client went away", StringComparison.Ordinal)
                || (e.Message.StartsWith("Connection id", StringComparison.Ordinal) && e.Message.EndsWith("stopped.", StringComparison.Ordinal)))),
            () => "Kestrel never logged the end of the connection");

        Assert.DoesNotContain(logs.Entries, e => e.Message.Contains("ended abnormally", StringComparison.Ordinal));
        Assert.All(logs.Entries.FindAll(e => e.Message.Contains("the client went away", StringComparison.Ordinal)), e =>
        {
            Assert.Equal(LogLevel.Debug, e.Level);
            Assert.Equal("Connection ended: the client went away (Connection timed out)", e.Message);
        });
        Assert.True(logs.Entries.FindAll(e => e.Message.Contains("the client went away", StringComparison.Ordinal)).Count <= 1, "the end was logged more than once");
    }

    [SharedDataFact("models/stories260K.bin", "models/tok512.bin")]
    public Task OpenAiStream_ClientStopsReadingAGenerationThatEnds_ConnectionEndsWithinTheBound() =>
        NeverReadingClientOfAnEndedGenerationAsync(jobEvents: false);

    [SharedDataFact("models/stories260K.bin", "models/tok512.bin")]
    public Task Events_ClientStopsReadingAGenerationThatEnds_ConnectionEndsWithinTheBound() =>
        NeverReadingClientOfAnEndedGenerationAsync(jobEvents: true);

    [Fact]
    public async Task ServerSentEvents_Http2ClientStopsAnsweringPings_JobIsCancelled()
    {
        // HTTP/2 carries many requests on one connection, so the per-stream TCP bound above does not apply: the
        // server pings a connection it has heard nothing from for a keep-alive interval, and drops it when no answer
        // comes within another. The client's network path turns into a black hole (the relay acknowledges TCP but
        // passes nothing on); without the pings the job ran for its whole 10,000 s.
        await using var server = await TestServer.StartAsync(new Dictionary<string, string>
        {
            ["Sluice:Http:KeepAliveSeconds"] = "1",
            ["Sluice:BuiltIns:CountStepMs"] = "100",
            ["Kestrel:Endpoints:A:Url"] = "http://127.0.0.1:0",
            ["Kestrel:Endpoints:A:Protocols"] = "Http1",
            ["Kestrel:Endpoints:H2:Url"] = "http://127.0.0.1:0",
            ["Kestrel:Endpoints:H2:Protocols"] = "Http2",
        });
        var h2 = new Uri(server.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
            .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses.Single(a => new Uri(a) != server.BaseAddress));
        await using var relay = new BlackHoleRelay(h2);
        var id = await PostEndlessCountAsync(server);
        using var client = new HttpClient { BaseAddress = relay.Address, DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var response = await client.GetAsync($"/v1/jobs/{id}/events?cancel_on_disconnect=true", HttpCompletionOption.ResponseHeadersRead, cts.Token);
        Assert.Equal(HttpVersion.Version20, response.Version);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cts.Token));
        while (await reader.ReadLineAsync(cts.Token) is { } line && line != "event: delta")
        {
        }

        relay.Vanish();
        var job = await server.WaitTerminalAsync(id, TimeSpan.FromSeconds(60));
        Assert.Equal("cancelled", job.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Events_WithoutCancelOnDisconnect_StreamClosedEarly_JobContinues()
    {
        var (_, body) = await _server.PostJobAsync("{\"model\":\"count\",\"input\":{\"n\":30},\"cache\":false}");
        var id = body.GetProperty("id").GetString()!;
        using (var cts = new CancellationTokenSource())
        {
            using var r = await _server.Client.GetAsync($"/v1/jobs/{id}/events", HttpCompletionOption.ResponseHeadersRead, cts.Token);
            using var stream = await r.Content.ReadAsStreamAsync(cts.Token);
            Assert.True(await stream.ReadAsync(new byte[64], cts.Token) > 0);
            await cts.CancelAsync();
        }

        var job = await _server.WaitTerminalAsync(id, TimeSpan.FromSeconds(30));
        Assert.Equal("succeeded", job.GetProperty("status").GetString());
    }

    [Fact]
    public async Task PreferWait_ManyClientsGiveUp_QueueKeepsDrainingAndLaterJobsRun()
    {
        // Regression: cancellations racing the batcher once killed its loop and left the queue stalled.
        await using var server = await TestServer.StartAsync(new Dictionary<string, string>
        {
            ["Sluice:BuiltIns:SleepBatchBaseMs"] = "20",
            ["Sluice:Models:sleep-batch:MaxBatchSize"] = "1",
        });
        var abandoned = Enumerable.Range(0, 60).Select(async i =>
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(30 + (i % 7 * 15)));
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/jobs") { Content = TestServer.Json($"{{\"model\":\"sleep-batch\",\"input\":{{\"i\":{i}}}}}") };
            request.Headers.Add("Prefer", "wait=30");
            try
            {
                using var _ = await server.Client.SendAsync(request, cts.Token);
            }
            catch (OperationCanceledException)
            {
            }
        });
        await Task.WhenAll(abandoned);

        var (r, body) = await server.PostJobAsync("{\"model\":\"sleep-batch\",\"input\":{\"after\":true}}", waitSeconds: 30);
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal("succeeded", body.GetProperty("status").GetString());
        var model = await TestServer.ReadJsonAsync(await server.Client.GetAsync("/v1/models/sleep-batch"));
        Assert.Equal(0, model.GetProperty("queue").GetProperty("total").GetInt32());
    }

    private static async Task UntilAsync(Func<bool> condition)
    {
        var until = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            if (DateTime.UtcNow > until)
            {
                throw new TimeoutException("condition not met in 30 s");
            }

            await Task.Delay(5);
        }
    }

    private async Task<HashSet<string>> JobIdsAsync()
    {
        var list = await TestServer.ReadJsonAsync(await _server.Client.GetAsync("/v1/jobs?limit=1000"));
        return list.GetProperty("data").EnumerateArray().Select(j => j.GetProperty("id").GetString()!).ToHashSet();
    }

    private async Task<string> WaitForRunningJobAsync(HashSet<string> except)
    {
        var until = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < until)
        {
            var list = await TestServer.ReadJsonAsync(await _server.Client.GetAsync("/v1/jobs?status=running&model=count"));
            foreach (var j in list.GetProperty("data").EnumerateArray())
            {
                if (!except.Contains(j.GetProperty("id").GetString()!))
                {
                    return j.GetProperty("id").GetString()!;
                }
            }

            await Task.Delay(10);
        }

        throw new TimeoutException("no new running count job");
    }

    /// <summary>A server that pings WebSocket clients every second, with count steps 1.5 s apart (longer than a ping).</summary>
    /// <summary>
    /// A real generation (stories260K, 200 tokens) is over in well under a second, before the bound (two 2 s intervals)
    /// could end the connection of a client that stopped reading: its stream ends with its bytes still waiting in the
    /// kernel. The bound was cleared with the stream's end, so the connection stayed open until Kestrel's keep-alive
    /// timeout (130 s) instead. (On a machine loaded enough to stretch the generation past the bound, the bound ends the
    /// stream first, the OpenAI stream's job is cancelled, and the connection ends within the bound all the same.)
    /// </summary>
    private static async Task NeverReadingClientOfAnEndedGenerationAsync(bool jobEvents)
    {
        var logs = new RecordingLoggerProvider(LogLevel.Debug);
        await using var server = await TestServer.StartAsync(
            new Dictionary<string, string>
            {
                ["Sluice:Http:KeepAliveSeconds"] = "2",
                ["Sluice:Engine:ModelsPaths:0"] = Sluice.Core.Paths.SharedData.TryGetPath("models")!,
                ["Logging:LogLevel:Microsoft.AspNetCore.Server.Kestrel"] = "Debug",
            },
            configureServices: s => s.AddSingleton<ILoggerProvider>(logs));
        string head;
        if (jobEvents)
        {
            var (_, created) = await server.PostJobAsync("{\"model\":\"stories260k\",\"input\":{\"prompt\":\"Once upon a time\",\"max_tokens\":200,\"temperature\":0.8,\"seed\":7},\"cache\":false}");
            head = $"GET /v1/jobs/{created.GetProperty("id").GetString()}/events HTTP/1.1\r\nHost: {server.BaseAddress.Authority}\r\n\r\n";
        }
        else
        {
            const string body = "{\"model\":\"stories260k\",\"prompt\":\"Once upon a time\",\"max_tokens\":200,\"temperature\":0.8,\"seed\":7,\"stream\":true}";
            head = $"POST /v1/completions HTTP/1.1\r\nHost: {server.BaseAddress.Authority}\r\nContent-Type: application/json\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\n\r\n{body}";
        }

        using var client = await SendFromNeverReadingClientAsync(server, head);
        await Poll.UntilAsync(async () =>
        {
            var data = (await TestServer.ReadJsonAsync(await server.Client.GetAsync("/v1/jobs?model=stories260k"))).GetProperty("data");
            return data.GetArrayLength() == 1 && data[0].GetProperty("status").GetString() is "succeeded" or "cancelled";
        }, () => "the generation never ended");

        // The client never reads: the kernel gives up on its unacknowledged bytes (ETIMEDOUT) within the bound.
        await Poll.UntilAsync(
            () => Task.FromResult(logs.EntriesWithExceptions.Exists(e => e.Exception is SocketException { SocketErrorCode: SocketError.TimedOut } or { InnerException: SocketException { SocketErrorCode: SocketError.TimedOut } })),
            () => "the connection of the client that stopped reading was still open long after its generation ended",
            TimeSpan.FromSeconds(30));
    }

    /// <summary>
    /// Sends <paramref name="request"/> from a raw client that never reads and whose receive window shuts at once, so
    /// its TCP stops acknowledging what the server sends (the nearest to a vanished client on loopback).
    /// </summary>
    private static async Task<Socket> SendFromNeverReadingClientAsync(TestServer server, string request)
    {
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        // Before connecting: the window the client advertises follows it.
        client.ReceiveBufferSize = 1;
        await client.ConnectAsync(server.BaseAddress.Host, server.BaseAddress.Port);
        await client.SendAsync(Encoding.UTF8.GetBytes(request));
        return client;
    }

    /// <summary>
    /// Opens a WebSocket from a raw socket set up by <paramref name="configure"/> before it connects (TCP_MAXSEG, a
    /// receive buffer), whose reads go at <paramref name="bytesPerSecond"/> when given. The client sends no keep-alive
    /// of its own: all the server hears from it are the pongs its reads reach.
    /// </summary>
    private static async Task<WebSocket> ConnectRawAsync(TestServer server, string target, Action<Socket> configure, int? bytesPerSecond, CancellationToken ct)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        configure(socket);
        await socket.ConnectAsync(server.BaseAddress.Host, server.BaseAddress.Port, ct);
        var stream = new NetworkStream(socket, ownsSocket: true);
        var head = $"GET {target} HTTP/1.1\r\nHost: {server.BaseAddress.Authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head), ct);
        // The answer's head, a byte at a time so no frame is read past it.
        var answer = new StringBuilder();
        var one = new byte[1];
        while (!answer.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            Assert.Equal(1, await stream.ReadAsync(one, ct));
            answer.Append((char)one[0]);
        }

        Assert.StartsWith("HTTP/1.1 101", answer.ToString(), StringComparison.Ordinal);
        return WebSocket.CreateFromStream(bytesPerSecond is { } rate ? new SlowReadingStream(stream, rate) : stream, new WebSocketCreationOptions { IsServer = false, KeepAliveInterval = TimeSpan.Zero });
    }

    /// <summary>A server pinging (and sending SSE keep-alives) every second, whose count model takes <paramref name="countStepMs"/> a number.</summary>
    private static Task<TestServer> StartPingEverySecondAsync(int countStepMs = 1500) => TestServer.StartAsync(new Dictionary<string, string>
    {
        ["Sluice:Http:KeepAliveSeconds"] = "1",
        ["Sluice:BuiltIns:CountStepMs"] = countStepMs.ToString(System.Globalization.CultureInfo.InvariantCulture),
    });

    /// <summary>A count job that outlasts any test (100,000 numbers), uncached; its id.</summary>
    private static async Task<string> PostEndlessCountAsync(TestServer server)
    {
        var (_, created) = await server.PostJobAsync("{\"model\":\"count\",\"input\":{\"n\":100000},\"cache\":false}");
        return created.GetProperty("id").GetString()!;
    }

    /// <summary>
    /// Submits a count job of <paramref name="n"/> and watches it over a WebSocket with cancel_on_disconnect, from a
    /// client that sends no keep-alive of its own (so it answers the server's pings only while it reads).
    /// </summary>
    private static async Task<(string Id, ClientWebSocket Ws)> WatchWithoutOwnKeepAliveAsync(TestServer server, int n, CancellationToken ct)
    {
        var (_, body) = await server.PostJobAsync($"{{\"model\":\"count\",\"input\":{{\"n\":{n}}},\"cache\":false}}");
        var id = body.GetProperty("id").GetString()!;
        var ws = new ClientWebSocket();
        ws.Options.KeepAliveInterval = TimeSpan.Zero;
        await ws.ConnectAsync(new Uri(server.BaseAddress.ToString().Replace("http://", "ws://") + $"v1/jobs/{id}/ws?cancel_on_disconnect=true"), ct);
        return (id, ws);
    }
}
