using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Sluice.Core.Storage;
using Sluice.Server.Http;
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

    [Fact]
    public async Task Answer_UnhandledExceptionOnAnOpenAiRoute_500InOpenAisErrorShape()
    {
        // The chat handler maps the store's failures to its own answers, so no request reaches the exception handler
        // from there today: the handler's path is driven directly, with the server's own services.
        await using var server = await TestServer.StartAsync();
        var http = ExceptionContext(server, "/v1/chat/completions", new InvalidOperationException(Secret));

        Assert.True(await server.Services.GetRequiredService<IProblemDetailsService>().TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            Exception = http.Features.Get<IExceptionHandlerFeature>()!.Error,
            ProblemDetails = { Status = 500 },
        }));

        var (mediaType, body) = Written(http);
        Assert.Equal("application/json", mediaType);
        using var answer = JsonDocument.Parse(body);
        var error = answer.RootElement.GetProperty("error");
        Assert.Equal("the server failed to handle the request; it has been logged", error.GetProperty("message").GetString());
        Assert.Equal("server_error", error.GetProperty("type").GetString());
        Assert.DoesNotContain("hunter2", body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/v1/chat/completions", "application/json")]
    [InlineData("/v1/jobs", "application/problem+json")]
    public async Task Answer_StoreOutage_503InTheShapeOfTheEndpointsErrors(string path, string expectedMediaType)
    {
        await using var server = await TestServer.StartAsync();
        var http = ExceptionContext(server, path, new StoreUnavailableException("the job store is unavailable (test outage)"));
        var handler = server.Services.GetServices<IExceptionHandler>().OfType<UnavailableExceptionHandler>().Single();

        Assert.True(await handler.TryHandleAsync(http, http.Features.Get<IExceptionHandlerFeature>()!.Error, CancellationToken.None));

        var (mediaType, body) = Written(http);
        Assert.Equal(503, http.Response.StatusCode);
        Assert.Equal(expectedMediaType, mediaType);
        Assert.Equal("2", http.Response.Headers.RetryAfter.ToString());
        using var answer = JsonDocument.Parse(body);
        var message = expectedMediaType == "application/json"
            ? answer.RootElement.GetProperty("error").GetProperty("message").GetString()
            : answer.RootElement.GetProperty("detail").GetString();
        Assert.Equal("the job store is unavailable; retry later", message);
    }

    /// <summary>A request to <paramref name="path"/> as the exception handler sees it: endpoint cleared, kept in its feature.</summary>
    private static DefaultHttpContext ExceptionContext(TestServer server, string path, Exception error)
    {
        var endpoint = server.Services.GetServices<EndpointDataSource>().SelectMany(s => s.Endpoints).OfType<RouteEndpoint>()
            .First(e => e.RoutePattern.RawText?.Trim('/') == path.Trim('/') && e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods.Contains("POST") == true);
        var http = new DefaultHttpContext { RequestServices = server.Services };
        http.Request.Method = "POST";
        http.Request.Path = path;
        http.Response.Body = new MemoryStream();
        http.Features.Set<IExceptionHandlerFeature>(new ExceptionHandlerFeature { Error = error, Endpoint = endpoint, Path = path });
        return http;
    }

    private static (string? MediaType, string Body) Written(DefaultHttpContext http)
    {
        http.Response.Body.Position = 0;
        return (http.Response.ContentType?.Split(';')[0], new StreamReader(http.Response.Body).ReadToEnd());
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
