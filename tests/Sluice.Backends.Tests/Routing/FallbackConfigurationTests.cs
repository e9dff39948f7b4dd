using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sluice.Backends.Routing;
using Sluice.Backends.Tests.Infrastructure;
using Sluice.Core.Scheduling;
using Sluice.Testing;

namespace Sluice.Backends.Tests.Routing;

/// <summary>Fallbacks and backend names that cannot work as configured: never routed to, and reported at start.</summary>
public sealed class FallbackConfigurationTests
{
    [Fact]
    public async Task Resolve_FallbackNamesNoModel_PrimaryAnswersWithItsOwnErrorAndStartWarns()
    {
        await using var upstream = await DownUpstreamAsync();
        var logs = new RecordingLoggerProvider();
        await using var server = await SluiceServer.StartAsync(
            Settings.Backend("remote", "openai", upstream.Url + "/v1", ("MaxRetries", 0), ("HealthProbeIntervalSeconds", 0.2), ("Fallback", "nope")),
            configureServices: s => s.AddSingleton<ILoggerProvider>(logs));
        await Jobs.WaitHealthAsync(server, "remote", "unhealthy", TimeSpan.FromSeconds(30));

        var (response, body) = await server.PostAsync("/v1/chat/completions", Chat("remote"));

        Assert.NotEqual(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("remote", response.Headers.GetValues("X-Sluice-Model").Single());
        Assert.Contains("upstream answered 500", body.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal(1, upstream.Hits("/v1/chat/completions"));
        var problem = Assert.Single(server.Services.GetRequiredService<FallbackRouter>().ConfigurationProblems());
        Assert.StartsWith("Sluice:Backends:remote:Fallback = 'nope' names no registered model", problem);
        Assert.Contains("Configuration problem: " + problem, logs.Warnings);
    }

    [Fact]
    public async Task Resolve_FallbacksLoopAndAllDown_StaysOnModelAskedFor()
    {
        await using var upstream = await DownUpstreamAsync();
        var settings = new Dictionary<string, string>();
        foreach (var (name, fallback) in new[] { ("x", "y"), ("y", "z"), ("z", "x") })
        {
            foreach (var (k, v) in Settings.Backend(name, "openai", upstream.Url + "/v1", ("MaxRetries", 0), ("HealthProbeIntervalSeconds", 0.2), ("Fallback", fallback)))
            {
                settings[k] = v;
            }
        }

        await using var server = await SluiceServer.StartAsync(settings);
        foreach (var name in new[] { "x", "y", "z" })
        {
            await Jobs.WaitHealthAsync(server, name, "unhealthy", TimeSpan.FromSeconds(30));
        }

        var (response, _) = await server.PostAsync("/v1/chat/completions", Chat("x"));

        Assert.Equal("x", response.Headers.GetValues("X-Sluice-Model").Single());
        Assert.False(response.Headers.Contains("X-Sluice-Fallback"));
        var problem = Assert.Single(server.Services.GetRequiredService<FallbackRouter>().ConfigurationProblems());
        Assert.Contains("loop (x → y → z → x)", problem);
    }

    [Fact]
    public async Task ModelRegistry_BackendNamedLikeBuiltIn_CollisionReportedAndBuiltInKept()
    {
        await using var upstream = await DownUpstreamAsync();
        await using var server = await SluiceServer.StartAsync(Settings.Backend("echo", "openai", upstream.Url + "/v1", ("HealthProbeIntervalSeconds", 0)));

        var collision = Assert.Single(server.Services.GetRequiredService<ModelRegistry>().Collisions);
        Assert.Contains("model 'echo' is offered by the builtin source and the backend source", collision);
        var model = await Jobs.ModelAsync(server, "echo");
        Assert.False(model.TryGetProperty("metadata", out var md) && md.TryGetProperty("health", out _));
    }

    private static string Chat(string model) => $$"""{"model":"{{model}}","messages":[{"role":"user","content":"x"}],"max_tokens":2}""";

    /// <summary>An upstream whose probes fail (503) and whose generations fail (500).</summary>
    private static Task<FakeUpstream> DownUpstreamAsync() => FakeUpstream.StartAsync(app =>
    {
        app.MapGet("/v1/models", ctx =>
        {
            ctx.Response.StatusCode = 503;
            return Task.CompletedTask;
        });
        app.MapPost("/v1/chat/completions", async ctx =>
        {
            ctx.Response.StatusCode = 500;
            await ctx.Response.WriteAsync("boom");
        });
    });
}
