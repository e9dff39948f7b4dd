using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Sluice.Backends.Tests.Infrastructure;
using Sluice.Testing.Server;

namespace Sluice.Backends.Tests.Resilience;

/// <summary>
/// Jobs already queued on a backend when it becomes unusable (circuit opened, probe failed): those that came
/// through a fallback-capable route (OpenAI endpoints, tasks) run on the fallback when they reach execution; jobs
/// submitted to <c>POST /v1/jobs</c> keep running on the model they name.
/// </summary>
public sealed class QueuedFallbackTests
{
    private const string Chat = """{"model":"remote","messages":[{"role":"user","content":"x"}],"max_tokens":2}""";
    private const string ChatStream = """{"model":"remote","messages":[{"role":"user","content":"x"}],"max_tokens":2,"stream":true,"stream_options":{"include_usage":true}}""";

    /// <summary>Generous: a cold, loaded 2-core machine can take seconds per request.</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task QueuedChat_CircuitOpensWhileQueued_RunsOnFallback()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var upstream = await FakeUpstream.StartAsync(app =>
        {
            app.MapGet("/v1/models", FakeOpenAi.ModelsAsync);
            app.MapPost("/v1/chat/completions", async ctx =>
            {
                await release.Task;
                ctx.Response.StatusCode = 500;
                await ctx.Response.WriteAsync("boom");
            });
        });
        var settings = Settings.Backend("remote", "openai", upstream.Url + "/v1",
            ("MaxConcurrency", 1), ("MaxRetries", 0), ("BreakerMinimumThroughput", 2), ("BreakerFailureRatio", 0.5), ("BreakerSamplingSeconds", 60),
            ("BreakerCooldownSeconds", 120), ("HealthProbeIntervalSeconds", 0), ("Fallback", "count"));
        settings["Sluice:BuiltIns:CountStepMs"] = "1";
        await using var server = await SluiceServer.StartAsync(settings);

        // One request holds the only upstream slot; three more queue behind it (in whatever order they arrive).
        var requests = new List<Task<(HttpResponseMessage Response, JsonElement Body)>>();
        try
        {
            requests.Add(server.PostAsync("/v1/chat/completions", Chat));
            await Poll.UntilAsync(() => Task.FromResult(upstream.Hits("/v1/chat/completions") == 1), () => "the first request never reached the upstream");
            for (var i = 0; i < 3; i++)
            {
                requests.Add(server.PostAsync("/v1/chat/completions", Chat));
            }

            await Poll.UntilAsync(async () => await QueuedAsync(server, "remote") == 3, () => "the three requests never queued");
        }
        finally
        {
            // The held call and the next one fail: the circuit opens (two failures) with two jobs still queued.
            release.TrySetResult();
        }

        var answers = await Task.WhenAll(requests);
        var onPrimary = answers.Where(a => a.Response.StatusCode != HttpStatusCode.OK).ToList();
        var onFallback = answers.Where(a => a.Response.StatusCode == HttpStatusCode.OK).ToList();
        Assert.True(onPrimary.Count == 2, "expected two upstream failures; got " + Describe(answers));
        foreach (var (response, body) in onPrimary)
        {
            Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
            Assert.Contains("upstream answered 500", body.GetProperty("error").GetProperty("message").GetString());
        }

        Assert.True(onFallback.Count == 2, "expected two answers from the fallback; got " + Describe(answers));
        foreach (var (response, body) in onFallback)
        {
            Assert.Equal("count", body.GetProperty("model").GetString());
            Assert.Equal("1 2", body.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
            Assert.Equal("count", response.Headers.GetValues("X-Sluice-Model").Single());
            Assert.StartsWith("remote; remote is circuit_open", response.Headers.GetValues("X-Sluice-Fallback").Single());

            // Same job, moved: its record names the model that ran it and its events say why.
            var jobId = response.Headers.GetValues("X-Sluice-Job-Id").Single();
            var job = await server.GetJsonAsync("/v1/jobs/" + jobId);
            Assert.Equal("count", job.GetProperty("model").GetString());
            Assert.Equal("succeeded", job.GetProperty("status").GetString());
            var events = await EventsAsync(server, jobId);
            var rerouted = Assert.Single(events, e => e.Type == "rerouted");
            Assert.Equal("remote", rerouted.Data.GetProperty("from").GetString());
            Assert.Equal("count", rerouted.Data.GetProperty("to").GetString());
            Assert.StartsWith("remote is circuit_open", rerouted.Data.GetProperty("reason").GetString());
        }

        Assert.Equal(2, upstream.Hits("/v1/chat/completions"));
    }

    [Fact]
    public async Task QueuedRequests_ProbeMarksPrimaryUnhealthyWhileQueued_RoutedRequestsMoveJobsApiStays()
    {
        var up = true;
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var upstream = await FakeUpstream.StartAsync(app =>
        {
            app.MapGet("/v1/models", FakeOpenAi.ModelsWhile(() => Volatile.Read(ref up)));
            app.MapPost("/v1/chat/completions", async ctx =>
            {
                await release.Task;
                await FakeOpenAi.StreamAsync(ctx, ["primary"]);
            });
        });
        var settings = Settings.Backend("remote", "openai", upstream.Url + "/v1",
            ("MaxConcurrency", 1), ("HealthProbeIntervalSeconds", 0.2), ("Fallback", "count"));
        settings["Sluice:BuiltIns:CountStepMs"] = "1";
        await using var server = await SluiceServer.StartAsync(settings);

        Task<(HttpResponseMessage Response, JsonElement Body)> running;
        Task<(HttpResponseMessage Response, JsonElement Body)> queuedChat;
        Task<HttpResponseMessage> queuedStream;
        string directJob;
        try
        {
            running = server.PostAsync("/v1/chat/completions", Chat);
            await Poll.UntilAsync(() => Task.FromResult(upstream.Hits("/v1/chat/completions") == 1), () => "the first request never reached the upstream");
            queuedChat = server.PostAsync("/v1/chat/completions", Chat);
            queuedStream = server.Client.SendAsync(
                new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = SluiceServer.Json(ChatStream) },
                HttpCompletionOption.ResponseHeadersRead);
            var (submitted, job) = await server.PostAsync("/v1/jobs", """{"model":"remote","input":{"prompt":"direct","max_tokens":2}}""");
            Assert.Equal(HttpStatusCode.Accepted, submitted.StatusCode);
            directJob = job.GetProperty("id").GetString()!;
            await Poll.UntilAsync(async () => await QueuedAsync(server, "remote") == 3, () => "the three requests never queued");

            Volatile.Write(ref up, false);
            await Jobs.WaitHealthAsync(server, "remote", "unhealthy", Patience);
        }
        finally
        {
            release.TrySetResult();
        }

        // The call in flight was already on the upstream: it finishes there.
        var (runningResponse, runningBody) = await running;
        Assert.Equal("remote", runningBody.GetProperty("model").GetString());
        Assert.False(runningResponse.Headers.Contains("X-Sluice-Fallback"));

        var (chatResponse, chatBody) = await queuedChat;
        Assert.True(chatResponse.StatusCode == HttpStatusCode.OK, $"answered {(int)chatResponse.StatusCode}: {chatBody}");
        Assert.Equal("count", chatBody.GetProperty("model").GetString());
        Assert.Equal("1 2", chatBody.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
        Assert.StartsWith("remote; remote is unhealthy", chatResponse.Headers.GetValues("X-Sluice-Fallback").Single());
        Assert.Equal(2, chatBody.GetProperty("usage").GetProperty("completion_tokens").GetInt32());

        // The stream's headers went out at submission (model remote); the chunks written after the move name the fallback.
        using var stream = await queuedStream;
        Assert.Equal(HttpStatusCode.OK, stream.StatusCode);
        Assert.Equal("remote", stream.Headers.GetValues("X-Sluice-Model").Single());
        var payloads = await OpenAiSse.ReadAllAsync(stream);
        Assert.Equal("[DONE]", payloads[^1]);
        Assert.Equal("1 2", OpenAiSse.Text(payloads));
        var models = payloads.Take(payloads.Count - 1).Select(p => JsonDocument.Parse(p).RootElement.GetProperty("model").GetString()).ToList();
        Assert.Equal("remote", models[0]);
        Assert.Equal("count", models[^1]);
        Assert.All(models.Skip(1), m => Assert.Equal("count", m));
        using (var usage = JsonDocument.Parse(payloads[^2]))
        {
            Assert.Equal(2, usage.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        }

        // POST /v1/jobs names its model: it is never moved, and runs on the upstream (which still answers).
        var direct = await server.WaitTerminalAsync(directJob, Patience);
        Assert.Equal("succeeded", direct.GetProperty("status").GetString());
        Assert.Equal("remote", direct.GetProperty("model").GetString());
        Assert.DoesNotContain(await EventsAsync(server, directJob), e => e.Type == "rerouted");
        Assert.Equal(2, upstream.Hits("/v1/chat/completions"));
    }

    /// <summary>Jobs waiting in <paramref name="model"/>'s queue.</summary>
    private static async Task<int> QueuedAsync(SluiceServer server, string model) =>
        (await Jobs.ModelAsync(server, model)).GetProperty("queue").GetProperty("total").GetInt32();

    /// <summary>The job's stored events (it has finished), read from its SSE replay.</summary>
    private static async Task<List<(string Type, JsonElement Data)>> EventsAsync(SluiceServer server, string jobId)
    {
        using var response = await server.Client.GetAsync($"/v1/jobs/{jobId}/events", HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        var events = new List<(string Type, JsonElement Data)>();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        string? type = null;
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                type = line[7..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal) && type is not null)
            {
                using var doc = JsonDocument.Parse(line[6..]);
                events.Add((type, doc.RootElement.Clone()));
                if (type is "completed" or "failed" or "cancelled" or "expired" or "dead_lettered")
                {
                    break;
                }

                type = null;
            }
        }

        return events;
    }

    private static string Describe((HttpResponseMessage Response, JsonElement Body)[] answers) =>
        string.Join("; ", answers.Select(a => $"{(int)a.Response.StatusCode} {a.Body}"));
}
