using System.Net;
using System.Text.Json;
using Sluice.Server.Tests.Infrastructure;

namespace Sluice.Server.Tests.Admission;

/// <summary>Admission as a client meets it over HTTP: which header a refusal names, and what the OpenAPI document promises.</summary>
public sealed class AdmissionHttpTests
{
    private static readonly Dictionary<string, string> Keys = new()
    {
        ["Sluice:Auth:Keys:0:Id"] = "alice",
        ["Sluice:Auth:Keys:0:Key"] = "alice-secret",
    };

    [Theory]
    [InlineData("X-Api-Key", "wrong-secret", "X-Api-Key")]
    [InlineData("Authorization", "Bearer wrong-secret", "Authorization")]
    [InlineData("Authorization", "Basic YWxpY2U6", "Authorization")]
    public async Task Unauthorized_WrongOrMissingKey_ProblemNamesTheHeaderAtFault(string header, string value, string field)
    {
        await using var server = await TestServer.StartAsync(Keys);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
        request.Headers.TryAddWithoutValidation(header, value);

        using var response = await server.Client.SendAsync(request);
        var problem = await TestServer.ReadJsonAsync(response);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(field, problem.GetProperty("field").GetString());
        Assert.Equal(401, problem.GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task OpenApi_V1Operations_Declare401And429AndTheKeySchemes()
    {
        await using var server = await TestServer.StartAsync(Keys);

        using var response = await server.Client.GetAsync("/openapi/v1.json");
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = doc.RootElement;

        var schemes = root.GetProperty("components").GetProperty("securitySchemes");
        Assert.Equal("bearer", schemes.GetProperty("bearer").GetProperty("scheme").GetString());
        Assert.Equal("X-Api-Key", schemes.GetProperty("api_key").GetProperty("name").GetString());
        var paths = root.GetProperty("paths");
        var essays = paths.GetProperty("/v1/essays").GetProperty("post");
        foreach (var status in new[] { "401", "422", "429" })
        {
            Assert.True(essays.GetProperty("responses").TryGetProperty(status, out _), $"POST /v1/essays does not declare {status}");
        }

        var getJob = paths.GetProperty("/v1/jobs/{id}").GetProperty("get");
        Assert.True(getJob.GetProperty("responses").TryGetProperty("401", out _), "GET /v1/jobs/{id} does not declare 401");
        // The OpenAI-compatible endpoints keep their own 401 in OpenAI's error shape.
        var chat401 = paths.GetProperty("/v1/chat/completions").GetProperty("post").GetProperty("responses").GetProperty("401");
        Assert.DoesNotContain("problem+json", chat401.GetProperty("content").GetRawText(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task OpenApi_V1Operations_ListAnonymousAccessOnlyWithoutKeys(bool keysConfigured)
    {
        // With keys every /v1 request without one is a 401, so the document must not offer the empty requirement.
        await using var server = await TestServer.StartAsync(keysConfigured ? Keys : new Dictionary<string, string>());

        using var doc = JsonDocument.Parse(await server.Client.GetStringAsync("/openapi/v1.json"));

        var operations = 0;
        foreach (var path in doc.RootElement.GetProperty("paths").EnumerateObject().Where(p => p.Name.StartsWith("/v1/", StringComparison.Ordinal)))
        {
            foreach (var operation in path.Value.EnumerateObject())
            {
                var requirements = operation.Value.GetProperty("security").EnumerateArray().ToList();
                var names = requirements.SelectMany(r => r.EnumerateObject().Select(p => p.Name)).ToList();
                Assert.Contains("bearer", names);
                Assert.Contains("api_key", names);
                Assert.Equal(keysConfigured ? 0 : 1, requirements.Count(r => !r.EnumerateObject().Any()));
                operations++;
            }
        }

        Assert.True(operations >= 16, $"only {operations} operations");
    }

    [Fact]
    public async Task OpenApi_V1Operations_DeclareTheAdmissionHeadersOn401And429()
    {
        await using var server = await TestServer.StartAsync(Keys);

        using var doc = JsonDocument.Parse(await server.Client.GetStringAsync("/openapi/v1.json"));

        var operations = 0;
        foreach (var path in doc.RootElement.GetProperty("paths").EnumerateObject().Where(p => p.Name.StartsWith("/v1/", StringComparison.Ordinal)))
        {
            foreach (var operation in path.Value.EnumerateObject())
            {
                // Declared by the endpoint (the OpenAI ones, submits) or by the admission transformer: the filter sends these either way.
                var responses = operation.Value.GetProperty("responses");
                Assert.True(responses.GetProperty("401").GetProperty("headers").TryGetProperty("WWW-Authenticate", out _), $"{operation.Name} {path.Name} 401");
                Assert.True(responses.GetProperty("429").GetProperty("headers").TryGetProperty("Retry-After", out _), $"{operation.Name} {path.Name} 429");
                operations++;
            }
        }

        Assert.True(operations >= 16, $"only {operations} operations");
    }

    [Fact]
    public async Task Unauthorized_AndRateLimited_SendTheDeclaredHeaders()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string>(Keys)
        {
            ["Sluice:Auth:Keys:0:RequestsPerSecond"] = "0.001",
            ["Sluice:Auth:Keys:0:Burst"] = "1",
        });

        using var unauthorized = await server.Client.GetAsync("/v1/jobs");
        using var first = new HttpRequestMessage(HttpMethod.Get, "/v1/jobs");
        first.Headers.Add("X-Api-Key", "alice-secret");
        using var allowed = await server.Client.SendAsync(first);
        using var second = new HttpRequestMessage(HttpMethod.Get, "/v1/jobs");
        second.Headers.Add("X-Api-Key", "alice-secret");
        using var limited = await server.Client.SendAsync(second);

        Assert.Equal(HttpStatusCode.Unauthorized, unauthorized.StatusCode);
        Assert.Equal("Bearer", unauthorized.Headers.WwwAuthenticate.ToString());
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.NotNull(limited.Headers.RetryAfter);
    }
}
