using System.Net;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Sluice.Server.Tests.Infrastructure;

namespace Sluice.Server.Tests.Apis;

/// <summary>
/// The job WebSocket over HTTP/2 (RFC 8441 extended CONNECT), which browsers use when the page itself came over HTTP/2:
/// on cleartext HTTP/2 (h2c, prior knowledge) here, since the protocol and the handler are the same as behind TLS.
/// </summary>
public sealed class WebSocketHttp2Tests : IAsyncLifetime
{
    private TestServer _server = null!;

    public async Task InitializeAsync() => _server = await TestServer.StartAsync(new Dictionary<string, string>
    {
        ["Sluice:BuiltIns:CountStepMs"] = "5",
        // Cleartext HTTP/2 needs an HTTP/2-only endpoint (on a mixed one Kestrel answers the preface HTTP_1_1_REQUIRED).
        // Endpoint A is bound first, so the fixture's own client (the first address) keeps speaking HTTP/1.1.
        ["Kestrel:Endpoints:A:Url"] = "http://127.0.0.1:0",
        ["Kestrel:Endpoints:A:Protocols"] = "Http1",
        ["Kestrel:Endpoints:H2:Url"] = "http://127.0.0.1:0",
        ["Kestrel:Endpoints:H2:Protocols"] = "Http2",
    });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task WebSocket_OverHttp2ExtendedConnect_StreamsTheJobsEvents()
    {
        var (_, body) = await _server.PostJobAsync("{\"model\":\"count\",\"input\":{\"n\":3},\"cache\":false}");
        var id = body.GetProperty("id").GetString()!;
        using var handler = new SocketsHttpHandler();
        using var invoker = new HttpMessageInvoker(handler);
        using var ws = new ClientWebSocket();
        ws.Options.HttpVersion = HttpVersion.Version20;
        ws.Options.HttpVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        ws.Options.CollectHttpResponseDetails = true;
        var h2 = _server.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single(a => new Uri(a) != _server.BaseAddress);
        var uri = new Uri(h2.Replace("http://", "ws://", StringComparison.Ordinal).TrimEnd('/') + $"/v1/jobs/{id}/ws");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await ws.ConnectAsync(uri, invoker, timeout.Token);
        // An extended CONNECT is accepted with 200, not 101 (RFC 8441 §5).
        Assert.Equal(HttpStatusCode.OK, ws.HttpStatusCode);

        Assert.Equal(["queued", "started", "delta", "delta", "delta", "completed"], await WebSocketEvents.ReadTypesAsync(ws, timeout.Token));
    }
}
