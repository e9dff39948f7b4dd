using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Sluice.Backends.Tests.Infrastructure;

namespace Sluice.Backends.Tests.OpenAi;

/// <summary>The <c>openai</c> backend against a fake OpenAI-compatible server that really streams SSE over loopback.</summary>
public sealed class OpenAiBackendTests
{
    private static readonly string[] Pieces = ["Hel", "lo", ", wor", "ld", "!"];

    [Fact]
    public async Task OpenAiBackend_StreamingUpstream_DeltasPassedThroughInOrder()
    {
        await using var upstream = await FakeUpstream.StartAsync(app =>
        {
            app.MapGet("/v1/models", FakeOpenAi.ModelsAsync);
            app.MapPost("/v1/chat/completions", ctx => FakeOpenAi.StreamAsync(ctx, Pieces, delayMs: 30));
        });
        await using var server = await SluiceServer.StartAsync(Settings.Backend("remote", "openai", upstream.Url + "/v1", ("UpstreamModel", "upstream-model"), ("ApiKey", "sk-upstream")));

        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = SluiceServer.Json("""{"model":"remote","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Say hello"}],"max_tokens":20,"stream":true,"stream_options":{"include_usage":true}}"""),
        };
        using var response = await server.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var payloads = await OpenAiSse.ReadAllAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Hello, world!", OpenAiSse.Text(payloads));
        // Chunks arrive 30 ms apart upstream, so each becomes its own delta, in order.
        var deltas = payloads.Where(p => p.Contains("\"content\":\"", StringComparison.Ordinal) && !p.Contains("\"content\":\"\"", StringComparison.Ordinal))
            .Select(p => OpenAiSse.Text([p])).ToList();
        Assert.Equal(Pieces, deltas);
        using var usage = JsonDocument.Parse(payloads[^2]);
        Assert.Equal(7, usage.RootElement.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(5, usage.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32());

        // The upstream got the messages as they were (its own chat template applies), its model name and Sluice's limits.
        Assert.True(upstream.Bodies.TryDequeue(out var body));
        using var sent = JsonDocument.Parse(body!);
        Assert.Equal("upstream-model", sent.RootElement.GetProperty("model").GetString());
        Assert.Equal(2, sent.RootElement.GetProperty("messages").GetArrayLength());
        Assert.Equal("system", sent.RootElement.GetProperty("messages")[0].GetProperty("role").GetString());
        Assert.True(sent.RootElement.GetProperty("stream").GetBoolean());
        Assert.Equal(20, sent.RootElement.GetProperty("max_tokens").GetInt32());
    }

    [Theory]
    [InlineData("""{"prompt":"Say hello","messages":[{"role":"user","content":"Say goodbye"}]}""", "input.messages")]
    [InlineData("""{"messages":[{"role":"user","content":"Say goodbye"}],"prompt":"Say hello"}""", "input.prompt")]
    public async Task SubmitJob_PromptAndMessagesBoth_400NamingTheSecondAndUpstreamNeverCalled(string input, string field)
    {
        // One of the two would be dropped without a word (the messages went upstream, the prompt was lost).
        await using var upstream = await FakeUpstream.StartAsync(app =>
        {
            app.MapGet("/v1/models", FakeOpenAi.ModelsAsync);
            app.MapPost("/v1/chat/completions", ctx => FakeOpenAi.StreamAsync(ctx, Pieces, delayMs: 0));
            app.MapPost("/v1/completions", ctx => FakeOpenAi.StreamAsync(ctx, Pieces, delayMs: 0));
        });
        await using var server = await SluiceServer.StartAsync(Settings.Backend("remote", "openai", upstream.Url + "/v1", ("UpstreamModel", "upstream-model")));

        using var response = await server.Client.PostAsync("/v1/jobs", SluiceServer.Json($$"""{"model":"remote","input":{{input}},"cache":false}"""));
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal(field, problem.RootElement.GetProperty("field").GetString());
        Assert.Empty(upstream.Bodies);
    }

    [Fact]
    public async Task OpenAiBackend_StreamingUpstream_FirstTokenAndInterTokenLatencyRecordedByModel()
    {
        await using var upstream = await FakeUpstream.StartAsync(app =>
        {
            app.MapGet("/v1/models", FakeOpenAi.ModelsAsync);
            app.MapPost("/v1/chat/completions", ctx => FakeOpenAi.StreamAsync(ctx, Pieces, delayMs: 30));
        });
        await using var server = await SluiceServer.StartAsync(Settings.Backend("remote", "openai", upstream.Url + "/v1", ("UpstreamModel", "upstream-model")));

        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = SluiceServer.Json("""{"model":"remote","messages":[{"role":"user","content":"Say hello"}],"max_tokens":20,"stream":true}"""),
        };
        var clock = Stopwatch.StartNew();
        using var response = await server.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var payloads = await OpenAiSse.ReadAllAsync(response);
        var streamed = clock.Elapsed.TotalSeconds;
        Assert.Equal("Hello, world!", OpenAiSse.Text(payloads));

        // A remote model steps through the same continuous batcher: one first token, and a gap per later step that
        // brought tokens (pieces 30 ms apart upstream mostly arrive one a step; a burst in one step is one gap).
        var text = "";
        await Poll.UntilAsync(
            async () => PrometheusText.Counter(text = await server.Client.GetStringAsync("/metrics"), "sluice_time_to_first_token_seconds_count", "model=\"remote\"") == 1,
            () => "no time to first token recorded for the remote model");
        Assert.InRange(PrometheusText.Counter(text, "sluice_time_per_output_token_seconds_count", "model=\"remote\""), 1, Pieces.Length - 1);
        Assert.DoesNotContain("sluice_time_to_first_token_seconds_count{model=\"upstream-model\"}", text, StringComparison.Ordinal);
        var ttft = SampleValue(text, "sluice_time_to_first_token_seconds_sum{model=\"remote\"}");
        var gaps = SampleValue(text, "sluice_time_per_output_token_seconds_sum{model=\"remote\"}");
        Assert.InRange(ttft + gaps, double.Epsilon, streamed + 0.005);
    }

    private static double SampleValue(string text, string series)
    {
        var line = Assert.Single(text.Split('\n'), l => l.StartsWith(series + " ", StringComparison.Ordinal));
        return double.Parse(line[(series.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task OpenAiBackend_UpstreamAbortsTheGeneration_JobFailsAndTheCutTextIsNeverCached()
    {
        // vLLM ends an aborted request (preempted, server stopping) with finish_reason "abort" after the text so far.
        await using var upstream = await StartUpstreamEndingWithAsync("abort");
        await using var server = await SluiceServer.StartAsync(Settings.Backend("remote", "openai", upstream.Url + "/v1", ("UpstreamModel", "upstream-model")));
        const string input = """{"messages":[{"role":"user","content":"Say hello"}],"max_tokens":8,"temperature":0}""";

        var first = await Jobs.RunAsync(server, "remote", input);
        var second = await Jobs.RunAsync(server, "remote", input);

        Assert.Equal("failed", first.GetProperty("status").GetString());
        Assert.Contains("abort", first.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.False(second.GetProperty("cached").GetBoolean());
        Assert.Equal(2, upstream.Hits("/v1/chat/completions"));
    }

    [Fact]
    public async Task OpenAiBackend_UpstreamContentFilter_ReturnedWithItsFinishReasonAndNeverCached()
    {
        // A provider's filter decides by its policy of the moment: replaying its cut answer later would pass that off as the model's stop.
        await using var upstream = await StartUpstreamEndingWithAsync("content_filter");
        await using var server = await SluiceServer.StartAsync(Settings.Backend("remote", "openai", upstream.Url + "/v1", ("UpstreamModel", "upstream-model")));
        const string input = """{"messages":[{"role":"user","content":"Say hello"}],"max_tokens":8,"temperature":0}""";

        var first = await Jobs.RunAsync(server, "remote", input);
        var second = await Jobs.RunAsync(server, "remote", input);

        Assert.Equal("succeeded", first.GetProperty("status").GetString());
        Assert.Equal("Hel", first.GetProperty("result").GetProperty("text").GetString());
        Assert.Equal("content_filter", first.GetProperty("result").GetProperty("finish_reason").GetString());
        Assert.False(second.GetProperty("cached").GetBoolean());
        Assert.Equal(2, upstream.Hits("/v1/chat/completions"));
    }

    [Fact]
    public async Task ChatCompletions_UpstreamContentFilter_AnswerSaysContentFilterAndRepeatRunsAgain()
    {
        await using var upstream = await StartUpstreamEndingWithAsync("content_filter");
        await using var server = await SluiceServer.StartAsync(Settings.Backend("remote", "openai", upstream.Url + "/v1"));
        const string body = """{"model":"remote","messages":[{"role":"user","content":"Say hello"}],"max_tokens":8,"temperature":0}""";

        var (first, firstBody) = await server.PostAsync("/v1/chat/completions", body);
        var (second, secondBody) = await server.PostAsync("/v1/chat/completions", body);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("content_filter", firstBody.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.Equal("Hel", firstBody.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
        Assert.Equal("content_filter", secondBody.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.Equal(2, upstream.Hits("/v1/chat/completions"));
    }

    [Fact]
    public async Task OpenAiBackend_Upstream503Then429_RetriedWithRetryAfterThenSucceeds()
    {
        var calls = 0;
        await using var upstream = await FakeUpstream.StartAsync(app =>
        {
            app.MapGet("/v1/models", FakeOpenAi.ModelsAsync);
            app.MapPost("/v1/chat/completions", async ctx =>
            {
                switch (Interlocked.Increment(ref calls))
                {
                    case 1:
                        ctx.Response.StatusCode = 503;
                        await ctx.Response.WriteAsync("overloaded");
                        break;
                    case 2:
                        ctx.Response.StatusCode = 429;
                        ctx.Response.Headers.RetryAfter = "1";
                        await ctx.Response.WriteAsJsonAsync(new { error = new { message = "slow down", type = "requests" } });
                        break;
                    default:
                        await FakeOpenAi.StreamAsync(ctx, Pieces);
                        break;
                }
            });
        });
        await using var server = await SluiceServer.StartAsync(Settings.Backend("remote", "openai", upstream.Url + "/v1"));

        var watch = Stopwatch.StartNew();
        var job = await Jobs.RunAsync(server, "remote", """{"prompt":"hi","max_tokens":5}""");

        Assert.Equal("succeeded", job.GetProperty("status").GetString());
        Assert.Equal("Hello, world!", job.GetProperty("result").GetProperty("text").GetString());
        Assert.Equal(3, upstream.Hits("/v1/chat/completions"));
        Assert.True(watch.Elapsed >= TimeSpan.FromSeconds(0.9), $"Retry-After not honoured: {watch.Elapsed}");
    }

    [Fact]
    public async Task OpenAiBackend_ConnectionDroppedMidStream_NotRetriedAndErrorIsClear()
    {
        await using var upstream = await FakeUpstream.StartAsync(app =>
        {
            app.MapGet("/v1/models", FakeOpenAi.ModelsAsync);
            app.MapPost("/v1/chat/completions", async ctx =>
            {
                ctx.Response.ContentType = "text/event-stream";
                await FakeUpstream.WriteLineAsync(ctx.Response, "data: " + FakeOpenAi.Chunk("partial") + "\n");
                await Task.Delay(50);
                ctx.Abort();
            });
        });
        await using var server = await SluiceServer.StartAsync(Settings.Backend("remote", "openai", upstream.Url + "/v1", ("Sluice:Models:remote:MaxAttempts", 3)));

        var job = await Jobs.RunAsync(server, "remote", """{"prompt":"hi","max_tokens":5}""");

        Assert.NotEqual("succeeded", job.GetProperty("status").GetString());
        Assert.Contains("dropped the connection mid-stream", job.GetProperty("error").GetString());
        // Text already went out: neither the backend nor the job may run it again.
        Assert.Equal(1, upstream.Hits("/v1/chat/completions"));
        Assert.Equal(1, job.GetProperty("attempts").GetInt32());
    }

    [Fact]
    public async Task OpenAiBackend_MalformedJsonChunk_FailsWithClearErrorInOpenAiShape()
    {
        await using var upstream = await FakeUpstream.StartAsync(app =>
        {
            app.MapGet("/v1/models", FakeOpenAi.ModelsAsync);
            app.MapPost("/v1/chat/completions", async ctx =>
            {
                ctx.Response.ContentType = "text/event-stream";
                await FakeUpstream.WriteLineAsync(ctx.Response, "data: {\"choices\":[{\"delta\":{\"content\":\"ok\"}\n");
                await FakeUpstream.WriteLineAsync(ctx.Response, "data: [DONE]\n");
            });
        });
        await using var server = await SluiceServer.StartAsync(Settings.Backend("remote", "openai", upstream.Url + "/v1"));

        var (response, body) = await server.PostAsync("/v1/chat/completions", """{"model":"remote","messages":[{"role":"user","content":"x"}],"max_tokens":5}""");

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("upstream_error", body.GetProperty("error").GetProperty("code").GetString());
        Assert.Contains("malformed JSON", body.GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task SyncInfer_UpstreamAnswers500_502UpstreamErrorNotA200NorTheInputBlamed()
    {
        await using var upstream = await FakeOpenAi.StartFailingAsync();
        await using var server = await SluiceServer.StartAsync(Settings.Backend("remote", "openai", upstream.Url + "/v1",
            ("MaxRetries", 0), ("HealthProbeIntervalSeconds", 0)));

        var (response, problem) = await server.PostAsync("/v1/models/remote/infer", """{"input":{"prompt":"x","max_tokens":5}}""");

        // The generation failed: the sync path must say so, as the job path does, not answer its empty text as a result;
        // and the upstream failed, not the input, so a bad gateway rather than a 422 naming the input.
        Assert.True(response.StatusCode == HttpStatusCode.BadGateway, $"answered {(int)response.StatusCode}: {problem}");
        Assert.EndsWith("upstream-error", problem.GetProperty("type").GetString());
        Assert.Equal("model", problem.GetProperty("field").GetString());
        Assert.Contains("upstream answered 500", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task SyncInfer_UpstreamErrorBodyCutInsideACharacter_QuotedUpToItsLastWholeCharacterWithoutUFFFD()
    {
        // 1,023 ASCII bytes, then "é" (2 bytes) and an emoji: the 1,024 bytes the error quotes end inside the "é".
        var body = new string('x', 1023) + "\u00e9 \U0001F600 and more";
        await using var upstream = await FakeUpstream.StartAsync(app =>
        {
            app.MapGet("/v1/models", FakeOpenAi.ModelsAsync);
            app.MapPost("/v1/chat/completions", FakeOpenAi.Failing(body));
        });
        await using var server = await SluiceServer.StartAsync(Settings.Backend("remote", "openai", upstream.Url + "/v1",
            ("MaxRetries", 0), ("HealthProbeIntervalSeconds", 0)));

        var (response, problem) = await server.PostAsync("/v1/models/remote/infer", """{"input":{"prompt":"x","max_tokens":5}}""");

        Assert.True(response.StatusCode == HttpStatusCode.BadGateway, $"answered {(int)response.StatusCode}: {problem}");
        var detail = problem.GetProperty("detail").GetString()!;
        Assert.Contains("upstream answered 500", detail);
        Assert.Contains(new string('x', 1023), detail);
        Assert.DoesNotContain('\uFFFD', detail);
    }

    [Fact]
    public async Task SyncInfer_Upstream429WithRetryAfter_503WithTheUpstreamsRetryAfter()
    {
        await using var upstream = await FakeOpenAi.StartBusyAsync(7);
        await using var server = await SluiceServer.StartAsync(Settings.Backend("remote", "openai", upstream.Url + "/v1",
            ("MaxRetries", 0), ("HealthProbeIntervalSeconds", 0)));

        var (response, problem) = await server.PostAsync("/v1/models/remote/infer", """{"input":{"prompt":"x","max_tokens":5}}""");

        Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"answered {(int)response.StatusCode}: {problem}");
        Assert.EndsWith("model-unavailable", problem.GetProperty("type").GetString());
        Assert.Equal(TimeSpan.FromSeconds(7), response.Headers.RetryAfter?.Delta);
        Assert.Contains("upstream answered 429", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task SyncInfer_UpstreamSendsNoAnswerInTime_504UpstreamTimeout()
    {
        await using var upstream = await FakeOpenAi.StartSilentAsync();
        await using var server = await SluiceServer.StartAsync(Settings.Backend("remote", "openai", upstream.Url + "/v1",
            ("MaxRetries", 0), ("HealthProbeIntervalSeconds", 0), ("RequestTimeoutSeconds", 0.3)));

        var (response, problem) = await server.PostAsync("/v1/models/remote/infer", """{"input":{"prompt":"x","max_tokens":5}}""");

        Assert.True(response.StatusCode == HttpStatusCode.GatewayTimeout, $"answered {(int)response.StatusCode}: {problem}");
        Assert.EndsWith("upstream-timeout", problem.GetProperty("type").GetString());
        Assert.Contains("no answer from", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task SyncInfer_UpstreamRefusesTheInputAs400_422InferenceFailed()
    {
        await using var upstream = await FakeUpstream.StartAsync(app =>
        {
            app.MapGet("/v1/models", FakeOpenAi.ModelsAsync);
            app.MapPost("/v1/chat/completions", async ctx =>
            {
                ctx.Response.StatusCode = 400;
                await ctx.Response.WriteAsync("the prompt is too long for the context");
            });
        });
        await using var server = await SluiceServer.StartAsync(Settings.Backend("remote", "openai", upstream.Url + "/v1",
            ("MaxRetries", 0), ("HealthProbeIntervalSeconds", 0)));

        var (response, problem) = await server.PostAsync("/v1/models/remote/infer", """{"input":{"prompt":"x","max_tokens":5}}""");

        Assert.True(response.StatusCode == HttpStatusCode.UnprocessableEntity, $"answered {(int)response.StatusCode}: {problem}");
        Assert.Equal("input", problem.GetProperty("field").GetString());
    }

    [Fact]
    public async Task ChatCompletions_LastAttemptMeetsUpstream429WithRetryAfter_503ModelUnavailableWithThatRetryAfter()
    {
        await using var upstream = await FakeOpenAi.StartBusyAsync(7);
        await using var server = await SluiceServer.StartAsync(Settings.Backend("remote", "openai", upstream.Url + "/v1",
            ("MaxRetries", 0), ("HealthProbeIntervalSeconds", 0), ("Sluice:Models:remote:MaxAttempts", 1)));

        var (response, body) = await server.PostAsync("/v1/chat/completions", """{"model":"remote","messages":[{"role":"user","content":"x"}],"max_tokens":5}""");

        // No attempt left to hold back: the client still gets the upstream's wait, not a 502 with no hint.
        Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"answered {(int)response.StatusCode}: {body}");
        Assert.Equal("model_unavailable", body.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(TimeSpan.FromSeconds(7), response.Headers.RetryAfter?.Delta);
    }

    [Theory]
    [InlineData(429)]
    [InlineData(503)]
    public async Task ChatCompletions_LastAttemptMeetsUpstreamUnavailableWithoutRetryAfter_503ModelUnavailable(int status)
    {
        await using var upstream = await FakeUpstream.StartAsync(app =>
        {
            app.MapGet("/v1/models", FakeOpenAi.ModelsAsync);
            app.MapPost("/v1/chat/completions", async ctx =>
            {
                ctx.Response.StatusCode = status;
                await ctx.Response.WriteAsync("busy");
            });
        });
        await using var server = await SluiceServer.StartAsync(Settings.Backend("remote", "openai", upstream.Url + "/v1",
            ("MaxRetries", 0), ("HealthProbeIntervalSeconds", 0), ("Sluice:Models:remote:MaxAttempts", 1)));

        var (response, body) = await server.PostAsync("/v1/chat/completions", """{"model":"remote","messages":[{"role":"user","content":"x"}],"max_tokens":5}""");

        // The upstream said it is unavailable, not that it failed: 503 (with the least Retry-After), not a 502.
        Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"answered {(int)response.StatusCode}: {body}");
        Assert.Equal("model_unavailable", body.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal("model", body.GetProperty("error").GetProperty("param").GetString());
        Assert.Equal(TimeSpan.FromSeconds(1), response.Headers.RetryAfter?.Delta);
    }

    [Fact]
    public async Task JobResource_LastAttemptMeetsUpstream429WithRetryAfter_ShowsUpstreamUnavailableAndTheWait()
    {
        await using var upstream = await FakeOpenAi.StartBusyAsync(7);
        await using var server = await SluiceServer.StartAsync(Settings.Backend("remote", "openai", upstream.Url + "/v1",
            ("MaxRetries", 0), ("HealthProbeIntervalSeconds", 0), ("Sluice:Models:remote:MaxAttempts", 1)));

        var job = await Jobs.RunAsync(server, "remote", """{"prompt":"x","max_tokens":5}""");

        // Why it failed and how long the upstream asked to wait, as data: a client need not parse the error's words.
        Assert.Equal("dead_lettered", job.GetProperty("status").GetString());
        Assert.Equal("upstream_unavailable", job.GetProperty("error_code").GetString());
        Assert.Equal(7000, job.GetProperty("retry_after_ms").GetInt64());
        var id = job.GetProperty("id").GetString();
        var listed = (await server.GetJsonAsync("/v1/jobs?status=dead_lettered")).GetProperty("data").EnumerateArray().Single(j => j.GetProperty("id").GetString() == id);
        Assert.Equal("upstream_unavailable", listed.GetProperty("error_code").GetString());
        Assert.Equal(7000, listed.GetProperty("retry_after_ms").GetInt64());

        // The terminal event says the same.
        using var events = await server.Client.GetAsync($"/v1/jobs/{id}/events");
        var terminal = (await events.Content.ReadAsStringAsync()).Split('\n').Last(l => l.StartsWith("data: ", StringComparison.Ordinal));
        using var data = JsonDocument.Parse(terminal["data: ".Length..]);
        Assert.Equal("upstream_unavailable", data.RootElement.GetProperty("error_code").GetString());
        Assert.Equal(7000, data.RootElement.GetProperty("retry_after_ms").GetInt64());
    }

    [Fact]
    public async Task OpenAiBackend_UpstreamRefusesRequestAs400_ClientGets400InvalidRequestNot502()
    {
        var calls = 0;
        await using var upstream = await FakeUpstream.StartAsync(app =>
        {
            app.MapGet("/v1/models", FakeOpenAi.ModelsAsync);
            app.MapPost("/v1/chat/completions", async ctx =>
            {
                Interlocked.Increment(ref calls);
                ctx.Response.StatusCode = 400;
                ctx.Response.ContentType = "application/json";
                await ctx.Response.WriteAsync("""{"error":{"message":"the prompt is too long for the context","type":"invalid_request_error","param":"messages"}}""");
            });
        });
        await using var server = await SluiceServer.StartAsync(Settings.Backend("remote", "openai", upstream.Url + "/v1"));

        var (response, body) = await server.PostAsync("/v1/chat/completions", """{"model":"remote","messages":[{"role":"user","content":"x"}],"max_tokens":5}""");

        // The client's request is at fault: a 5xx would make the SDKs send it again, to the same refusal.
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = body.GetProperty("error");
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Equal("upstream_refused", error.GetProperty("code").GetString());
        Assert.Contains("the prompt is too long for the context", error.GetProperty("message").GetString());
        Assert.Equal(1, Volatile.Read(ref calls));
    }

    [Fact]
    public async Task OpenAiBackend_SlowUpstream_StalledStreamTimesOut()
    {
        await using var upstream = await FakeOpenAi.StartStallingAsync();
        await using var server = await SluiceServer.StartAsync(Settings.Backend("remote", "openai", upstream.Url + "/v1", ("StreamIdleTimeoutSeconds", 0.5)));

        var watch = Stopwatch.StartNew();
        var job = await Jobs.RunAsync(server, "remote", """{"prompt":"hi","max_tokens":5}""", waitSeconds: 60);

        // The upstream stalls for two minutes: ending well before that is the idle timeout's doing (the bound leaves
        // room for a slow, loaded machine; the timeout itself is half a second).
        Assert.Contains("stalled", job.GetProperty("error").GetString());
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"took {watch.Elapsed}");
    }

    [Fact]
    public async Task ChatCompletions_UpstreamSendsNoAnswerInTime_504UpstreamTimeout()
    {
        await using var upstream = await FakeOpenAi.StartSilentAsync();
        await using var server = await SluiceServer.StartAsync(Settings.Backend("remote", "openai", upstream.Url + "/v1",
            ("MaxRetries", 0), ("HealthProbeIntervalSeconds", 0), ("RequestTimeoutSeconds", 0.3), ("Sluice:Models:remote:MaxAttempts", 1)));

        var (response, body) = await server.PostAsync("/v1/chat/completions", """{"model":"remote","messages":[{"role":"user","content":"x"}],"max_tokens":5}""");

        // As /v1/models/{m}/infer answers it: a gateway timeout, not a bad answer (502).
        Assert.True(response.StatusCode == HttpStatusCode.GatewayTimeout, $"answered {(int)response.StatusCode}: {body}");
        var error = body.GetProperty("error");
        Assert.Equal("timeout", error.GetProperty("type").GetString());
        Assert.Equal("upstream_timeout", error.GetProperty("code").GetString());
        Assert.Contains("no answer from", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task ChatCompletionsStream_UpstreamStreamStalls_ErrorChunkUpstreamTimeout()
    {
        await using var upstream = await FakeOpenAi.StartStallingAsync();
        await using var server = await SluiceServer.StartAsync(Settings.Backend("remote", "openai", upstream.Url + "/v1",
            ("HealthProbeIntervalSeconds", 0), ("StreamIdleTimeoutSeconds", 0.5)));

        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = SluiceServer.Json("""{"model":"remote","messages":[{"role":"user","content":"x"}],"max_tokens":5,"stream":true}"""),
        };
        using var response = await server.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var payloads = await OpenAiSse.ReadAllAsync(response).WaitAsync(TimeSpan.FromSeconds(60));

        // The text that went out stays; the stream then ends on the same type and code as the non-streamed answer.
        using var last = JsonDocument.Parse(payloads.Last(p => p != "[DONE]"));
        var error = last.RootElement.GetProperty("error");
        Assert.Equal("timeout", error.GetProperty("type").GetString());
        Assert.Equal("upstream_timeout", error.GetProperty("code").GetString());
        Assert.Contains("stalled", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task OpenAiBackend_ClientDisconnects_UpstreamRequestAborted()
    {
        var aborted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var upstream = await FakeUpstream.StartAsync(app =>
        {
            app.MapGet("/v1/models", FakeOpenAi.ModelsAsync);
            app.MapPost("/v1/chat/completions", async ctx =>
            {
                ctx.Response.ContentType = "text/event-stream";
                try
                {
                    for (var i = 0; i < 1000; i++)
                    {
                        await FakeUpstream.WriteLineAsync(ctx.Response, "data: " + FakeOpenAi.Chunk("tick ") + "\n");
                        await Task.Delay(50, ctx.RequestAborted);
                    }
                }
                catch (Exception ex) when (ex is OperationCanceledException or IOException)
                {
                    aborted.TrySetResult();
                }
            });
        });
        await using var server = await SluiceServer.StartAsync(Settings.Backend("remote", "openai", upstream.Url + "/v1"));
        using (var client = new HttpClient(new SocketsHttpHandler { MaxResponseDrainSize = 0, ResponseDrainTimeout = TimeSpan.Zero }) { BaseAddress = server.BaseAddress })
        using (var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = SluiceServer.Json("""{"model":"remote","messages":[{"role":"user","content":"x"}],"max_tokens":1000,"stream":true}""") })
        {
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            for (var i = 0; i < 6; i++)
            {
                await reader.ReadLineAsync();
            }
        }

        await aborted.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var until = DateTime.UtcNow.AddSeconds(30);
        string? inFlight;
        do
        {
            inFlight = (await Jobs.ModelAsync(server, "remote")).GetProperty("metadata").GetProperty("in_flight").GetString();
        }
        while (inFlight != "0" && DateTime.UtcNow < until && await Task.Delay(20).ContinueWith(_ => true));

        Assert.Equal("0", inFlight);
    }

    /// <summary>An OpenAI-compatible upstream whose every chat completion streams "Hel" and ends with <paramref name="finishReason"/>.</summary>
    private static Task<FakeUpstream> StartUpstreamEndingWithAsync(string finishReason) => FakeUpstream.StartAsync(app =>
    {
        app.MapGet("/v1/models", FakeOpenAi.ModelsAsync);
        app.MapPost("/v1/chat/completions", async ctx =>
        {
            ctx.Response.ContentType = "text/event-stream";
            await FakeUpstream.WriteLineAsync(ctx.Response, "data: " + FakeOpenAi.Chunk("Hel") + "\n");
            await FakeUpstream.WriteLineAsync(ctx.Response, "data: " + FakeOpenAi.Chunk(null, finishReason) + "\n");
            await FakeUpstream.WriteLineAsync(ctx.Response, "data: [DONE]\n");
        });
    });
}
