using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Sluice.Backends.Tests.Infrastructure;

namespace Sluice.Backends.Tests.Ollama;

/// <summary>The <c>ollama</c> backend against a fake Ollama that streams NDJSON from /api/chat and /api/generate.</summary>
public sealed class OllamaBackendTests
{
    private static async Task StreamAsync(HttpContext ctx, string field, string[] pieces, int delayMs = 20)
    {
        ctx.Response.ContentType = "application/x-ndjson";
        foreach (var piece in pieces)
        {
            var line = field == "message"
                ? JsonSerializer.Serialize(new { model = "llama3.2:1b", created_at = "2026-01-01T00:00:00Z", message = new { role = "assistant", content = piece }, done = false })
                : JsonSerializer.Serialize(new { model = "llama3.2:1b", created_at = "2026-01-01T00:00:00Z", response = piece, done = false });
            await FakeUpstream.WriteLineAsync(ctx.Response, line);
            await Task.Delay(delayMs, ctx.RequestAborted);
        }

        await FakeUpstream.WriteLineAsync(ctx.Response, JsonSerializer.Serialize(new { model = "llama3.2:1b", done = true, done_reason = "stop", prompt_eval_count = 11, eval_count = pieces.Length }));
    }

    private static Task TagsAsync(HttpContext ctx) => ctx.Response.WriteAsJsonAsync(new
    {
        models = new[] { new { name = "llama3.2:1b", model = "llama3.2:1b", size = 1 }, new { name = "qwen2.5-coder:latest", model = "qwen2.5-coder:latest", size = 1 } },
    });

    [Fact]
    public async Task OllamaBackend_ChatStreamsNdjson_DeltasInOrderWithUpstreamUsage()
    {
        await using var upstream = await FakeUpstream.StartAsync(app =>
        {
            app.MapGet("/api/tags", TagsAsync);
            app.MapPost("/api/chat", ctx => StreamAsync(ctx, "message", ["Why", " the", " sky", " is", " blue"]));
        });
        await using var server = await SluiceServer.StartAsync(Settings.Backend("llama", "ollama", upstream.Url, ("UpstreamModel", "llama3.2:1b")));

        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = SluiceServer.Json("""{"model":"llama","messages":[{"role":"user","content":"Why is the sky blue?"}],"max_tokens":50,"temperature":0.2,"stop":["\n\n"],"stream":true,"stream_options":{"include_usage":true}}"""),
        };
        using var response = await server.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var payloads = await OpenAiSse.ReadAllAsync(response);

        Assert.Equal("Why the sky is blue", OpenAiSse.Text(payloads));
        using var usage = JsonDocument.Parse(payloads[^2]);
        Assert.Equal(11, usage.RootElement.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(5, usage.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.True(upstream.Bodies.TryDequeue(out var body));
        using var sent = JsonDocument.Parse(body!);
        Assert.Equal("llama3.2:1b", sent.RootElement.GetProperty("model").GetString());
        Assert.True(sent.RootElement.GetProperty("stream").GetBoolean());
        Assert.Equal(50, sent.RootElement.GetProperty("options").GetProperty("num_predict").GetInt32());
        Assert.Equal("\n\n", sent.RootElement.GetProperty("options").GetProperty("stop")[0].GetString());
        Assert.Equal("user", sent.RootElement.GetProperty("messages")[0].GetProperty("role").GetString());
        var model = await Jobs.ModelAsync(server, "llama");
        Assert.Equal("healthy", model.GetProperty("metadata").GetProperty("health").GetString());
    }

    [Fact]
    public async Task OllamaBackend_Discover_RegistersEveryTagAndGeneratesFromPrompt()
    {
        await using var upstream = await FakeUpstream.StartAsync(app =>
        {
            app.MapGet("/api/tags", TagsAsync);
            app.MapPost("/api/generate", ctx => StreamAsync(ctx, "response", ["def", " add", "(a, b):"]));
        });
        await using var server = await SluiceServer.StartAsync(Settings.Backend("ollama", "ollama", upstream.Url, ("Discover", true)));

        var list = await server.GetJsonAsync("/v1/models");
        var ids = list.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()).ToList();
        Assert.Contains("ollama.llama3.2-1b", ids);
        Assert.Contains("ollama.qwen2.5-coder", ids);

        var (response, body) = await server.PostAsync("/v1/completions", """{"model":"ollama.qwen2.5-coder","prompt":"# add two numbers\n","max_tokens":16}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("def add(a, b):", body.GetProperty("choices")[0].GetProperty("text").GetString());
        Assert.True(upstream.Bodies.TryDequeue(out var sent));
        Assert.Contains("\"model\":\"qwen2.5-coder:latest\"", sent);
        Assert.Contains("\"prompt\":", sent);
    }

    [Fact]
    public async Task OllamaBackend_ModelNotPulled_UnhealthyWithReason()
    {
        await using var upstream = await FakeUpstream.StartAsync(app => app.MapGet("/api/tags", TagsAsync));
        await using var server = await SluiceServer.StartAsync(Settings.Backend("mistral", "ollama", upstream.Url));

        var model = await Jobs.ModelAsync(server, "mistral");

        Assert.Equal("unhealthy", model.GetProperty("metadata").GetProperty("health").GetString());
        Assert.Contains("ollama pull mistral", model.GetProperty("metadata").GetProperty("health_error").GetString());
    }

    [Fact]
    public async Task OllamaBackend_TagRepulledWithOtherWeights_CacheKeysOnTheNewDigestAndAsksAgain()
    {
        // `ollama pull llama3.2:1b` after the tag moved serves other weights under the same name and address.
        var digest = new string('a', 64);
        var reply = "first";
        await using var upstream = await FakeUpstream.StartAsync(app =>
        {
            app.MapGet("/api/tags", ctx => ctx.Response.WriteAsJsonAsync(new { models = new[] { new { name = "llama3.2:1b", model = "llama3.2:1b", size = 1, digest = Volatile.Read(ref digest) } } }));
            app.MapPost("/api/generate", ctx => StreamAsync(ctx, "response", [Volatile.Read(ref reply)], delayMs: 0));
        });
        await using var server = await SluiceServer.StartAsync(Settings.Backend("llama", "ollama", upstream.Url, ("UpstreamModel", "llama3.2:1b"), ("HealthProbeIntervalSeconds", 0.1)));
        const string input = """{"prompt":"Say hi","max_tokens":8,"temperature":0}""";

        await Jobs.WaitMetadataAsync(server, "llama", "revision", digest, TimeSpan.FromSeconds(10));
        var first = await Jobs.RunAsync(server, "llama", input);
        var repeat = await Jobs.RunAsync(server, "llama", input);
        Volatile.Write(ref reply, "second");
        Volatile.Write(ref digest, new string('b', 64));
        await Jobs.WaitMetadataAsync(server, "llama", "revision", digest, TimeSpan.FromSeconds(10));
        var afterPull = await Jobs.RunAsync(server, "llama", input);

        Assert.Equal("first", first.GetProperty("result").GetProperty("text").GetString());
        Assert.True(repeat.GetProperty("cached").GetBoolean());
        Assert.Equal("second", afterPull.GetProperty("result").GetProperty("text").GetString());
        Assert.False(afterPull.GetProperty("cached").GetBoolean());
        Assert.Equal(2, upstream.Hits("/api/generate"));
    }
}
