using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Sluice.Core.Storage;
using Sluice.Server.Tests.Infrastructure;
using Sluice.Sqlite;

namespace Sluice.Server.Tests.Http;

/// <summary>
/// An unhandled exception is a 500 RFC 7807 problem over real HTTP in every environment, Development included (whose
/// developer exception page would show the stack), and names the exception only with Sluice:Http:DetailedErrors.
/// </summary>
public sealed class UnhandledExceptionAnswerTests
{
    private const string Secret = "connection string Password=hunter2 at /srv/secret/path";

    [Theory]
    [InlineData("Production")]
    [InlineData("Development")]
    public async Task Answer_UnhandledException_500ProblemWithoutInternals(string environment)
    {
        await using var server = await StartFaultyAsync(new Dictionary<string, string> { ["environment"] = environment });

        var (status, mediaType, body) = await GetJobAsync(server, "application/json");
        var (_, _, htmlBody) = await GetJobAsync(server, "text/html");

        Assert.Equal(500, status);
        Assert.Equal("application/problem+json", mediaType);
        using var problem = JsonDocument.Parse(body);
        Assert.Equal("the server failed to handle the request; it has been logged", problem.RootElement.GetProperty("detail").GetString());
        foreach (var text in new[] { body, htmlBody })
        {
            Assert.DoesNotContain("hunter2", text, StringComparison.Ordinal);
            Assert.DoesNotContain("InvalidOperationException", text, StringComparison.Ordinal);
            Assert.DoesNotContain("OutageJobStore", text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Answer_UnhandledExceptionWithDetailedErrors_ProblemNamesTheException()
    {
        await using var server = await StartFaultyAsync(new Dictionary<string, string> { ["Sluice:Http:DetailedErrors"] = "true" });

        var (status, mediaType, body) = await GetJobAsync(server, "application/json");

        Assert.Equal(500, status);
        Assert.Equal("application/problem+json", mediaType);
        using var problem = JsonDocument.Parse(body);
        Assert.Equal("System.InvalidOperationException: " + Secret, problem.RootElement.GetProperty("detail").GetString());
        Assert.Contains("OutageJobStore", problem.RootElement.GetProperty("exception").GetString(), StringComparison.Ordinal);
    }

    private static async Task<TestServer> StartFaultyAsync(Dictionary<string, string> settings)
    {
        var server = await TestServer.StartAsync(settings, configureServices: services =>
        {
            services.AddSingleton(sp => new OutageJobStore(sp.GetRequiredService<SqliteJobStore>()));
            services.Replace(ServiceDescriptor.Singleton<IJobStore>(sp => sp.GetRequiredService<OutageJobStore>()));
        });
        server.Services.GetRequiredService<OutageJobStore>().Fault = new InvalidOperationException(Secret);
        return server;
    }

    private static async Task<(int Status, string? MediaType, string Body)> GetJobAsync(TestServer server, string accept)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/jobs/job_00000000000000000000000000");
        request.Headers.Accept.ParseAdd(accept);
        using var response = await server.Client.SendAsync(request);
        return ((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, await response.Content.ReadAsStringAsync());
    }
}
