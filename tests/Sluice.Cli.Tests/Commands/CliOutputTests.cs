using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Sluice.Cli.Commands;
using Sluice.Testing.Server;

namespace Sluice.Cli.Tests.Commands;

/// <summary>How a refusal that is not a problem document (a proxy's page, an empty answer) is printed.</summary>
public sealed class CliOutputTests
{
    [Theory]
    [InlineData("/v1/models", "error 502: Bad Gateway")]
    [InlineData("/v1/jobs/j1", "error 401: Unauthorized (pass --api-key KEY or set SLUICE_API_KEY)")]
    [InlineData("/v1/jobs/j2", "error 503: Service Unavailable: upstream connect error")]
    [InlineData("/v1/jobs/j3", "error 403: Forbidden [id]")]
    public async Task Print_RefusalWithoutProblemDetail_OneLineWithTheStatus(string path, string expected)
    {
        await using var server = await KestrelTestServer.StartAsync(app =>
        {
            app.MapGet("/v1/models", () => Results.Content("<html>\n<body>Bad gateway</body>\n</html>\n", "text/html", statusCode: 502));
            app.MapGet("/v1/jobs/j1", () => Results.StatusCode(401));
            app.MapGet("/v1/jobs/j2", () => Results.Text("upstream connect error\nreset reason: overflow", "text/plain", statusCode: 503));
            app.MapGet("/v1/jobs/j3", () => Results.Problem(statusCode: 403, extensions: new Dictionary<string, object?> { ["field"] = "id" }));
        });
        var output = new StringWriter();
        var error = new StringWriter();

        string[] args = path == "/v1/models" ? ["models"] : ["jobs", "get", path[9..]];
        var code = await CliRunner.RunAsync([.. args, "--url", server.BaseUri.ToString()], output, error);

        Assert.Equal(1, code);
        Assert.Equal(expected, error.ToString().TrimEnd('\r', '\n'));
        Assert.Equal("", output.ToString());
    }

    [Theory]
    [InlineData("models")]
    [InlineData("submit", "echo")]
    [InlineData("models", "--status")]
    public async Task Command_UrlIsNotASluiceServer_OneErrorLineNamingTheUrl(string command, string? extra = null)
    {
        // --status selects the JSON service variant: JSON, but not a model list.
        var json = extra == "--status";
        await using var server = await KestrelTestServer.StartAsync(app =>
        {
            app.MapGet("/v1/models", () => json ? Results.Json(new { status = "ok" }) : Results.Content("<html><body>Welcome to nginx</body></html>", "text/html"));
            app.MapPost("/v1/jobs", () => Results.Content("<html><body>Welcome to nginx</body></html>", "text/html"));
        });
        var output = new StringWriter();
        var error = new StringWriter();

        string[] args = extra is null or "--status" ? [command] : [command, extra];
        var code = await CliRunner.RunAsync([.. args, "--url", server.BaseUri.ToString()], output, error);

        Assert.Equal(1, code);
        var line = Assert.Single(error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: " + server.BaseUri, line, StringComparison.Ordinal);
        Assert.EndsWith("that is not a Sluice answer; is --url a Sluice server?", line.TrimEnd(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Models_ServerWantsAKey_ProblemLineSaysHowToGiveOne()
    {
        await using var server = await KestrelTestServer.StartAsync(app => app.MapGet("/v1/models", () => Results.Problem(statusCode: 401,
            title: "Unauthorized", detail: "send an API key as 'Authorization: Bearer KEY' or 'X-Api-Key'",
            extensions: new Dictionary<string, object?> { ["field"] = "Authorization" })));
        var output = new StringWriter();
        var error = new StringWriter();

        var code = await CliRunner.RunAsync(["models", "--url", server.BaseUri.ToString()], output, error);

        Assert.Equal(1, code);
        Assert.Equal("error 401: Unauthorized [Authorization]: send an API key as 'Authorization: Bearer KEY' or 'X-Api-Key' (pass --api-key KEY or set SLUICE_API_KEY)",
            error.ToString().TrimEnd('\r', '\n'));
    }
}
