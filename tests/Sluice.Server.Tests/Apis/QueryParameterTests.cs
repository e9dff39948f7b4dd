using System.Net;
using System.Text.Json;
using Sluice.Server.Tests.Infrastructure;

namespace Sluice.Server.Tests.Apis;

/// <summary>
/// Query parameters over real HTTP: Sluice's own endpoints refuse one they do not take (400 naming it) instead of
/// ignoring it; the OpenAI-compatible ones ignore it, as OpenAI does.
/// </summary>
public sealed class QueryParameterTests : IAsyncLifetime
{
    private TestServer _server = null!;
    private string _job = null!;

    public async Task InitializeAsync()
    {
        _server = await TestServer.StartAsync();
        var (_, body) = await _server.PostJobAsync("""{"model":"echo","input":{}}""", waitSeconds: 30);
        _job = body.GetProperty("id").GetString()!;
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task DeadLetters_StatusWhichOnlyJobsTakes_400NamingItAndTheParametersTaken()
    {
        // Ignored, ?status=failed listed every dead letter as if filtered.
        using var response = await _server.Client.GetAsync("/v1/dead-letters?status=failed");
        var problem = await TestServer.ReadJsonAsync(response);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("status", problem.GetProperty("field").GetString());
        Assert.Contains("takes model, limit, before", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task OwnEndpoint_VeryLongUnknownName_ProblemEchoesOnlyItsStart()
    {
        var name = new string('q', 5000);
        using var response = await _server.Client.GetAsync($"/v1/jobs?{name}=1");
        var problem = await TestServer.ReadJsonAsync(response);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(new string('q', 64) + "…", problem.GetProperty("field").GetString());
        Assert.DoesNotContain(new string('q', 65), problem.GetRawText(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("GET", "/v1/jobs?limt=5")]
    [InlineData("HEAD", "/v1/jobs?limt=5")]
    [InlineData("GET", "/v1/jobs/{id}?limt=5")]
    [InlineData("HEAD", "/v1/dead-letters?limt=5")]
    [InlineData("GET", "/v1/jobs/{id}/events?limt=5")]
    [InlineData("DELETE", "/v1/jobs/{id}?limt=5")]
    [InlineData("POST", "/v1/dead-letters/{id}/requeue?limt=5")]
    [InlineData("GET", "/v1/tasks?limt=5")]
    [InlineData("GET", "/v1/tasks/codegen?limt=5")]
    [InlineData("POST", "/v1/jobs?limt=5")]
    [InlineData("POST", "/v1/models/echo/infer?limt=5")]
    public async Task OwnEndpoint_UnknownParameter_400NamingIt(string method, string url)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), url.Replace("{id}", _job, StringComparison.Ordinal));
        if (method == "POST")
        {
            request.Content = TestServer.Json(url.Contains("/infer", StringComparison.Ordinal) ? """{"input":{}}""" : """{"model":"echo","input":{}}""");
        }

        using var response = await _server.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        if (method != "HEAD")
        {
            var problem = await TestServer.ReadJsonAsync(response);
            Assert.Equal("limt", problem.GetProperty("field").GetString());
            Assert.Contains("unknown query parameter 'limt'", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Submit_UnknownParameter_RefusedBeforeAJobIsCreated()
    {
        using var before = await _server.Client.GetAsync("/v1/jobs?limit=1000");
        var count = (await TestServer.ReadJsonAsync(before)).GetProperty("data").GetArrayLength();

        using var response = await _server.Client.PostAsync("/v1/jobs?wait=5", TestServer.Json("""{"model":"echo","input":{}}"""));
        using var after = await _server.Client.GetAsync("/v1/jobs?limit=1000");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(count, (await TestServer.ReadJsonAsync(after)).GetProperty("data").GetArrayLength());
    }

    [Theory]
    [InlineData("GET", "/v1/jobs?status=succeeded&model=echo&limit=5")]
    [InlineData("GET", "/v1/jobs?Status=succeeded&LIMIT=5")]
    [InlineData("HEAD", "/v1/jobs?status=succeeded&limit=5")]
    [InlineData("HEAD", "/v1/dead-letters?model=echo&limit=5")]
    [InlineData("GET", "/v1/jobs?limit=5&_=1732412345678")]
    [InlineData("GET", "/v1/jobs/{id}?_=1732412345678")]
    [InlineData("GET", "/v1/jobs/{id}/events?last_event_id=0&cancel_on_disconnect=false")]
    public async Task OwnEndpoint_ParametersItTakesAndTheCacheBuster_AnsweredAndAnUnknownOneBesideThemRefused(string method, string url)
    {
        url = url.Replace("{id}", _job, StringComparison.Ordinal);

        using var taken = await _server.Client.SendAsync(new HttpRequestMessage(new HttpMethod(method), url));
        using var unknown = await _server.Client.SendAsync(new HttpRequestMessage(new HttpMethod(method), url + "&limt=5"));

        Assert.Equal(HttpStatusCode.OK, taken.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
    }

    [Theory]
    [InlineData("GET", "/v1/models?colour=red", null)]
    [InlineData("HEAD", "/v1/models?colour=red", null)]
    [InlineData("GET", "/v1/models/echo?colour=red", null)]
    [InlineData("POST", "/v1/chat/completions?api-version=2024-06-01", """{"model":"count","max_tokens":2,"messages":[{"role":"user","content":"hi"}]}""")]
    [InlineData("POST", "/v1/completions?api-version=2024-06-01", """{"model":"count","max_tokens":2,"prompt":"hi"}""")]
    public async Task OpenAiCompatibleEndpoint_UnknownParameter_Ignored(string method, string url, string? body)
    {
        // OpenAI's SDKs and the proxies in front of them add parameters of their own (Azure's api-version).
        using var request = new HttpRequestMessage(new HttpMethod(method), url) { Content = body is null ? null : TestServer.Json(body) };

        using var response = await _server.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
