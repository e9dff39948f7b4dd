using System.Net.Http.Headers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Sluice.Core.Storage;
using Sluice.Server.Tests.Infrastructure;
using Sluice.Sqlite;

namespace Sluice.Server.Tests.Http;

/// <summary>Every answer over real HTTP carries the security headers, the API's and its errors as well as the page's.</summary>
public sealed class SecurityHeadersMiddlewareTests : IAsyncLifetime
{
    private TestServer _server = null!;

    public async Task InitializeAsync() => _server = await TestServer.StartAsync(new Dictionary<string, string>
    {
        ["Sluice:Auth:Keys:0:Id"] = "tester",
        ["Sluice:Auth:Keys:0:Key"] = "good-key",
    });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Theory]
    [InlineData("GET", "/v1/models", "good-key", 200)]
    [InlineData("GET", "/v1/models", null, 401)]
    [InlineData("GET", "/v1/jobs/job_00000000000000000000000000", "good-key", 404)]
    [InlineData("GET", "/no/such/route", null, 404)]
    [InlineData("PUT", "/v1/jobs", "good-key", 405)]
    [InlineData("POST", "/v1/jobs", "good-key", 415)]
    [InlineData("GET", "/openapi/v1.json", null, 200)]
    [InlineData("GET", "/metrics", null, 200)]
    [InlineData("GET", "/health/ready", null, 200)]
    public async Task Answer_AnyEndpoint_NoSniffNoReferrerAndNoFraming(string method, string path, string? key, int status)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        if (method == "POST")
        {
            request.Content = new StringContent("{}", System.Text.Encoding.UTF8, "text/plain");
        }

        using var response = await _server.Client.SendAsync(request);

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("nosniff", string.Join(",", response.Headers.GetValues("X-Content-Type-Options")));
        Assert.Equal("no-referrer", string.Join(",", response.Headers.GetValues("Referrer-Policy")));
        Assert.Equal("default-src 'none'; frame-ancestors 'none'", string.Join(";", response.Headers.GetValues("Content-Security-Policy")));
    }

    [Fact]
    public async Task Answer_RewrittenByTheExceptionHandler_KeepsTheHeaders()
    {
        // The store outage's 503 is written by the exception handler, which clears the headers set so far.
        await using var server = await TestServer.StartAsync(configureServices: services =>
        {
            services.AddSingleton(sp => new OutageJobStore(sp.GetRequiredService<SqliteJobStore>()));
            services.Replace(ServiceDescriptor.Singleton<IJobStore>(sp => sp.GetRequiredService<OutageJobStore>()));
        });
        server.Services.GetRequiredService<OutageJobStore>().Down = true;

        using var response = await server.Client.GetAsync("/v1/jobs/job_00000000000000000000000000");

        Assert.Equal(503, (int)response.StatusCode);
        Assert.Equal("nosniff", string.Join(",", response.Headers.GetValues("X-Content-Type-Options")));
        Assert.Equal("no-referrer", string.Join(",", response.Headers.GetValues("Referrer-Policy")));
        Assert.Equal("default-src 'none'; frame-ancestors 'none'", string.Join(";", response.Headers.GetValues("Content-Security-Policy")));
    }

    [Fact]
    public async Task Answer_EssayPage_KeepsItsOwnPolicyOnce()
    {
        using var response = await _server.Client.GetAsync("/ui/essays");

        var csp = Assert.Single(response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("script-src 'self'", csp, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
        Assert.Equal("no-referrer", Assert.Single(response.Headers.GetValues("Referrer-Policy")));
    }
}
