using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Sluice.Core.Scheduling;
using Sluice.Server.Hosting;
using Sluice.Server.Http;
using Sluice.Server.Tests.Infrastructure;
using Sluice.Testing;

namespace Sluice.Server.Tests.Hosting;

public sealed class ShutdownReadinessTests
{
    [Fact]
    public async Task Stop_WithShutdownDelay_ReadyAnswers503OnKeptAliveConnectionWhileLiveAnswers200()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string> { ["Sluice:Http:ShutdownDelaySeconds"] = "5" });
        var connections = 0;
        using var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = 1,
            ConnectCallback = async (context, ct) =>
            {
                Interlocked.Increment(ref connections);
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(context.DnsEndPoint, ct);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        using var client = new HttpClient(handler) { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
        using (var before = await client.GetAsync("/health/ready"))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        var clock = Stopwatch.StartNew();
        var stopping = server.Services.GetRequiredService<IHost>().StopAsync();

        // During the delay, on the same kept-alive connection: not ready (with the reason), still alive, still serving.
        using (var ready = await client.GetAsync("/health/ready"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            using var body = JsonDocument.Parse(await ready.Content.ReadAsStringAsync());
            var check = body.RootElement.GetProperty("checks").GetProperty("shutdown");
            Assert.Equal("unhealthy", check.GetProperty("status").GetString());
            Assert.Equal("the server is stopping", check.GetProperty("description").GetString());
        }

        using (var live = await client.GetAsync("/health/live"))
        {
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        }

        using (var models = await client.GetAsync("/v1/models"))
        {
            Assert.Equal(HttpStatusCode.OK, models.StatusCode);
        }

        // A 5 s delay leaves a loaded CI machine ample room for three loopback probes inside it.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(4.5), $"probes took {clock.Elapsed} of the 5 s delay");
        Assert.False(stopping.IsCompleted, "the listeners closed before the shutdown delay ended");
        Assert.Equal(1, connections);
        await stopping;
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(4.9), $"stopped after {clock.Elapsed}, before the 5 s delay");
    }

    [Fact]
    public async Task StopApplication_WithShutdownDelay_EventStreamGoesOnThroughTheDelayAndEndsWhenTheListenersClose()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string>
        {
            ["Sluice:Http:ShutdownDelaySeconds"] = "5",
            // Keep-alive comments every second show the stream is still served during the delay.
            ["Sluice:Http:KeepAliveSeconds"] = "1",
            // The job outlasts the test (the stop hands it back to the queue).
            ["Sluice:BuiltIns:SleepBatchBaseMs"] = "60000",
        });
        var (_, body) = await server.PostJobAsync("{\"model\":\"sleep-batch\",\"input\":{\"i\":1}}");
        var id = body.GetProperty("id").GetString()!;
        using var client = new HttpClient { BaseAddress = server.BaseAddress, Timeout = Timeout.InfiniteTimeSpan };
        using var response = await client.GetAsync($"/v1/jobs/{id}/events", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());

        // As SIGTERM does: the stop signal first, then the host's stop.
        var clock = Stopwatch.StartNew();
        server.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();
        var stopping = server.Services.GetRequiredService<IHost>().StopAsync();

        // Read until the stream ends; keep-alives keep coming while the delay runs.
        var keepAlivesDuringDelay = 0;
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (await reader.ReadLineAsync(bound.Token) is { } line)
        {
            if (line.StartsWith(':') && clock.Elapsed < TimeSpan.FromSeconds(4.5))
            {
                keepAlivesDuringDelay++;
            }
        }

        var endedAfter = clock.Elapsed;
        await stopping;
        Assert.True(keepAlivesDuringDelay >= 2, $"{keepAlivesDuringDelay} keep-alives in the delay: the stream ended at the stop signal");
        Assert.True(endedAfter >= TimeSpan.FromSeconds(4.9), $"the stream ended after {endedAfter}, inside the 5 s delay");
    }

    [Fact]
    public async Task StopApplication_WithShutdownDelay_PreferWaitGoesOnThroughTheDelayThenAnswers202()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string>
        {
            ["Sluice:Http:ShutdownDelaySeconds"] = "5",
            ["Sluice:BuiltIns:SleepBatchBaseMs"] = "60000",
        });
        var waiting = server.PostJobAsync("{\"model\":\"sleep-batch\",\"input\":{\"i\":1}}", waitSeconds: 60);
        // The wait has begun once the job runs (the POST answers nothing until the wait ends).
        var until = DateTime.UtcNow.AddSeconds(30);
        while (server.Services.GetRequiredService<LiveJobs>().Count == 0)
        {
            Assert.True(DateTime.UtcNow < until, "the job never started");
            await Task.Delay(10);
        }

        var clock = Stopwatch.StartNew();
        server.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();
        var stopping = server.Services.GetRequiredService<IHost>().StopAsync();
        var (response, body) = await waiting;
        var answeredAfter = clock.Elapsed;
        await stopping;

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.NotEqual("cancelled", body.GetProperty("status").GetString());
        Assert.True(answeredAfter >= TimeSpan.FromSeconds(4.9), $"the wait was answered after {answeredAfter}, inside the 5 s delay");
    }

    [Fact]
    public async Task StopApplication_SyncInferLongerThanTheShutdownTimeout_Answers503BeforeTheCut()
    {
        // Cut off with a connection reset before: the run held the drain until the host aborted the connection.
        await using var server = await TestServer.StartAsync(new Dictionary<string, string>
        {
            ["shutdownTimeoutSeconds"] = "3",
            ["Sluice:BuiltIns:SleepBatchBaseMs"] = "60000",
        });
        var running = server.Client.PostAsync("/v1/models/sleep-batch/infer", TestServer.Json("{\"input\":{\"i\":1}}"));
        Assert.True(server.Services.GetRequiredService<ModelRegistry>().TryGet("sleep-batch", out var entry));
        var until = DateTime.UtcNow.AddSeconds(30);
        while (entry.ExecutionLock.CurrentCount != 0)
        {
            Assert.True(DateTime.UtcNow < until, "the run never started");
            await Task.Delay(10);
        }

        var clock = Stopwatch.StartNew();
        server.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();
        var stopping = server.Services.GetRequiredService<IHost>().StopAsync();
        using var response = await running;
        var answeredAfter = clock.Elapsed;
        var problem = await TestServer.ReadJsonAsync(response);
        await stopping;

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.EndsWith("server-stopping", problem.GetProperty("type").GetString(), StringComparison.Ordinal);
        Assert.NotNull(response.Headers.RetryAfter);
        // Served through the drain, answered a margin before the 3 s timeout.
        Assert.True(answeredAfter >= TimeSpan.FromSeconds(1.9) && answeredAfter < TimeSpan.FromSeconds(3), $"answered after {answeredAfter}");
    }

    [Theory]
    [InlineData(400, 300)]
    [InlineData(1000, 750)]
    [InlineData(2000, 1500)]
    [InlineData(4000, 3000)]
    [InlineData(30000, 29000)]
    public async Task StoppingAsync_ShutdownTimeout_CutNearFiresAQuarterOfItAtMostASecondBefore(int timeoutMs, int firesAtMs)
    {
        // A fixed second fired at the stop itself for a timeout of a second or less (and at half of two seconds):
        // requests that would have finished inside the timeout were answered 503.
        var clock = new ManualTimeProvider();
        using var readiness = Create(TimeSpan.FromMilliseconds(timeoutMs), clock);

        await readiness.StoppingAsync(CancellationToken.None);
        clock.Advance(TimeSpan.FromMilliseconds(firesAtMs - 1));
        var before = readiness.CutNear.IsCancellationRequested;
        clock.Advance(TimeSpan.FromMilliseconds(1));

        Assert.False(before, $"CutNear fired before {firesAtMs} ms of a {timeoutMs} ms ShutdownTimeout");
        Assert.True(readiness.CutNear.IsCancellationRequested, $"CutNear had not fired at {firesAtMs} ms");
        Assert.Equal(TimeSpan.FromMilliseconds(timeoutMs - firesAtMs), readiness.AnswerMargin);
    }

    [Fact]
    public async Task StoppingAsync_InfiniteShutdownTimeout_CutNearNeverFires()
    {
        // The host never cuts the drain then; the margin taken off -1 ms fired CutNear at once.
        var clock = new ManualTimeProvider();
        using var readiness = Create(Timeout.InfiniteTimeSpan, clock);

        await readiness.StoppingAsync(CancellationToken.None);
        clock.Advance(TimeSpan.FromDays(1));

        Assert.False(readiness.CutNear.IsCancellationRequested);
    }

    [Fact]
    public async Task Stop_DefaultNoDelay_StopsAtOnce()
    {
        await using var server = await TestServer.StartAsync();
        var clock = Stopwatch.StartNew();
        await server.Services.GetRequiredService<IHost>().StopAsync();
        // Far below any delay worth configuring, with room for a loaded machine's stop.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"stopped after {clock.Elapsed}");
    }

    [Fact]
    public async Task Start_ShutdownDelayOutOfRange_StopsTheStartNamingTheSetting()
    {
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => TestServer.StartAsync(new Dictionary<string, string> { ["Sluice:Http:ShutdownDelaySeconds"] = "-1" }));
        Assert.Contains("ShutdownDelaySeconds", ex.Message);
    }

    [Theory]
    [InlineData("30", null, "Sluice:Http:ShutdownDelaySeconds = 30 must be less than the host's ShutdownTimeout (30 s, setting shutdownTimeoutSeconds)")]
    [InlineData("10", "8", "Sluice:Http:ShutdownDelaySeconds = 10 must be less than the host's ShutdownTimeout (8 s, setting shutdownTimeoutSeconds)")]
    public async Task Start_ShutdownDelayNotShorterThanTheShutdownTimeout_StopsTheStartNamingBoth(string delay, string? shutdownTimeout, string message)
    {
        // Accepted before: the delay used up the whole ShutdownTimeout, and the listeners then closed with no time left
        // to drain, cutting every request in flight at once.
        var settings = new Dictionary<string, string> { ["Sluice:Http:ShutdownDelaySeconds"] = delay };
        if (shutdownTimeout is not null)
        {
            settings["shutdownTimeoutSeconds"] = shutdownTimeout;
        }

        var ex = await Assert.ThrowsAnyAsync<Exception>(() => TestServer.StartAsync(settings));
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_ShutdownDelayShorterThanARaisedShutdownTimeout_Starts()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string>
        {
            ["Sluice:Http:ShutdownDelaySeconds"] = "40",
            ["shutdownTimeoutSeconds"] = "60",
        });
        using var ready = await new HttpClient { BaseAddress = server.BaseAddress }.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
    }

    private static ShutdownReadiness Create(TimeSpan shutdownTimeout, TimeProvider clock) =>
        new(new ApplicationLifetime(NullLogger<ApplicationLifetime>.Instance), Options.Create(new HttpOptions()),
            Options.Create(new HostOptions { ShutdownTimeout = shutdownTimeout }), clock);
}
