using System.Net;
using System.Text.Json;
using Sluice.Server.Tests.Infrastructure;

namespace Sluice.Server.Tests.Apis;

/// <summary>HEAD where GET answers with a document (RFC 9110), not on streams, and never in the API description.</summary>
public sealed class HeadTests
{
    [Fact]
    public async Task Head_EveryDocumentEndpoint_SameStatusAndTypeAsGetWithoutABody()
    {
        await using var server = await TestServer.StartAsync();
        var (submitted, job) = await server.PostJobAsync("""{"model":"echo","input":{"a":1}}""", waitSeconds: 10);
        Assert.Equal(HttpStatusCode.OK, submitted.StatusCode);
        var id = job.GetProperty("id").GetString();
        string[] paths =
        [
            "/v1/jobs", $"/v1/jobs/{id}", "/v1/jobs/job_nope", "/v1/models", "/v1/models/echo", "/v1/tasks", "/v1/tasks/codegen",
            "/v1/dead-letters", "/metrics", "/openapi/v1.json",
        ];

        foreach (var path in paths)
        {
            using var get = await server.Client.GetAsync(path);
            using var head = await server.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, path));

            Assert.True(get.StatusCode == head.StatusCode, $"{path}: GET {(int)get.StatusCode}, HEAD {(int)head.StatusCode}");
            Assert.Equal(get.Content.Headers.ContentType?.MediaType, head.Content.Headers.ContentType?.MediaType);
            Assert.Empty(await head.Content.ReadAsByteArrayAsync());
        }
    }

    [Fact]
    public async Task Head_JobEventStream_405RatherThanAStreamThatLastsAsLongAsTheJob()
    {
        await using var server = await TestServer.StartAsync();
        var (_, job) = await server.PostJobAsync("""{"model":"sleep-batch","input":{"i":1}}""");
        var id = job.GetProperty("id").GetString();

        using var head = await server.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/v1/jobs/{id}/events"));

        Assert.Equal(HttpStatusCode.MethodNotAllowed, head.StatusCode);
        using var cancel = await server.Client.DeleteAsync($"/v1/jobs/{id}");
    }

    [Fact]
    public async Task OpenApi_Document_ListsNoHeadOperations()
    {
        await using var server = await TestServer.StartAsync();

        using var doc = JsonDocument.Parse(await server.Client.GetStringAsync("/openapi/v1.json"));

        var operations = 0;
        foreach (var path in doc.RootElement.GetProperty("paths").EnumerateObject())
        {
            foreach (var op in path.Value.EnumerateObject())
            {
                Assert.NotEqual("head", op.Name);
                operations += op.Name == "get" ? 1 : 0;
            }
        }

        Assert.True(operations >= 7, $"only {operations} GET operations described");
    }
}
