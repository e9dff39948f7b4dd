using System.Net;
using System.Text.Json;
using Sluice.OpenAi.Tests.Infrastructure;
using Sluice.Testing;

namespace Sluice.OpenAi.Tests.Apis;

/// <summary>The OpenAI endpoints on the engine's local model (stories260K): the embedded default.</summary>
public sealed class ChatCompletionsLocalModelTests
{
    private const string Model = "stories260k";

    [SharedDataFact("models/stories260K.bin")]
    public async Task ChatCompletions_GreedyOnLocalModel_ReturnsCompletionWithUsage()
    {
        await using var server = await SluiceServer.StartAsync(SluiceServer.LocalModel());

        var (response, body) = await server.PostAsync("/v1/chat/completions",
            $$"""{"model":"{{Model}}","messages":[{"role":"system","content":"You tell stories."},{"role":"user","content":"Tell me about a cat."}],"max_tokens":40,"temperature":0}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("chat.completion", body.GetProperty("object").GetString());
        Assert.StartsWith("chatcmpl-", body.GetProperty("id").GetString());
        Assert.Equal(Model, body.GetProperty("model").GetString());
        var choice = body.GetProperty("choices")[0];
        Assert.Equal("assistant", choice.GetProperty("message").GetProperty("role").GetString());
        Assert.False(string.IsNullOrEmpty(choice.GetProperty("message").GetProperty("content").GetString()));
        Assert.Contains(choice.GetProperty("finish_reason").GetString(), new[] { "stop", "length" });
        var usage = body.GetProperty("usage");
        Assert.True(usage.GetProperty("prompt_tokens").GetInt32() > 5);
        Assert.InRange(usage.GetProperty("completion_tokens").GetInt32(), 1, 40);
        Assert.Equal(usage.GetProperty("prompt_tokens").GetInt32() + usage.GetProperty("completion_tokens").GetInt32(), usage.GetProperty("total_tokens").GetInt32());
        Assert.True(response.Headers.Contains("X-Sluice-Job-Id"));
    }

    [SharedDataFact("models/stories260K.bin")]
    public async Task ChatCompletions_StreamGreedy_StreamedTextEqualsNonStreamedText()
    {
        await using var server = await SluiceServer.StartAsync(SluiceServer.LocalModel());
        const string request = "\"model\":\"stories260k\",\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a time\"}],\"max_tokens\":48,\"temperature\":0";

        var (plain, body) = await server.PostAsync("/v1/chat/completions", "{" + request + "}");
        Assert.Equal(HttpStatusCode.OK, plain.StatusCode);
        var expected = body.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString();

        using var streamRequest = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = SluiceServer.Json("{" + request + ",\"stream\":true,\"stream_options\":{\"include_usage\":true}}"),
        };
        using var streamed = await server.Client.SendAsync(streamRequest, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, streamed.StatusCode);
        Assert.Equal("text/event-stream", streamed.Content.Headers.ContentType!.MediaType);
        var payloads = await OpenAiSse.ReadAllAsync(streamed);

        Assert.Equal("[DONE]", payloads[^1]);
        Assert.Equal(expected, OpenAiSse.Text(payloads));
        using (var first = JsonDocument.Parse(payloads[0]))
        {
            Assert.Equal("chat.completion.chunk", first.RootElement.GetProperty("object").GetString());
            Assert.Equal("assistant", first.RootElement.GetProperty("choices")[0].GetProperty("delta").GetProperty("role").GetString());
        }

        using (var usage = JsonDocument.Parse(payloads[^2]))
        {
            Assert.Equal(0, usage.RootElement.GetProperty("choices").GetArrayLength());
            Assert.Equal(body.GetProperty("usage").GetProperty("completion_tokens").GetInt32(), usage.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        }

        using (var finish = JsonDocument.Parse(payloads[^3]))
        {
            Assert.Equal(body.GetProperty("choices")[0].GetProperty("finish_reason").GetString(), finish.RootElement.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        }
    }

    [SharedDataFact("models/stories260K.bin")]
    public async Task Completions_PromptStreamedAndNot_SameText()
    {
        await using var server = await SluiceServer.StartAsync(SluiceServer.LocalModel());
        const string request = "\"model\":\"stories260k\",\"prompt\":\"Lily and Ben went to the park.\",\"max_tokens\":32,\"temperature\":0,\"stop\":[\"\\n\\n\"]";

        var (plain, body) = await server.PostAsync("/v1/completions", "{" + request + "}");
        Assert.Equal(HttpStatusCode.OK, plain.StatusCode);
        Assert.Equal("text_completion", body.GetProperty("object").GetString());
        var expected = body.GetProperty("choices")[0].GetProperty("text").GetString();
        Assert.False(string.IsNullOrEmpty(expected));
        Assert.DoesNotContain("\n\n", expected);

        using var streamRequest = new HttpRequestMessage(HttpMethod.Post, "/v1/completions") { Content = SluiceServer.Json("{" + request + ",\"stream\":true}") };
        using var streamed = await server.Client.SendAsync(streamRequest, HttpCompletionOption.ResponseHeadersRead);
        var payloads = await OpenAiSse.ReadAllAsync(streamed);

        Assert.Equal(expected, OpenAiSse.Text(payloads));
        Assert.Equal("[DONE]", payloads[^1]);
    }

    [SharedDataFact("models/stories260K.bin")]
    public async Task Models_List_IncludesLocalModelInOpenAiShape()
    {
        await using var server = await SluiceServer.StartAsync(SluiceServer.LocalModel());

        var list = await server.GetJsonAsync("/v1/models");

        Assert.Equal("list", list.GetProperty("object").GetString());
        var found = false;
        foreach (var m in list.GetProperty("data").EnumerateArray())
        {
            Assert.Equal("model", m.GetProperty("object").GetString());
            Assert.Equal(JsonValueKind.Number, m.GetProperty("created").ValueKind);
            Assert.False(string.IsNullOrEmpty(m.GetProperty("owned_by").GetString()));
            found |= m.GetProperty("id").GetString() == Model;
        }

        Assert.True(found);
    }
}
