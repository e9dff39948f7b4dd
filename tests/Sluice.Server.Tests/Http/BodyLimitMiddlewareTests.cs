using System.Text.Json;
using Sluice.Server.Tests.Infrastructure;

namespace Sluice.Server.Tests.Http;

/// <summary>
/// An endpoint that reads no body refuses a large one at once with a 413 problem over real HTTP, instead of answering
/// and then draining whatever the client streams up to Kestrel's 512 MiB ceiling.
/// </summary>
public sealed class BodyLimitMiddlewareTests : IAsyncLifetime
{
    private TestServer _server = null!;

    public async Task InitializeAsync() => _server = await TestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Theory]
    [InlineData("GET /v1/models")]
    [InlineData("DELETE /v1/jobs/job_00000000000000000000000000")]
    [InlineData("POST /v1/dead-letters/job_00000000000000000000000000/requeue")]
    [InlineData("GET /health/live")]
    [InlineData("GET /no/such/route")]
    public async Task InvokeAsync_LargeBodyAtAnEndpointWithoutBody_413ProblemNamingTheBody(string request)
    {
        // 100 MB announced, 64 KiB sent: the answer must not wait for the rest.
        var (status, head, body) = await RawHttp.SendAsync(_server.BaseAddress,
            $"{request} HTTP/1.1\r\nHost: test\r\nContent-Type: application/octet-stream\r\nContent-Length: 100000000",
            new byte[64 * 1024], TimeSpan.FromSeconds(30));

        Assert.True(status == 413, $"expected 413, got {status}: {head}\n{body}");
        Assert.Contains("application/problem+json", head, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("Connection: close", head, StringComparison.OrdinalIgnoreCase);
        using var problem = JsonDocument.Parse(body);
        Assert.Equal("body", problem.RootElement.GetProperty("field").GetString());
        Assert.Contains("takes no request body", problem.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("GET /v1/chat/completions")]
    [InlineData("DELETE /v1/completions")]
    public async Task InvokeAsync_LargeBodyAtAnOpenAiRoute_413InOpenAisErrorShape(string request)
    {
        // OpenAI clients parse {"error": {...}} only, as the OpenAI endpoints answer their own errors.
        var (status, head, body) = await RawHttp.SendAsync(_server.BaseAddress,
            $"{request} HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: 100000000",
            new byte[64 * 1024], TimeSpan.FromSeconds(30));

        Assert.True(status == 413, $"expected 413, got {status}: {head}\n{body}");
        Assert.DoesNotContain("application/problem+json", head, StringComparison.OrdinalIgnoreCase);
        using var answer = JsonDocument.Parse(body);
        var error = answer.RootElement.GetProperty("error");
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Equal("body", error.GetProperty("param").GetString());
        Assert.Equal("request_too_large", error.GetProperty("code").GetString());
        Assert.Contains("takes no request body", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeAsync_SmallBodyAtAGet_Served()
    {
        var (status, head, body) = await RawHttp.SendAsync(_server.BaseAddress,
            "GET /v1/models HTTP/1.1\r\nHost: test\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: 2",
            "{}"u8.ToArray(), TimeSpan.FromSeconds(30));

        Assert.True(status == 200, $"expected 200, got {status}: {head}\n{body}");
    }

    [Fact]
    public async Task InvokeAsync_BodyEndpointOverMaxBodyBytes_413FromTheHandler()
    {
        // A body of 3 MiB announced and trickling in: the handler answers on the announced length, and the server may
        // close the connection before a client has sent it all (an HttpClient sending it whole then fails with a broken
        // pipe instead of reading the answer).
        var (status, head, body) = await RawHttp.TrickleAsync(_server.BaseAddress,
            "POST /v1/jobs HTTP/1.1\r\nHost: test\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: " + (3 * 1024 * 1024),
            "{\"model\":\"echo\",\"input\":{\"x\":\"aaaa"u8.ToArray(), TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(30));

        Assert.True(status == 413, $"expected 413, got {status}: {head}\n{body}");
        using var problem = JsonDocument.Parse(body);
        Assert.Equal("body", problem.RootElement.GetProperty("field").GetString());
        Assert.Contains("exceeds 2097152 bytes", problem.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }
}
