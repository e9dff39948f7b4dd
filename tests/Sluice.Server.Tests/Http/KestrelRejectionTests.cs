using Sluice.Server.Tests.Infrastructure;

namespace Sluice.Server.Tests.Http;

/// <summary>
/// The known limit api.md states: a request line Kestrel cannot parse is refused by Kestrel before the pipeline, an
/// empty 400 (505 for an unknown version) that no middleware can turn into a problem. Pinned so that a Kestrel that
/// lets them through (and so lets them be answered as problems) is noticed and the documentation revisited.
/// </summary>
public sealed class KestrelRejectionTests : IAsyncLifetime
{
    private TestServer _server = null!;

    public async Task InitializeAsync() => _server = await TestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Theory]
    [InlineData("GET /v1/%00 HTTP/1.1", 400)]
    [InlineData("GET /v1/models%00 HTTP/1.1", 400)]
    [InlineData("GET v1/models HTTP/1.1", 400)]
    [InlineData("GET /v1 /models HTTP/1.1", 400)]
    [InlineData("G@T /v1/models HTTP/1.1", 400)]
    [InlineData("GET /v1/models HTTP/9.9", 505)]
    public async Task Kestrel_UnparsableRequestLine_EmptyAnswerBeforeThePipeline(string requestLine, int expected)
    {
        var (status, head, body) = await RawHttp.SendAsync(_server.BaseAddress, requestLine + "\r\nHost: test\r\nConnection: close", [], TimeSpan.FromSeconds(30));

        Assert.Equal(expected, status);
        Assert.Equal("", body);
        // None of the pipeline's headers: SecurityHeadersMiddleware never saw the request.
        Assert.DoesNotContain("X-Content-Type-Options", head, StringComparison.OrdinalIgnoreCase);
    }
}
