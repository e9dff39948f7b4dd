using System.Text.Json;
using Sluice.OpenAi.Tests.Infrastructure;

namespace Sluice.OpenAi.Tests.Sdk;

/// <summary>The official openai npm package drives Sluice on loopback, against the engine's local model.</summary>
public sealed class OpenAiNodeSdkTests
{
    [OpenAiSdkFact]
    public async Task NodeSdk_ChatCompletionsModelsAndErrors_WellFormedAndStreamMatchesGreedy()
    {
        await using var server = await SluiceServer.StartAsync(SluiceServer.LocalModel(new Dictionary<string, string>
        {
            ["Sluice:Auth:Keys:0:Id"] = "sdk",
            ["Sluice:Auth:Keys:0:Key"] = "sk-sdk-test",
        }));

        var stdout = await NodeTools.RunAsync(Path.Combine(AppContext.BaseDirectory, "Sdk", "openai-sdk-check.cjs"), new Dictionary<string, string>
        {
            ["SLUICE_URL"] = server.BaseAddress.ToString().TrimEnd('/'),
            ["SLUICE_KEY"] = "sk-sdk-test",
            ["SLUICE_MODEL"] = "stories260k",
            ["SLUICE_TOOLS"] = NodeTools.ToolsDir,
        }, TimeSpan.FromMinutes(2));
        using var doc = JsonDocument.Parse(stdout.Trim().Split('\n')[^1]);
        var r = doc.RootElement;

        Assert.Contains("stories260k", r.GetProperty("models").EnumerateArray().Select(m => m.GetString()));

        var chat = r.GetProperty("chat");
        Assert.Equal("chat.completion", chat.GetProperty("object").GetString());
        Assert.Equal("assistant", chat.GetProperty("role").GetString());
        Assert.False(string.IsNullOrEmpty(chat.GetProperty("text").GetString()));
        Assert.True(chat.GetProperty("usage").GetProperty("completion_tokens").GetInt32() > 0);

        // Greedy on the local model: the streamed text is exactly the non-streamed text.
        var chatStream = r.GetProperty("chatStream");
        Assert.Equal(chat.GetProperty("text").GetString(), chatStream.GetProperty("text").GetString());
        Assert.True(chatStream.GetProperty("chunks").GetInt32() > 2);
        Assert.Equal(chat.GetProperty("finish").GetString(), chatStream.GetProperty("finish").GetString());
        Assert.Equal(chat.GetProperty("usage").GetProperty("completion_tokens").GetInt32(), chatStream.GetProperty("usage").GetProperty("completion_tokens").GetInt32());

        var completion = r.GetProperty("completion");
        Assert.Equal("text_completion", completion.GetProperty("object").GetString());
        Assert.False(string.IsNullOrEmpty(completion.GetProperty("text").GetString()));
        Assert.Equal(completion.GetProperty("text").GetString(), r.GetProperty("completionStream").GetProperty("text").GetString());

        var notFound = r.GetProperty("notFound");
        Assert.Equal(404, notFound.GetProperty("status").GetInt32());
        Assert.Equal("model_not_found", notFound.GetProperty("code").GetString());
        Assert.True(notFound.GetProperty("isNotFound").GetBoolean());

        var unauthorized = r.GetProperty("unauthorized");
        Assert.Equal(401, unauthorized.GetProperty("status").GetInt32());
        Assert.True(unauthorized.GetProperty("isAuth").GetBoolean());
    }
}
