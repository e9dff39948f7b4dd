using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Sluice.Server.Tests.Infrastructure;

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
}
