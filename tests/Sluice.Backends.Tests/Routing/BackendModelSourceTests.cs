using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Sluice.Backends.Tests.Infrastructure;

namespace Sluice.Backends.Tests.Routing;

/// <summary>A backend model's version, which the result cache keys on, over real HTTP and a real SQLite file kept across a restart.</summary>
public sealed class BackendModelSourceTests
{
    private const string Greedy = """{"model":"remote","messages":[{"role":"user","content":"Say hello"}],"max_tokens":8,"temperature":0}""";

    [Theory]
    [InlineData("BaseUrl")]
    [InlineData("Api")]
    public async Task ResultCache_BackendReconfiguredAcrossRestart_AnswersFromTheNewUpstream(string changed)
    {
        await using var before = await StartUpstreamAsync("before");
        await using var after = await StartUpstreamAsync("after");
        var dataDir = Path.Combine(Path.GetTempPath(), "sluice-test-" + Guid.NewGuid().ToString("N"));

        var first = await SluiceServer.StartAsync(Settings.Backend("remote", "openai", before.Url + "/v1", ("UpstreamModel", "upstream-model")), dataDir);
        var (r1, answer1) = await first.PostAsync("/v1/chat/completions", Greedy);
        await first.StopKeepingDataAsync();

        // The same backend name and upstream model name, but another server or another API: other weights may answer.
        var moved = changed == "BaseUrl"
            ? Settings.Backend("remote", "openai", after.Url + "/v1", ("UpstreamModel", "upstream-model"))
            : Settings.Backend("remote", "openai", before.Url + "/v1", ("UpstreamModel", "upstream-model"), ("Api", "completions"));
        await using var second = await SluiceServer.StartAsync(moved, dataDir);
        var (r2, answer2) = await second.PostAsync("/v1/chat/completions", Greedy);

        Assert.Equal(HttpStatusCode.OK, r1.StatusCode);
        Assert.Equal("before", Content(answer1));
        Assert.Equal(HttpStatusCode.OK, r2.StatusCode);
        Assert.Equal(changed == "BaseUrl" ? "after" : "before-completions", Content(answer2));
    }

    [Fact]
    public async Task ResultCache_SameBackendAcrossRestart_AnswersFromTheCache()
    {
        await using var upstream = await StartUpstreamAsync("once");
        var dataDir = Path.Combine(Path.GetTempPath(), "sluice-test-" + Guid.NewGuid().ToString("N"));
        var settings = Settings.Backend("remote", "openai", upstream.Url + "/v1", ("UpstreamModel", "upstream-model"));

        var first = await SluiceServer.StartAsync(settings, dataDir);
        await first.PostAsync("/v1/chat/completions", Greedy);
        await first.StopKeepingDataAsync();
        await using var second = await SluiceServer.StartAsync(settings, dataDir);
        var (r, answer) = await second.PostAsync("/v1/chat/completions", Greedy);

        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal("once", Content(answer));
        Assert.Equal(1, upstream.Hits("/v1/chat/completions"));
    }

    private static Task<FakeUpstream> StartUpstreamAsync(string text) => FakeUpstream.StartAsync(app =>
    {
        app.MapGet("/v1/models", FakeOpenAi.ModelsAsync);
        app.MapPost("/v1/chat/completions", ctx => FakeOpenAi.StreamAsync(ctx, [text]));
        app.MapPost("/v1/completions", ctx => FakeOpenAi.StreamAsync(ctx, [text + "-completions"]));
    });

    private static string? Content(JsonElement completion) =>
        completion.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString();
}
