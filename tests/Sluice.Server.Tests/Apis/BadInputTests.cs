using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Sluice.Server.Tests.Infrastructure;

namespace Sluice.Server.Tests.Apis;

/// <summary>Malformed requests of every kind get the right 4xx with problem details naming the field, never a 5xx.</summary>
public sealed class BadInputTests : IAsyncLifetime
{
    private TestServer _server = null!;

    public async Task InitializeAsync() => _server = await TestServer.StartAsync(new Dictionary<string, string>
    {
        ["Sluice:Http:MaxBodyBytes"] = "65536",
        ["Sluice:Auth:Keys:0:Id"] = "tester",
        ["Sluice:Auth:Keys:0:Key"] = "good-key",
    });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    public static TheoryData<string, string, string, string?, int, string?> Cases()
    {
        const string j = "application/json";
        var big = new string('x', 70_000);
        var data = new TheoryData<string, string, string, string?, int, string?>
        {
            // name, method+path, body, content type, expected status, expected field
            { "empty body", "POST /v1/jobs", "", j, 400, "body" },
            { "not json", "POST /v1/jobs", "hello", j, 400, "body" },
            { "truncated json", "POST /v1/jobs", "{\"model\":\"echo\",", j, 400, "body" },
            { "trailing comma", "POST /v1/jobs", "{\"model\":\"echo\",\"input\":{},}", j, 400, "body" },
            { "json array", "POST /v1/jobs", "[1,2]", j, 400, "body" },
            { "json string", "POST /v1/jobs", "\"echo\"", j, 400, "body" },
            { "json null", "POST /v1/jobs", "null", j, 400, "body" },
            { "comments", "POST /v1/jobs", "{/*c*/\"model\":\"echo\",\"input\":{}}", j, 400, "body" },
            { "single quotes", "POST /v1/jobs", "{'model':'echo'}", j, 400, "body" },
            { "missing model", "POST /v1/jobs", "{\"input\":{}}", j, 400, "model" },
            { "missing input", "POST /v1/jobs", "{\"model\":\"echo\"}", j, 400, "input" },
            { "model number", "POST /v1/jobs", "{\"model\":5,\"input\":{}}", j, 400, "model" },
            { "model null", "POST /v1/jobs", "{\"model\":null,\"input\":{}}", j, 400, "model" },
            { "model empty", "POST /v1/jobs", "{\"model\":\"\",\"input\":{}}", j, 400, "model" },
            { "model uppercase", "POST /v1/jobs", "{\"model\":\"ECHO\",\"input\":{}}", j, 400, "model" },
            { "model too long", "POST /v1/jobs", "{\"model\":\"" + new string('a', 300) + "\",\"input\":{}}", j, 400, "model" },
            { "model path chars", "POST /v1/jobs", "{\"model\":\"../etc\",\"input\":{}}", j, 400, "model" },
            { "unknown model", "POST /v1/jobs", "{\"model\":\"nope\",\"input\":{}}", j, 404, "model" },
            { "unknown field", "POST /v1/jobs", "{\"model\":\"echo\",\"input\":{},\"colour\":1}", j, 400, "colour" },
            { "priority wrong", "POST /v1/jobs", "{\"model\":\"echo\",\"input\":{},\"priority\":\"urgent\"}", j, 400, "priority" },
            { "priority number", "POST /v1/jobs", "{\"model\":\"echo\",\"input\":{},\"priority\":1}", j, 400, "priority" },
            { "deadline negative", "POST /v1/jobs", "{\"model\":\"echo\",\"input\":{},\"deadline_ms\":-5}", j, 400, "deadline_ms" },
            { "deadline zero", "POST /v1/jobs", "{\"model\":\"echo\",\"input\":{},\"deadline_ms\":0}", j, 400, "deadline_ms" },
            { "deadline string", "POST /v1/jobs", "{\"model\":\"echo\",\"input\":{},\"deadline_ms\":\"10\"}", j, 400, "deadline_ms" },
            { "deadline float", "POST /v1/jobs", "{\"model\":\"echo\",\"input\":{},\"deadline_ms\":1.5}", j, 400, "deadline_ms" },
            { "deadline huge", "POST /v1/jobs", "{\"model\":\"echo\",\"input\":{},\"deadline_ms\":1e30}", j, 400, "deadline_ms" },
            { "cache string", "POST /v1/jobs", "{\"model\":\"echo\",\"input\":{},\"cache\":\"no\"}", j, 400, "cache" },
            { "count n string", "POST /v1/jobs", "{\"model\":\"count\",\"input\":{\"n\":\"5\"}}", j, 400, "input.n" },
            { "count n zero", "POST /v1/jobs", "{\"model\":\"count\",\"input\":{\"n\":0}}", j, 400, "input.n" },
            { "count n huge", "POST /v1/jobs", "{\"model\":\"count\",\"input\":{\"n\":99999999999}}", j, 400, "input.n" },
            { "count unknown field", "POST /v1/jobs", "{\"model\":\"count\",\"input\":{\"m\":1}}", j, 400, "input.m" },
            { "count input array", "POST /v1/jobs", "{\"model\":\"count\",\"input\":[1]}", j, 400, "input" },
            { "sleep-batch input string", "POST /v1/jobs", "{\"model\":\"sleep-batch\",\"input\":\"x\"}", j, 400, "input" },
            { "sleep-batch fail not bool", "POST /v1/jobs", "{\"model\":\"sleep-batch\",\"input\":{\"fail\":1}}", j, 400, "input.fail" },
            { "huge body", "POST /v1/jobs", "{\"model\":\"echo\",\"input\":\"" + big + "\"}", j, 413, "body" },
            { "text/plain", "POST /v1/jobs", "{\"model\":\"echo\",\"input\":{}}", "text/plain", 415, "Content-Type" },
            { "form content", "POST /v1/jobs", "model=echo", "application/x-www-form-urlencoded", 415, "Content-Type" },
            { "no content type", "POST /v1/jobs", "{\"model\":\"echo\",\"input\":{}}", null, 415, "Content-Type" },
            { "deep nesting", "POST /v1/jobs", "{\"model\":\"echo\",\"input\":" + new string('[', 200) + new string(']', 200) + "}", j, 400, "body" },
            { "get bad job id", "GET /v1/jobs/not-a-job", "", null, 404, "id" },
            { "get unknown job", "GET /v1/jobs/job_00000000000000000000000000", "", null, 404, "id" },
            { "cancel unknown job", "DELETE /v1/jobs/job_00000000000000000000000000", "", null, 404, "id" },
            { "events unknown job", "GET /v1/jobs/job_00000000000000000000000000/events", "", null, 404, "id" },
            { "list bad status", "GET /v1/jobs?status=done", "", null, 400, "status" },
            { "list bad limit", "GET /v1/jobs?limit=0", "", null, 400, "limit" },
            { "list limit text", "GET /v1/jobs?limit=ten", "", null, 400, "limit" },
            { "list bad before", "GET /v1/jobs?before=zzz", "", null, 400, "before" },
            { "dead letters bad limit", "GET /v1/dead-letters?limit=1001", "", null, 400, "limit" },
            { "dead letters bad before", "GET /v1/dead-letters?before=zzz", "", null, 400, "before" },
            { "requeue unknown", "POST /v1/dead-letters/job_00000000000000000000000000/requeue", "", null, 404, "id" },
            { "infer unknown model", "POST /v1/models/nope/infer", "{\"input\":{}}", j, 404, "model" },
            { "infer unknown model, bad body", "POST /v1/models/nope/infer", "{\"colour\":1}", j, 404, "model" },
            { "infer unknown model, no body", "POST /v1/models/nope/infer", "", j, 404, "model" },
            { "infer missing input", "POST /v1/models/echo/infer", "{}", j, 400, "input" },
            { "infer bad input", "POST /v1/models/count/infer", "{\"input\":{\"n\":-1}}", j, 400, "input.n" },
            { "model info unknown", "GET /v1/models/nope", "", null, 404, "model" },
            { "lone surrogate in model", "POST /v1/jobs", "{\"model\":\"\\ud800\",\"input\":{}}", j, 400, "model" },
            { "lone surrogate in input", "POST /v1/jobs", "{\"model\":\"echo\",\"input\":{\"t\":\"a\\udc00b\"}}", j, 400, "input.t" },
            { "events bad last id", "GET /v1/jobs/job_00000000000000000000000000/events?last_event_id=abc", "", null, 400, "last_event_id" },
            { "events negative last id", "GET /v1/jobs/job_00000000000000000000000000/events?last_event_id=-1", "", null, 400, "last_event_id" },
            { "events bad cancel flag", "GET /v1/jobs/job_00000000000000000000000000/events?cancel_on_disconnect=maybe", "", null, 400, "cancel_on_disconnect" },
            { "events padded cancel flag", "GET /v1/jobs/job_00000000000000000000000000/events?cancel_on_disconnect=%20true", "", null, 400, "cancel_on_disconnect" },
            { "duplicate property", "POST /v1/jobs", "{\"model\":\"echo\",\"input\":1,\"model\":\"count\"}", j, 400, "body" },
            { "unknown route", "GET /v1/backends", "", null, 404, null },
            { "wrong method", "PUT /v1/jobs", "", null, 405, null },
            { "ws without upgrade", "GET /v1/jobs/job_00000000000000000000000000/ws", "", null, 400, "Upgrade" },
        };
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Request_Malformed_GetsProblemDetailsWithField(string name, string route, string body, string? contentType, int status, string? field)
    {
        var space = route.IndexOf(' ');
        using var request = new HttpRequestMessage(new HttpMethod(route[..space]), route[(space + 1)..]);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "good-key");
        if (body.Length > 0 || route.StartsWith("POST", StringComparison.Ordinal))
        {
            request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
            if (contentType is not null)
            {
                request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
            }
        }

        using var response = await _server.Client.SendAsync(request);
        Assert.True((int)response.StatusCode == status, $"{name}: expected {status}, got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await TestServer.ReadJsonAsync(response);
        Assert.Equal(status, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("detail").GetString()));
        if (field is not null)
        {
            Assert.Equal(field, problem.GetProperty("field").GetString());
        }
    }

    [Fact]
    public async Task GetJob_VeryLongId_404EchoesOnlyItsStart()
    {
        var id = new string('a', 5_000);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/jobs/" + id);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "good-key");

        using var response = await _server.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(body.Length < 1_000, $"the 404 is {body.Length} characters long");
        Assert.Contains("'" + new string('a', 64) + "…'", (await TestServer.ReadJsonAsync(response)).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Submit_MalformedJson_DetailGivesThePositionOnceOneBased()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/jobs") { Content = TestServer.Json("{\"model\":\"echo\",\n  x}") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "good-key");

        using var response = await _server.Client.SendAsync(request);

        var detail = (await TestServer.ReadJsonAsync(response)).GetProperty("detail").GetString()!;
        Assert.StartsWith("malformed JSON at line 2, byte 3: ", detail);
        Assert.DoesNotContain("LineNumber", detail);
    }

    [Theory]
    [InlineData(null, "missing key")]
    [InlineData("wrong-key", "wrong key")]
    [InlineData("good-key-but-longer", "prefix of a key")]
    public async Task Request_WithoutValidKey_Gets401(string? key, string name)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/jobs") { Content = TestServer.Json("{\"model\":\"echo\",\"input\":{}}") };
        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        using var response = await _server.Client.SendAsync(request);
        Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, name);
        Assert.Equal("Authorization", (await TestServer.ReadJsonAsync(response)).GetProperty("field").GetString());
    }

    [Theory]
    [InlineData("good-key", "wrong-key", HttpStatusCode.Accepted)]
    [InlineData("wrong-key", "good-key", HttpStatusCode.Unauthorized)]
    public async Task Request_BearerAndXApiKeyBoth_BearerIsTheKeyChecked(string bearer, string xApiKey, HttpStatusCode expected)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/jobs") { Content = TestServer.Json("{\"model\":\"echo\",\"input\":{}}") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        request.Headers.Add("X-Api-Key", xApiKey);

        using var response = await _server.Client.SendAsync(request);

        Assert.Equal(expected, response.StatusCode);
        if (expected == HttpStatusCode.Unauthorized)
        {
            Assert.Equal("Authorization", (await TestServer.ReadJsonAsync(response)).GetProperty("field").GetString());
        }
    }

    [Fact]
    public async Task Submit_BodyWithUtf8ByteOrderMark_IsReadAsJson()
    {
        // Windows editors and PowerShell 5 write a BOM; it used to be a 400 "'0xEF' is an invalid start of a value".
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/jobs")
        {
            Content = new ByteArrayContent([0xEF, 0xBB, 0xBF, .. "{\"model\":\"echo\",\"input\":{\"a\":1}}"u8]),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "good-key");

        using var response = await _server.Client.SendAsync(request);

        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    [Theory]
    [InlineData("application/json; charset=utf-16", HttpStatusCode.UnsupportedMediaType)]
    [InlineData("application/json; charset=iso-8859-1", HttpStatusCode.UnsupportedMediaType)]
    [InlineData("application/json; charset=UTF-8", HttpStatusCode.Accepted)]
    [InlineData("application/json; charset=utf8", HttpStatusCode.Accepted)]
    [InlineData("application/json; charset=\"utf-8\"", HttpStatusCode.Accepted)]
    public async Task Submit_DeclaredCharset_OnlyUtf8Accepted(string contentType, HttpStatusCode expected)
    {
        // A body declared in another charset would be read as UTF-8 anyway, so it is refused for what it says it is.
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/jobs")
        {
            Content = new ByteArrayContent("{\"model\":\"echo\",\"input\":{\"a\":1}}"u8.ToArray()),
        };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "good-key");

        using var response = await _server.Client.SendAsync(request);

        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{(int)response.StatusCode} {body}");
        if (expected == HttpStatusCode.UnsupportedMediaType)
        {
            Assert.Contains("UTF-8", body);
        }
    }

    [Fact]
    public async Task Request_InvalidUtf8_Gets400NotServerError()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/jobs")
        {
            Content = new ByteArrayContent([.. "{\"model\":\"echo\",\"input\":\""u8, 0xC3, 0x28, 0xFF, .. "\"}"u8]),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "good-key");
        using var response = await _server.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Theory]
    [InlineData("echo")]
    [InlineData("sleep-batch")]
    public async Task Submit_InputNestedToTheLimit_JobStaysReadableAndListable(string model)
    {
        // 62 levels inside "input" plus the request object: just under the request limit of 64. The job view wraps
        // the input (and the echo result) further down, which once made every listing of the store a 500.
        var input = model == "echo" ? new string('[', 62) + new string(']', 62) : "{\"a\":" + new string('[', 61) + new string(']', 61) + "}";
        using var submit = new HttpRequestMessage(HttpMethod.Post, "/v1/jobs") { Content = TestServer.Json("{\"model\":\"" + model + "\",\"input\":" + input + "}") };
        submit.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "good-key");
        submit.Headers.TryAddWithoutValidation("Prefer", "wait=10");
        using var submitted = await _server.Client.SendAsync(submit);
        Assert.True(submitted.IsSuccessStatusCode, await submitted.Content.ReadAsStringAsync());
        var id = (await TestServer.ReadJsonAsync(submitted)).GetProperty("id").GetString();

        foreach (var path in new[] { $"/v1/jobs/{id}", "/v1/jobs?limit=1000" })
        {
            using var get = new HttpRequestMessage(HttpMethod.Get, path);
            get.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "good-key");
            using var response = await _server.Client.SendAsync(get);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {body}");
            using var parsed = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 256 });
        }
    }

    [Fact]
    public async Task Request_BadIdempotencyKey_Gets400()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/jobs") { Content = TestServer.Json("{\"model\":\"echo\",\"input\":{}}") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "good-key");
        request.Headers.TryAddWithoutValidation("Idempotency-Key", new string('k', 300));
        using var response = await _server.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("Idempotency-Key", (await TestServer.ReadJsonAsync(response)).GetProperty("field").GetString());
    }
}
