using System.Text;
using System.Text.Json;
using Sluice.Server.Tests.Infrastructure;

namespace Sluice.Server.Tests.Http;

/// <summary>
/// A JSON body that fails at the HTTP level (a slowloris trickle, broken chunked framing) is the client's 4xx with the
/// body named, over real sockets on loopback, never an unhandled 500.
/// </summary>
public sealed class JsonBodyTransportTests : IAsyncLifetime
{
    private TestServer _server = null!;

    public async Task InitializeAsync() => _server = await TestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Theory]
    [InlineData("/v1/jobs")]
    [InlineData("/v1/essays")]
    public async Task ReadAsync_BodyStopsArriving_408ProblemNamingTheBody(string path)
    {
        // 100 bytes promised, 9 sent: Kestrel's minimum data rate (240 bytes/s after a 5 s grace) gives up on it.
        var (status, head, body) = await RawHttp.SendAsync(_server.BaseAddress,
            $"POST {path} HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: 100",
            "{\"model\":"u8.ToArray(), TimeSpan.FromSeconds(30));

        Assert.True(status == 408, $"expected 408, got {status}: {head}\n{body}");
        Assert.Contains("application/problem+json", head, StringComparison.OrdinalIgnoreCase);
        using var problem = JsonDocument.Parse(body);
        Assert.Equal("body", problem.RootElement.GetProperty("field").GetString());
        Assert.Contains("too slowly", problem.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/v1/jobs", "application/problem+json")]
    [InlineData("/v1/chat/completions", "application/json")]
    public async Task ReadAsync_BodyTricklesAboveKestrelsMinimumRate_408AfterBodyTimeout(string path, string mediaType)
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string> { ["Sluice:Http:BodyTimeoutSeconds"] = "2" });
        var started = System.Diagnostics.Stopwatch.StartNew();

        // 60 bytes every 100 ms is 600 bytes/s, above Kestrel's 240: only the body timeout ends a 1 MB body sent so.
        var (status, head, body) = await RawHttp.TrickleAsync(server.BaseAddress,
            $"POST {path} HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: 1000000",
            Encoding.ASCII.GetBytes(new string(' ', 60)), TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(20));

        Assert.True(status == 408, $"expected 408, got {status}: {head}\n{body}");
        Assert.InRange(started.Elapsed, TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(15));
        Assert.Contains(mediaType, head, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("Connection: close", head, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("Sluice:Http:BodyTimeoutSeconds", body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/v1/jobs", false)]
    [InlineData("/v1/jobs", true)]
    [InlineData("/v1/chat/completions", false)]
    public async Task ReadAsync_BodyOverMaxBodyBytes_413SaysTheConnectionClosesAndTheNextRequestIsServed(string path, bool chunked)
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string> { ["Sluice:Http:MaxBodyBytes"] = "4096" });
        var json = Encoding.UTF8.GetBytes("{\"model\":\"echo\",\"input\":{\"pad\":\"" + new string('x', 6000) + "\"}}");
        HttpContent content = chunked ? new StreamContent(new MemoryStream(json)) : new ByteArrayContent(json);
        content.Headers.ContentType = new("application/json");

        using (content)
        using (var tooLarge = await server.Client.PostAsync(path, content))
        {
            Assert.Equal(413, (int)tooLarge.StatusCode);
            Assert.True(tooLarge.Headers.ConnectionClose, "the 413 closes the connection without Connection: close");
        }

        // On the same client: a connection the server closed unannounced would be reused and fail ("response ended prematurely").
        using var next = await server.Client.GetAsync("/v1/models");
        Assert.Equal(200, (int)next.StatusCode);
    }

    [Fact]
    public async Task ReadAsync_BrokenChunkedFraming_400ProblemNamingTheBody()
    {
        var (status, head, body) = await RawHttp.SendAsync(_server.BaseAddress,
            "POST /v1/jobs HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked",
            Encoding.ASCII.GetBytes("5\r\n{\"mod\r\nzz\r\nel\":1}\r\n0\r\n\r\n"), TimeSpan.FromSeconds(30));

        Assert.True(status == 400, $"expected 400, got {status}: {head}\n{body}");
        using var problem = JsonDocument.Parse(body);
        Assert.Equal("body", problem.RootElement.GetProperty("field").GetString());
        Assert.StartsWith("the request body could not be read: ", problem.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_BrokenChunkedFramingOnOpenAi_400InOpenAisShape()
    {
        var (status, head, body) = await RawHttp.SendAsync(_server.BaseAddress,
            "POST /v1/chat/completions HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked",
            Encoding.ASCII.GetBytes("5\r\n{\"mod\r\nzz\r\nel\":1}\r\n0\r\n\r\n"), TimeSpan.FromSeconds(30));

        Assert.True(status == 400, $"expected 400, got {status}: {head}\n{body}");
        using var error = JsonDocument.Parse(body);
        Assert.Equal("invalid_request_error", error.RootElement.GetProperty("error").GetProperty("type").GetString());
        Assert.Equal("body", error.RootElement.GetProperty("error").GetProperty("param").GetString());
    }
}
