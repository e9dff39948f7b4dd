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
        Assert.Equal(3, getJob.GetProperty("security").GetArrayLength());
        // The OpenAI-compatible endpoints keep their own 401 in OpenAI's error shape.
        var chat401 = paths.GetProperty("/v1/chat/completions").GetProperty("post").GetProperty("responses").GetProperty("401");
        Assert.DoesNotContain("problem+json", chat401.GetProperty("content").GetRawText(), StringComparison.Ordinal);
    }
}
