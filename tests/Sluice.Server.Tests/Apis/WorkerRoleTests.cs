using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Sluice.Core.Scheduling;
using Sluice.Server.Hosting;
using Sluice.Server.Tests.Infrastructure;

namespace Sluice.Server.Tests.Apis;

/// <summary>A worker runs models only: the public API is the gateways', while health and metrics stay.</summary>
public sealed class WorkerRoleTests
{
    /// <summary>
    /// A worker on the embedded queue and store: never a real deployment (refused at start without a broker and
    /// PostgreSQL), but enough to see what its HTTP side answers without either.
    /// </summary>
    private static Task<TestServer> StartWorkerAsync() => TestServer.StartAsync(new Dictionary<string, string> { ["Sluice:Role"] = "worker" }, configureServices: services =>
    {
        var validator = services.Single(d => d.ImplementationType == typeof(RoleSettingsValidator));
        services.Remove(validator);
    });

    [Theory]
    [InlineData("POST", "/v1/jobs")]
    [InlineData("GET", "/v1/jobs/job_00000000000000000000000000/events")]
    [InlineData("GET", "/v1/models")]
    [InlineData("POST", "/v1/chat/completions")]
    [InlineData("GET", "/ui/essays")]
    [InlineData("GET", "/")]
    public async Task PublicApi_OnWorker_Answers404ProblemPointingAtTheGateway(string method, string path)
    {
        await using var server = await StartWorkerAsync();
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method == "POST")
        {
            request.Content = TestServer.Json("{\"model\":\"echo\",\"input\":{}}");
        }

        using var response = await server.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        var problem = await TestServer.ReadJsonAsync(response);
        Assert.Equal("https://sluice.dev/problems/not-a-gateway", problem.GetProperty("type").GetString());
        Assert.Contains("gateway", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpsEndpoints_OnWorker_StillAnswer()
    {
        await using var server = await StartWorkerAsync();

        Assert.Equal("worker", server.Services.GetRequiredService<IOptions<SchedulingOptions>>().Value.Role);
        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("/health/live")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("/health/ready")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("/metrics")).StatusCode);
    }
}
