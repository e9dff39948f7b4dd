using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Sluice.Backends.Tests.Infrastructure;
using Sluice.Testing;

namespace Sluice.Backends.Tests.OpenAi;

/// <summary>A task runs on a configured backend: the rendered template reaches the upstream as chat messages.</summary>
public sealed class TaskOnBackendTests
{
    [Fact]
    public async Task Codegen_OnOpenAiBackend_UpstreamGetsRenderedTemplateAndJobHasItsText()
    {
        await using var upstream = await FakeUpstream.StartAsync(app =>
        {
            app.MapGet("/v1/models", FakeOpenAi.ModelsAsync);
            app.MapPost("/v1/chat/completions", ctx => FakeOpenAi.StreamAsync(ctx, ["```go\n", "func Add(a, b int) int { return a + b }\n", "```"]));
        });
        await using var server = await SluiceServer.StartAsync(Settings.Backend("coder", "openai", upstream.Url + "/v1", ("UpstreamModel", "code-model")));

        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/tasks/codegen")
        {
            Content = SluiceServer.Json("""{"input":{"language":"go","instruction":"add two ints","context":"package calc"},"lane":"interactive"}"""),
        };
        request.Headers.Add("Prefer", "wait=30");
        using var response = await server.Client.SendAsync(request);
        var job = await SluiceServer.ReadJsonAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("coder", response.Headers.GetValues("X-Sluice-Model").Single());
        Assert.Equal("high", job.GetProperty("priority").GetString());
        Assert.Contains("func Add", job.GetProperty("result").GetProperty("text").GetString());
        Assert.True(upstream.Bodies.TryDequeue(out var body));
        using var sent = JsonDocument.Parse(body!);
        var messages = sent.RootElement.GetProperty("messages");
        Assert.Equal("system", messages[0].GetProperty("role").GetString());
        Assert.Contains("go engineer", messages[0].GetProperty("content").GetString());
        Assert.Contains("package calc", messages[1].GetProperty("content").GetString());
        Assert.Contains("add two ints", messages[1].GetProperty("content").GetString());
        Assert.Equal(0, sent.RootElement.GetProperty("temperature").GetDouble());
    }

    [SharedDataFact("models/stories260K.bin")]
    public async Task DefaultTaskModel_BackendUnavailable_PrefersReadyLocalModel()
    {
        var up = true;
        await using var upstream = await FakeUpstream.StartAsync(app =>
        {
            app.MapGet("/v1/models", FakeOpenAi.ModelsWhile(() => Volatile.Read(ref up)));
        });
        await using var server = await SluiceServer.StartAsync(SluiceServer.LocalModel(Settings.Backend("remote", "openai", upstream.Url + "/v1", ("HealthProbeIntervalSeconds", 0.2))));
        await server.WaitReadyAsync();
        Assert.Equal("remote", await DefaultModelAsync(server, "blog-outline"));

        Volatile.Write(ref up, false);
        await Jobs.WaitHealthAsync(server, "remote", "unhealthy", TimeSpan.FromSeconds(30));

        Assert.Equal("stories260k", await DefaultModelAsync(server, "blog-outline"));
    }

    [SharedDataFact("models/stories260K.bin")]
    public async Task DefaultTaskModel_ProbePassesButGenerationsOpenedCircuit_PrefersReadyLocalModelUntilTrialDecides()
    {
        await using var upstream = await FakeUpstream.StartAsync(app =>
        {
            app.MapGet("/v1/models", FakeOpenAi.ModelsAsync);
            app.MapPost("/v1/chat/completions", FakeOpenAi.Failing("generation broke"));
        });
        // Probed once at start (it passes); the circuit is opened by generations that fail.
        await using var server = await SluiceServer.StartAsync(SluiceServer.LocalModel(Settings.Backend("remote", "openai", upstream.Url + "/v1",
            ("MaxRetries", 0), ("BreakerMinimumThroughput", 2), ("BreakerCooldownSeconds", 1), ("HealthProbeIntervalSeconds", 0))));
        await server.WaitReadyAsync();
        Assert.Equal("remote", await DefaultModelAsync(server, "blog-outline"));

        await Jobs.RunAsync(server, "remote", """{"prompt":"a"}""");
        await Jobs.RunAsync(server, "remote", """{"prompt":"b"}""");
        await Jobs.WaitHealthAsync(server, "remote", "half_open", TimeSpan.FromSeconds(30));

        // Past the cooldown the backend is available for a trial call, but a task that names no model goes to the local one.
        Assert.Equal("stories260k", await DefaultModelAsync(server, "blog-outline"));
    }

    private static async Task<string?> DefaultModelAsync(SluiceServer server, string task) =>
        (await server.GetJsonAsync("/v1/tasks/" + task)).GetProperty("model").GetString();
}
