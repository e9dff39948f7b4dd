using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Sluice.Server.Apis;
using Sluice.Server.Tests.Infrastructure;

namespace Sluice.Server.Tests.Http;

/// <summary>
/// Sluice:Http:MaxConcurrentConnections and MaxConcurrentUpgradedConnections bound what a connection flood can hold,
/// over real sockets on loopback; a WebSocket over the limit is a 503 problem, not an unhandled 500.
/// </summary>
public sealed class ConnectionLimitTests
{
    [Fact]
    public async Task Kestrel_ConnectionsOverMaxConcurrentConnections_ClosedUnanswered()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string> { ["Sluice:Http:MaxConcurrentConnections"] = "2" });
        // The harness's own client may still hold the keep-alive connection of its readiness poll: one or two answer.
        var held = new List<TcpClient>();
        var answered = 0;
        try
        {
            for (var i = 0; i < 4; i++)
            {
                var client = new TcpClient();
                held.Add(client);
                await client.ConnectAsync(server.BaseAddress.Host, server.BaseAddress.Port);
                if (await AnswersAsync(client))
                {
                    answered++;
                }
            }
        }
        finally
        {
            held.ForEach(static c => c.Dispose());
        }

        Assert.InRange(answered, 1, 2);
    }

    [Fact]
    public async Task WebSocket_OverMaxConcurrentUpgradedConnections_503Problem()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string> { ["Sluice:Http:MaxConcurrentUpgradedConnections"] = "1" });
        var (_, job) = await server.PostJobAsync("{\"model\":\"count\",\"input\":{\"n\":100000}}");
        var uri = new Uri(new Uri(server.BaseAddress.ToString().Replace("http://", "ws://", StringComparison.Ordinal)), $"/v1/jobs/{job.GetProperty("id").GetString()}/ws");
        using var first = new ClientWebSocket();
        await first.ConnectAsync(uri, CancellationToken.None);
        using var second = new ClientWebSocket();
        second.Options.CollectHttpResponseDetails = true;

        await Assert.ThrowsAsync<WebSocketException>(() => second.ConnectAsync(uri, CancellationToken.None));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, second.HttpStatusCode);
        Assert.True(second.HttpResponseHeaders!.ContainsKey("Retry-After"));
        Assert.Equal(WebSocketState.Open, first.State);
    }

    [Fact]
    public async Task StreamWebSocketAsync_AcceptRefusedForAnotherReason_Rethrown()
    {
        // Only Kestrel's upgraded-connection limit is a 503; any other refusal must not be labelled as one.
        var http = UpgradeRequest(new InvalidOperationException("Not a WebSocket request."));

        await Assert.ThrowsAsync<InvalidOperationException>(() => EventStreaming.StreamWebSocketAsync(http, null!, null!, 0, TimeSpan.FromSeconds(1), false));
    }

    [Fact]
    public async Task StreamWebSocketAsync_KestrelUpgradeLimit_FalseNothingSent()
    {
        // The refusal as Kestrel words it (its CoreStrings.UpgradedConnectionLimitReached).
        var message = new System.Resources.ResourceManager("Microsoft.AspNetCore.Server.Kestrel.Core.CoreStrings", typeof(Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions).Assembly)
            .GetString("UpgradedConnectionLimitReached", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains("upgraded connections", message, StringComparison.Ordinal);
        var http = UpgradeRequest(new InvalidOperationException(message));

        Assert.False(await EventStreaming.StreamWebSocketAsync(http, null!, null!, 0, TimeSpan.FromSeconds(1), false));
        Assert.False(http.Response.HasStarted);
    }

    /// <summary>An HTTP/1.1 upgrade request whose WebSocket accept throws <paramref name="refusal"/>.</summary>
    private static DefaultHttpContext UpgradeRequest(InvalidOperationException refusal)
    {
        var http = new DefaultHttpContext();
        http.Features.Set<IHttpUpgradeFeature>(new Upgradable());
        http.Features.Set<IHttpWebSocketFeature>(new RefusingWebSockets(refusal));
        return http;
    }

    private sealed class Upgradable : IHttpUpgradeFeature
    {
        public bool IsUpgradableRequest => true;

        public Task<Stream> UpgradeAsync() => throw new NotSupportedException();
    }

    private sealed class RefusingWebSockets(InvalidOperationException refusal) : IHttpWebSocketFeature
    {
        public bool IsWebSocketRequest => true;

        public Task<WebSocket> AcceptAsync(WebSocketAcceptContext context) => Task.FromException<WebSocket>(refusal);
    }

    /// <summary>Whether the server answers a request on the connection, or closes it without a word.</summary>
    private static async Task<bool> AnswersAsync(TcpClient client)
    {
        var stream = client.GetStream();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes("GET /health/live HTTP/1.1\r\nHost: test\r\n\r\n"), cts.Token);
            var buffer = new byte[1024];
            return await stream.ReadAsync(buffer, cts.Token) > 0;
        }
        catch (IOException)
        {
            return false;
        }
    }
}
