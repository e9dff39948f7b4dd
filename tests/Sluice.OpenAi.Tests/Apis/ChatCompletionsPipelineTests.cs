using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Sluice.Core.Jobs;
using Sluice.Core.Storage;
using Sluice.OpenAi.Tests.Infrastructure;

namespace Sluice.OpenAi.Tests.Apis;

/// <summary>
/// The OpenAI endpoints through the core's pipeline, on the built-in <c>count</c> model (it streams "1 2 3 …", one
/// token per step of a configurable length): errors, limits, cache, priorities, deadlines and disconnects.
/// </summary>
public sealed class ChatCompletionsPipelineTests
{
    private static string Chat(int maxTokens, string extra = "") =>
        $$"""{"model":"count","messages":[{"role":"user","content":"count"}],"max_tokens":{{maxTokens}},"temperature":0{{extra}}}""";

    [Fact]
    public async Task ChatCompletions_CountModel_ReturnsTextAndUsage()
    {
        await using var server = await SluiceServer.StartAsync(new Dictionary<string, string> { ["Sluice:BuiltIns:CountStepMs"] = "1" });

        var (response, body) = await server.PostAsync("/v1/chat/completions", Chat(5));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("1 2 3 4 5", body.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
        Assert.Equal("length", body.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.Equal(5, body.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Fact]
    public async Task ChatCompletions_StreamIdleLongerThanKeepAlive_SendsCommentsAndStillTheWholeText()
    {
        await using var server = await SluiceServer.StartAsync(new Dictionary<string, string>
        {
            ["Sluice:BuiltIns:CountStepMs"] = "1300",
            ["Sluice:Http:KeepAliveSeconds"] = "1",
        });
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = SluiceServer.Json(Chat(2, ",\"stream\":true").Replace("\"temperature\":0,", "\"temperature\":0.5,\"seed\":1,", StringComparison.Ordinal)) };

        using var response = await server.Client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        // Two steps of 1.3 s each with a 1 s keep-alive: at least one comment while waiting for a token.
        Assert.Contains(": keep-alive\n\n", body, StringComparison.Ordinal);
        Assert.Contains("\"content\":\"1\"", body, StringComparison.Ordinal);
        Assert.EndsWith("data: [DONE]\n\n", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ChatCompletions_StreamWhoseOutcomeAnotherProcessStored_EndsWithThatOutcome()
    {
        await using var server = await SluiceServer.StartAsync(new Dictionary<string, string> { ["Sluice:BuiltIns:CountStepMs"] = "100" });
        var (response, reader) = await StreamToFirstTokenAsync(server);
        using var owned = response;
        using var ownedReader = reader;
        var id = response.Headers.GetValues("X-Sluice-Job-Id").Single();

        // Cancelled through another gateway while this process runs it: its own outcome then finds the job settled and
        // publishes no terminal event here.
        var settled = await server.Services.GetRequiredService<IJobStore>().CompleteAsync(
            new JobCompletion { JobId = id, Status = JobStatus.Cancelled, Error = "cancelled", CompletedAt = DateTimeOffset.UtcNow, EventsFollowStored = true },
            CancellationToken.None);
        Assert.True(settled);
        var rest = await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(30));

        // An error after the start is the stream's last chunk, as OpenAI sends it.
        Assert.Contains("data: {\"error\":{\"message\":\"cancelled\"", rest, StringComparison.Ordinal);
        Assert.EndsWith("\"code\":\"cancelled\"}}\n\n", rest, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ChatCompletions_StreamWhoseRedeliveredCopyFinishedFirst_SendsTheRestOfItsTextAndDone()
    {
        await using var server = await SluiceServer.StartAsync(new Dictionary<string, string> { ["Sluice:BuiltIns:CountStepMs"] = "100" });
        var (response, reader) = await StreamToFirstTokenAsync(server);
        using var owned = response;
        using var ownedReader = reader;
        var id = response.Headers.GetValues("X-Sluice-Job-Id").Single();

        // Another worker's copy of the (greedy) job stored its whole text first.
        const string whole = "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20";
        Assert.True(await server.Services.GetRequiredService<IJobStore>().CompleteAsync(
            new JobCompletion
            {
                JobId = id,
                Status = JobStatus.Succeeded,
                ResultJson = $$$"""{"text":"{{{whole}}}","finish_reason":"length","usage":{"prompt_tokens":3,"completion_tokens":20}}""",
                CompletedAt = DateTimeOffset.UtcNow,
                EventsFollowStored = true,
            },
            CancellationToken.None));
        var rest = await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(30));

        var text = "1";
        foreach (var line in rest.Split('\n'))
        {
            if (line.StartsWith("data: {", StringComparison.Ordinal))
            {
                using var chunk = JsonDocument.Parse(line[6..]);
                var delta = chunk.RootElement.GetProperty("choices")[0].GetProperty("delta");
                text += delta.TryGetProperty("content", out var c) ? c.GetString() : "";
            }
        }

        Assert.Equal(whole, text);
        Assert.Contains("\"finish_reason\":\"length\"", rest, StringComparison.Ordinal);
        Assert.EndsWith("data: [DONE]\n\n", rest, StringComparison.Ordinal);
    }

    /// <summary>A streamed chat request for 20 tokens of <c>count</c>, read up to its first token ("1"; asserts 200).</summary>
    private static async Task<(HttpResponseMessage Response, StreamReader Reader)> StreamToFirstTokenAsync(SluiceServer server)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = SluiceServer.Json(Chat(20, ",\"stream\":true")) };
        var response = await server.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        while (await reader.ReadLineAsync() is { } line && !line.Contains("\"content\":\"1\"", StringComparison.Ordinal))
        {
        }

        return (response, reader);
    }

    [Theory]
    [InlineData("/v1/chat/completions", "{\"model\":\"count\",\"messages\":[{\"role\":\"user\",\"content\":\"ok\"},{\"role\":\"user\",\"content\":\"nul\\u0000\"}]}", "messages[1].content")]
    [InlineData("/v1/chat/completions", "{\"model\":\"count\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"\\u001b[2J\"}]}]}", "messages[0].content")]
    [InlineData("/v1/completions", "{\"model\":\"count\",\"prompt\":\"back\\u0008space\"}", "prompt")]
    [InlineData("/v1/completions", "{\"model\":\"count\",\"prompt\":[\"\\u007f\"]}", "prompt")]
    public async Task Completions_TextWithControlCharacter_BadRequestNamingTheParam(string path, string body, string param)
    {
        await using var server = await SluiceServer.StartAsync();

        var (response, error) = await server.PostAsync(path, body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(param, error.GetProperty("error").GetProperty("param").GetString());
        Assert.Contains("control character", error.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ChatCompletions_Errors_UseOpenAiShapeAndStatus()
    {
        await using var server = await SluiceServer.StartAsync(new Dictionary<string, string> { ["Sluice:BuiltIns:CountStepMs"] = "1" });

        var (unknown, unknownBody) = await server.PostAsync("/v1/chat/completions", """{"model":"nope","messages":[{"role":"user","content":"x"}]}""");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("model_not_found", unknownBody.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal("invalid_request_error", unknownBody.GetProperty("error").GetProperty("type").GetString());
        Assert.Equal("model", unknownBody.GetProperty("error").GetProperty("param").GetString());

        var (hot, hotBody) = await server.PostAsync("/v1/chat/completions", Chat(3, ",\"temperature\":7").Replace("\"temperature\":0,", "", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.BadRequest, hot.StatusCode);
        Assert.Equal("temperature", hotBody.GetProperty("error").GetProperty("param").GetString());

        var (odd, oddBody) = await server.PostAsync("/v1/chat/completions", Chat(3, ",\"frobnicate\":1"));
        Assert.Equal(HttpStatusCode.BadRequest, odd.StatusCode);
        Assert.Contains("Unrecognized request argument", oddBody.GetProperty("error").GetProperty("message").GetString());

        var (noMessages, noMessagesBody) = await server.PostAsync("/v1/chat/completions", """{"model":"count"}""");
        Assert.Equal(HttpStatusCode.BadRequest, noMessages.StatusCode);
        Assert.Equal("messages", noMessagesBody.GetProperty("error").GetProperty("param").GetString());

        var (badRole, badRoleBody) = await server.PostAsync("/v1/chat/completions", """{"model":"count","messages":[{"role":"wizard","content":"x"}]}""");
        Assert.Equal(HttpStatusCode.BadRequest, badRole.StatusCode);
        Assert.Equal("messages[0].role", badRoleBody.GetProperty("error").GetProperty("param").GetString());

        var (nullMessage, nullMessageBody) = await server.PostAsync("/v1/chat/completions", """{"model":"count","messages":[null]}""");
        Assert.Equal(HttpStatusCode.BadRequest, nullMessage.StatusCode);
        Assert.Equal("messages[0]", nullMessageBody.GetProperty("error").GetProperty("param").GetString());

        var (messageKey, messageKeyBody) = await server.PostAsync("/v1/chat/completions", """{"model":"count","messages":[{"role":"user","content":"x","colour":1}]}""");
        Assert.Equal(HttpStatusCode.BadRequest, messageKey.StatusCode);
        Assert.Equal("messages[0].colour", messageKeyBody.GetProperty("error").GetProperty("param").GetString());

        var (twoLimits, twoLimitsBody) = await server.PostAsync("/v1/chat/completions", Chat(3, ",\"max_completion_tokens\":5"));
        Assert.Equal(HttpStatusCode.BadRequest, twoLimits.StatusCode);
        Assert.Contains("disagree", twoLimitsBody.GetProperty("error").GetProperty("message").GetString());

        var (usage, usageBody) = await server.PostAsync("/v1/chat/completions", Chat(3, ",\"stream\":true,\"stream_options\":{\"include_usage\":\"x\"}"));
        Assert.Equal(HttpStatusCode.BadRequest, usage.StatusCode);
        Assert.Equal("stream_options.include_usage", usageBody.GetProperty("error").GetProperty("param").GetString());
        Assert.Contains("boolean", usageBody.GetProperty("error").GetProperty("message").GetString());

        var (unstreamed, unstreamedBody) = await server.PostAsync("/v1/chat/completions", Chat(3, ",\"stream_options\":{\"include_usage\":true}"));
        Assert.Equal(HttpStatusCode.BadRequest, unstreamed.StatusCode);
        Assert.Equal("stream_options", unstreamedBody.GetProperty("error").GetProperty("param").GetString());
        Assert.Contains("only allowed when stream is true", unstreamedBody.GetProperty("error").GetProperty("message").GetString());

        var (batch, batchBody) = await server.PostAsync("/v1/chat/completions", """{"model":"echo","messages":[{"role":"user","content":"x"}]}""");
        Assert.Equal(HttpStatusCode.BadRequest, batch.StatusCode);
        Assert.Equal("model_not_supported", batchBody.GetProperty("error").GetProperty("code").GetString());

        using var text = new StringContent("hello", System.Text.Encoding.UTF8, "text/plain");
        using var notJson = await server.Client.PostAsync("/v1/completions", text);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, notJson.StatusCode);
        Assert.Equal("invalid_request_error", (await SluiceServer.ReadJsonAsync(notJson)).GetProperty("error").GetProperty("type").GetString());

        using var get = await server.Client.GetAsync("/v1/chat/completions");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, get.StatusCode);
        Assert.Equal("POST", get.Content.Headers.Allow.Single());
        Assert.Equal("method_not_allowed", (await SluiceServer.ReadJsonAsync(get)).GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task ChatCompletions_MethodOtherThanPost_Returns405WithAllowPostOnly()
    {
        await using var server = await SluiceServer.StartAsync(new Dictionary<string, string> { ["Sluice:BuiltIns:CountStepMs"] = "1" });

        foreach (var (method, path) in new[] { ("OPTIONS", "/v1/chat/completions"), ("TRACE", "/v1/completions"), ("HEAD", "/v1/chat/completions") })
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), path);
            using var response = await server.Client.SendAsync(request);

            Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
            // Only POST: the answer must not advertise methods that themselves answer 405.
            Assert.Equal(["POST"], response.Content.Headers.Allow);
            if (method != "HEAD")
            {
                Assert.Equal("method_not_allowed", (await SluiceServer.ReadJsonAsync(response)).GetProperty("error").GetProperty("code").GetString());
            }
        }

        var (chat, _) = await server.PostAsync("/v1/chat/completions", Chat(1));
        var (completion, _) = await server.PostAsync("/v1/completions", """{"model":"count","prompt":"x","max_tokens":1}""");
        Assert.Equal(HttpStatusCode.OK, chat.StatusCode);
        Assert.Equal(HttpStatusCode.OK, completion.StatusCode);
    }

    [Fact]
    public async Task ChatCompletions_NegativeSeed_Returns400NamingSeed()
    {
        await using var server = await SluiceServer.StartAsync(new Dictionary<string, string> { ["Sluice:BuiltIns:CountStepMs"] = "1" });

        var (chat, chatBody) = await server.PostAsync("/v1/chat/completions", Chat(3, ",\"seed\":-1"));
        var (completion, completionBody) = await server.PostAsync("/v1/completions", """{"model":"count","prompt":"x","max_tokens":3,"seed":-1}""");
        var (largest, _) = await server.PostAsync("/v1/chat/completions", Chat(3, ",\"seed\":18446744073709551615"));

        foreach (var (response, body) in new[] { (chat, chatBody), (completion, completionBody) })
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("seed", body.GetProperty("error").GetProperty("param").GetString());
            Assert.Equal("invalid_request_error", body.GetProperty("error").GetProperty("type").GetString());
            Assert.Contains("non-negative", body.GetProperty("error").GetProperty("message").GetString());
        }

        // The same range as POST /v1/jobs: any unsigned 64-bit seed.
        Assert.Equal(HttpStatusCode.OK, largest.StatusCode);
    }

    [Fact]
    public async Task ChatCompletions_OptionalParametersSentAsNull_AreTreatedAsAbsent()
    {
        await using var server = await SluiceServer.StartAsync(new Dictionary<string, string> { ["Sluice:BuiltIns:CountStepMs"] = "1" });

        // Clients generated from an OpenAPI document send every unset optional field as null.
        var (chat, chatBody) = await server.PostAsync("/v1/chat/completions", Chat(3, ",\"user\":null,\"stream\":null,\"stream_options\":{\"include_usage\":null},\"stop\":null,\"seed\":null"));
        var (completion, completionBody) = await server.PostAsync("/v1/completions", """{"model":"count","prompt":"x","max_tokens":2,"user":null,"stream_options":{"include_usage":null}}""");

        Assert.Equal(HttpStatusCode.OK, chat.StatusCode);
        Assert.Equal("1 2 3", chatBody.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
        Assert.Equal(HttpStatusCode.OK, completion.StatusCode);
        Assert.Equal("1 2", completionBody.GetProperty("choices")[0].GetProperty("text").GetString());
    }

    [Fact]
    public async Task ChatCompletions_StopListLeavingNoRoomForTemplateStop_Returns400NamingStop()
    {
        await using var server = await SluiceServer.StartAsync(new Dictionary<string, string> { ["Sluice:BuiltIns:CountStepMs"] = "1" });
        static string Stops(int n) => ",\"stop\":[" + string.Join(',', Enumerable.Range(0, n).Select(i => $"\"s{i}\"")) + "]";

        // count has no chat template of its own: the generic one's "\nUser:" takes one of the 16 stop slots.
        var (full, fullBody) = await server.PostAsync("/v1/chat/completions", Chat(2, Stops(16)));
        var (fits, _) = await server.PostAsync("/v1/chat/completions", Chat(2, Stops(15)));
        var (completion, _) = await server.PostAsync("/v1/completions", """{"model":"count","prompt":"x","max_tokens":2,"stop":["a","b","c","d","e","f","g","h","i","j","k","l","m","n","o","p"]}""");

        Assert.Equal(HttpStatusCode.BadRequest, full.StatusCode);
        Assert.Equal("stop", fullBody.GetProperty("error").GetProperty("param").GetString());
        Assert.Contains("at most 15", fullBody.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal(HttpStatusCode.OK, fits.StatusCode);
        Assert.Equal(HttpStatusCode.OK, completion.StatusCode);
    }

    [Fact]
    public async Task ChatCompletions_WithoutValidKey_Returns401InOpenAiShape()
    {
        await using var server = await SluiceServer.StartAsync(new Dictionary<string, string>
        {
            ["Sluice:Auth:Keys:0:Id"] = "alice",
            ["Sluice:Auth:Keys:0:Key"] = "sk-alice",
        });

        var (missing, body) = await server.PostAsync("/v1/chat/completions", Chat(2));
        var (wrong, _) = await server.PostAsync("/v1/chat/completions", Chat(2), key: "sk-bob");
        var (right, _) = await server.PostAsync("/v1/chat/completions", Chat(2), key: "sk-alice");

        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        Assert.Equal("invalid_api_key", body.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.OK, right.StatusCode);
    }

    [Fact]
    public async Task ChatCompletions_TokensPerMinuteExceeded_Returns429WithRetryAfterAndRateLimitHeaders()
    {
        await using var server = await SluiceServer.StartAsync(new Dictionary<string, string>
        {
            ["Sluice:BuiltIns:CountStepMs"] = "1",
            ["Sluice:Auth:Keys:0:Id"] = "alice",
            ["Sluice:Auth:Keys:0:Key"] = "sk-alice",
            ["Sluice:Auth:Keys:0:TokensPerMinute"] = "100",
            ["Sluice:Auth:Keys:1:Id"] = "bob",
            ["Sluice:Auth:Keys:1:Key"] = "sk-bob",
            ["Sluice:Auth:Keys:1:TokensPerMinute"] = "100",
        });

        var (first, _) = await server.PostAsync("/v1/chat/completions", Chat(60), key: "sk-alice");
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("100", first.Headers.GetValues("x-ratelimit-limit-tokens").Single());
        Assert.InRange(int.Parse(first.Headers.GetValues("x-ratelimit-remaining-tokens").Single(), System.Globalization.CultureInfo.InvariantCulture), 40, 41);

        var (second, body) = await server.PostAsync("/v1/chat/completions", Chat(60), key: "sk-alice");
        Assert.Equal((HttpStatusCode)429, second.StatusCode);
        Assert.Equal("rate_limit_exceeded", body.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal("tokens", body.GetProperty("error").GetProperty("type").GetString());
        var retryAfter = second.Headers.RetryAfter!.Delta!.Value;
        Assert.InRange(retryAfter.TotalSeconds, 1, 20);
        Assert.True(second.Headers.Contains("x-ratelimit-reset-tokens"));
        Assert.Equal("100", second.Headers.GetValues("x-ratelimit-limit-tokens").Single());

        // Limits are per key: bob still has his whole budget.
        var (other, _) = await server.PostAsync("/v1/chat/completions", Chat(60), key: "sk-bob");
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);

        // A request larger than the whole budget can never pass.
        var (huge, hugeBody) = await server.PostAsync("/v1/chat/completions", Chat(500), key: "sk-bob");
        Assert.Equal((HttpStatusCode)429, huge.StatusCode);
        Assert.Equal("max_tokens", hugeBody.GetProperty("error").GetProperty("param").GetString());
        Assert.False(huge.Headers.Contains("x-ratelimit-remaining-tokens"), "a refusal that spent nothing reports no remaining count");
    }

    [Fact]
    public async Task ChatCompletions_AnsweredFromCache_DrawsNothingFromTheTokenBudget()
    {
        await using var server = await SluiceServer.StartAsync(new Dictionary<string, string>
        {
            ["Sluice:BuiltIns:CountStepMs"] = "1",
            ["Sluice:Auth:Keys:0:Id"] = "alice",
            ["Sluice:Auth:Keys:0:Key"] = "sk-alice",
            ["Sluice:Auth:Keys:0:TokensPerMinute"] = "100",
        });

        // 40 generated; the same greedy request again comes from the result cache, once streamed and once not.
        var (first, _) = await server.PostAsync("/v1/chat/completions", Chat(40), key: "sk-alice");
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var (cached, cachedBody) = await server.PostAsync("/v1/chat/completions", Chat(40), key: "sk-alice");
        Assert.Equal(HttpStatusCode.OK, cached.StatusCode);
        Assert.Equal(40, cachedBody.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        using (var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = SluiceServer.Json(Chat(40, ",\"stream\":true")) })
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "sk-alice");
            using var streamed = await server.Client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, streamed.StatusCode);
            Assert.Contains("[DONE]", await streamed.Content.ReadAsStringAsync());
        }

        // Only the first answer was spent: 60 are left, so a new request for 60 fits (charged twice, 20 would be left).
        var (fresh, freshBody) = await server.PostAsync("/v1/chat/completions", Chat(60, ",\"seed\":7").Replace("\"temperature\":0,", "", StringComparison.Ordinal), key: "sk-alice");
        Assert.True(fresh.StatusCode == HttpStatusCode.OK, $"answered {(int)fresh.StatusCode}: {freshBody}");
    }

    [Fact]
    public async Task ChatCompletions_UnusedReservation_IsGivenBack()
    {
        await using var server = await SluiceServer.StartAsync(new Dictionary<string, string>
        {
            ["Sluice:BuiltIns:CountStepMs"] = "100",
            ["Sluice:Auth:Keys:0:Id"] = "alice",
            ["Sluice:Auth:Keys:0:Key"] = "sk-alice",
            ["Sluice:Auth:Keys:0:TokensPerMinute"] = "100",
        });

        // Reserve 80 tokens, read a few, go away: only what was generated stays spent.
        using (var client = new HttpClient(new SocketsHttpHandler { MaxResponseDrainSize = 0, ResponseDrainTimeout = TimeSpan.Zero }) { BaseAddress = server.BaseAddress })
        using (var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = SluiceServer.Json(Chat(80, ",\"stream\":true")) })
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "sk-alice");
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            var lines = 0;
            while (lines < 6 && await reader.ReadLineAsync() is { })
            {
                lines++;
            }
        }

        // The give-back comes when the server notices the disconnect, which a loaded machine can take a while to do:
        // ask again until it fits. Without the give-back, 70 fit only once the refill (100 a minute) has brought the 20
        // left back to 70, 30 s after the reservation; the 15 s cap stays well short of that.
        var until = DateTime.UtcNow.AddSeconds(15);
        HttpResponseMessage second;
        JsonElement secondBody;
        while (true)
        {
            (second, secondBody) = await server.PostAsync("/v1/chat/completions", Chat(70, ",\"stream\":false").Replace("\"temperature\":0,", "", StringComparison.Ordinal), key: "sk-alice");
            if (second.StatusCode != (HttpStatusCode)429 || DateTime.UtcNow > until)
            {
                break;
            }

            await Task.Delay(100);
        }

        Assert.True(second.StatusCode == HttpStatusCode.OK, $"answered {(int)second.StatusCode}: {secondBody}");
    }

    [Fact]
    public async Task ChatCompletions_NonStreamingClientLeavesMidGeneration_GeneratedTokensStaySpent()
    {
        await using var server = await SluiceServer.StartAsync(new Dictionary<string, string>
        {
            ["Sluice:BuiltIns:CountStepMs"] = "100",
            ["Sluice:Auth:Keys:0:Id"] = "alice",
            ["Sluice:Auth:Keys:0:Key"] = "sk-alice",
            ["Sluice:Auth:Keys:0:TokensPerMinute"] = "120",
        });
        server.Client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "sk-alice");

        // Reserve the whole budget of 120 without streaming, let 25 tokens be generated, then go away before the
        // answer. Two tokens a second refill, so the 429 below holds for at least 12 s after the reservation; 9.5 s of
        // generation are left for the cancel to land (both margins for a slow, loaded machine).
        using var cts = new CancellationTokenSource();
        using var client = new HttpClient(new SocketsHttpHandler { MaxResponseDrainSize = 0, ResponseDrainTimeout = TimeSpan.Zero }) { BaseAddress = server.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = SluiceServer.Json(Chat(120)) };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "sk-alice");
        var pending = client.SendAsync(request, cts.Token);
        string? jobId = null;
        while (jobId is null)
        {
            var list = await server.GetJsonAsync("/v1/jobs?model=count");
            jobId = list.GetProperty("data").EnumerateArray().Select(j => j.GetProperty("id").GetString()).FirstOrDefault();
            await Task.Delay(jobId is null ? 10 : 0);
        }

        using (var events = await server.Client.GetAsync($"/v1/jobs/{jobId}/events", HttpCompletionOption.ResponseHeadersRead))
        using (var reader = new StreamReader(await events.Content.ReadAsStreamAsync()))
        {
            var deltas = 0;
            while (deltas < 25 && await reader.ReadLineAsync() is { } line)
            {
                deltas += line == "event: delta" ? 1 : 0;
            }
        }

        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending);
        Assert.Equal("cancelled", (await server.WaitTerminalAsync(jobId, TimeSpan.FromSeconds(30))).GetProperty("status").GetString());

        // At most the 95 not generated come back (plus two tokens a second of refill): the whole budget again cannot
        // fit, as for a stream left early. Giving back all 120 let a client that leaves early generate without limit.
        var (next, body) = await server.PostAsync("/v1/chat/completions", Chat(120), key: "sk-alice");
        Assert.Equal((HttpStatusCode)429, next.StatusCode);
        Assert.Equal("rate_limit_exceeded", body.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task ChatCompletions_ClientDisconnectsMidStream_FreesBatchSlotWithinOneStep()
    {
        // Long steps, so that scheduling noise on a busy machine (noticing the disconnect, polling in_flight) is small
        // beside one step.
        const int stepMs = 1000;
        await using var server = await SluiceServer.StartAsync(new Dictionary<string, string> { ["Sluice:BuiltIns:CountStepMs"] = stepMs.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        // No draining on dispose: the connection closes at once, as when a browser tab or an SDK call goes away.
        using var client = new HttpClient(new SocketsHttpHandler { MaxResponseDrainSize = 0, ResponseDrainTimeout = TimeSpan.Zero }) { BaseAddress = server.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = SluiceServer.Json(Chat(1000, ",\"stream\":true")) };
        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var jobId = response.Headers.GetValues("X-Sluice-Job-Id").Single();
        var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var deltas = 0;
        while (deltas < 3 && await reader.ReadLineAsync() is { } line)
        {
            deltas += line.Contains("\"content\":\"", StringComparison.Ordinal) && !line.Contains("\"content\":\"\"", StringComparison.Ordinal) ? 1 : 0;
        }

        Assert.Equal(1, await InFlightAsync(server));

        // Disconnect: the connection closes with the stream half read.
        var closed = Stopwatch.StartNew();
        reader.Dispose();
        response.Dispose();
        client.Dispose();

        while (await InFlightAsync(server) != 0)
        {
            Assert.True(closed.ElapsedMilliseconds < 10 * stepMs, "the slot was not freed");
            await Task.Delay(10);
        }

        var freedAfter = closed.ElapsedMilliseconds;
        var job = await server.WaitTerminalAsync(jobId, TimeSpan.FromSeconds(30));
        Assert.Equal("cancelled", job.GetProperty("status").GetString());
        // The step running when the client left completes; the sequence leaves before the next one (half a step of
        // room for the noise).
        Assert.True(freedAfter < (2 * stepMs) + (stepMs / 2), $"slot freed after {freedAfter} ms (step {stepMs} ms)");
        var metrics = await server.Client.GetStringAsync("/metrics");
        Assert.Contains("sluice_batch_in_flight{model=\"count\"} 0", metrics);
    }

    [Fact]
    public async Task ChatCompletions_GreedyRepeated_SecondAnsweredFromResultCache()
    {
        await using var server = await SluiceServer.StartAsync(new Dictionary<string, string> { ["Sluice:BuiltIns:CountStepMs"] = "1" });

        var (first, firstBody) = await server.PostAsync("/v1/chat/completions", Chat(7));
        var (second, secondBody) = await server.PostAsync("/v1/chat/completions", Chat(7));
        using var streamRequest = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = SluiceServer.Json(Chat(7, ",\"stream\":true")) };
        using var streamed = await server.Client.SendAsync(streamRequest, HttpCompletionOption.ResponseHeadersRead);
        var payloads = await OpenAiSse.ReadAllAsync(streamed);

        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(firstBody.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString(), secondBody.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
        var job = await server.GetJsonAsync("/v1/jobs/" + second.Headers.GetValues("X-Sluice-Job-Id").Single());
        Assert.True(job.GetProperty("cached").GetBoolean());
        var firstJob = await server.GetJsonAsync("/v1/jobs/" + first.Headers.GetValues("X-Sluice-Job-Id").Single());
        Assert.False(firstJob.GetProperty("cached").GetBoolean());
        Assert.Equal("1 2 3 4 5 6 7", OpenAiSse.Text(payloads));
    }

    [Fact]
    public async Task ChatCompletions_PriorityAndDeadlineHeaders_ReachTheJob()
    {
        await using var server = await SluiceServer.StartAsync(new Dictionary<string, string> { ["Sluice:BuiltIns:CountStepMs"] = "50" });

        using var high = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = SluiceServer.Json(Chat(2)) };
        high.Headers.Add("X-Sluice-Priority", "high");
        using var highResponse = await server.Client.SendAsync(high);
        var job = await server.GetJsonAsync("/v1/jobs/" + highResponse.Headers.GetValues("X-Sluice-Job-Id").Single());
        Assert.Equal("high", job.GetProperty("priority").GetString());

        using var bad = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = SluiceServer.Json(Chat(2)) };
        bad.Headers.Add("X-Sluice-Priority", "urgent");
        using var badResponse = await server.Client.SendAsync(bad);
        Assert.Equal(HttpStatusCode.BadRequest, badResponse.StatusCode);
        Assert.Equal("X-Sluice-Priority", (await SluiceServer.ReadJsonAsync(badResponse)).GetProperty("error").GetProperty("param").GetString());

        // 100 steps of 50 ms cannot finish within 300 ms: the job expires and the answer says so.
        using var late = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = SluiceServer.Json(Chat(100)) };
        late.Headers.Add("X-Sluice-Deadline-Ms", "300");
        using var lateResponse = await server.Client.SendAsync(late);
        Assert.Equal(HttpStatusCode.GatewayTimeout, lateResponse.StatusCode);
        Assert.Equal("deadline_exceeded", (await SluiceServer.ReadJsonAsync(lateResponse)).GetProperty("error").GetProperty("code").GetString());
    }

    private static async Task<int> InFlightAsync(SluiceServer server)
    {
        var model = await server.GetJsonAsync("/v1/models/count");
        return model.GetProperty("queue").GetProperty("in_flight").GetInt32();
    }
}
