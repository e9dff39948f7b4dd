using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Sluice.Backends.Tests.Infrastructure;
using Sluice.Testing.Server;

namespace Sluice.Backends.Tests.Resilience;

/// <summary>Circuit breaker, health probing and fallbacks against fake upstreams.</summary>
public sealed class BreakerAndFallbackTests
{
    /// <summary>
    /// The breaker's cooldown. What a test checks while the circuit is open must happen before it ends, which on a
    /// cold, loaded machine can take seconds; the end itself is awaited by polling for half_open, not slept through.
    /// </summary>
    private const double CooldownSeconds = 5;

    [Fact]
    public async Task Breaker_RepeatedUpstreamFailures_OpensFailsFastThenClosesAfterCooldown()
    {
        var healthy = false;
        await using var upstream = await FakeUpstream.StartAsync(app =>
        {
            app.MapGet("/v1/models", FakeOpenAi.ModelsAsync);
            app.MapPost("/v1/chat/completions", FakeOpenAi.ChatWhile(() => Volatile.Read(ref healthy), ["fine"]));
        });
        await using var server = await SluiceServer.StartAsync(Settings.Backend("remote", "openai", upstream.Url + "/v1",
            ("MaxRetries", 0), ("BreakerMinimumThroughput", 2), ("BreakerFailureRatio", 0.5), ("BreakerSamplingSeconds", 10), ("BreakerCooldownSeconds", CooldownSeconds),
            ("HealthProbeIntervalSeconds", 0)));

        var first = await Jobs.RunAsync(server, "remote", """{"prompt":"a"}""");
        var second = await Jobs.RunAsync(server, "remote", """{"prompt":"b"}""");
        Assert.Contains("upstream answered 500", first.GetProperty("error").GetString());
        Assert.Contains("upstream answered 500", second.GetProperty("error").GetString());
        await Jobs.WaitHealthAsync(server, "remote", "circuit_open", TimeSpan.FromSeconds(30));

        // Open: the upstream is not called at all.
        var third = await Jobs.RunAsync(server, "remote", """{"prompt":"c"}""");
        Assert.Contains("circuit open", third.GetProperty("error").GetString());
        Assert.Equal(2, upstream.Hits("/v1/chat/completions"));
        using (var ready = await server.Client.GetAsync("/health/ready"))
        {
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
            var health = await SluiceServer.ReadJsonAsync(ready);
            Assert.Equal("degraded", health.GetProperty("checks").GetProperty("backends").GetProperty("status").GetString());
        }

        // After the cooldown one trial call goes through; it succeeds and the circuit closes.
        Volatile.Write(ref healthy, true);
        await Jobs.WaitHealthAsync(server, "remote", "half_open", TimeSpan.FromSeconds(60));
        var fourth = await Jobs.RunAsync(server, "remote", """{"prompt":"d"}""");
        Assert.Equal("succeeded", fourth.GetProperty("status").GetString());
        Assert.Equal(3, upstream.Hits("/v1/chat/completions"));
        var model = await Jobs.ModelAsync(server, "remote");
        Assert.NotEqual("circuit_open", model.GetProperty("metadata").GetProperty("health").GetString());
    }

    [Fact]
    public async Task Breaker_CircuitOpen_ErrorNamesTheFailureThatOpenedIt()
    {
        await using var upstream = await FakeUpstream.StartAsync(app =>
        {
            app.MapGet("/v1/models", FakeOpenAi.ModelsAsync);
            app.MapPost("/v1/chat/completions", FakeOpenAi.Failing("the GPU fell off the bus"));
        });
        await using var server = await SluiceServer.StartAsync(Settings.Backend("remote", "openai", upstream.Url + "/v1",
            ("MaxRetries", 0), ("BreakerMinimumThroughput", 2), ("BreakerFailureRatio", 0.5), ("BreakerSamplingSeconds", 10), ("BreakerCooldownSeconds", 60),
            ("HealthProbeIntervalSeconds", 0)));

        await Jobs.RunAsync(server, "remote", """{"prompt":"a"}""");
        await Jobs.RunAsync(server, "remote", """{"prompt":"b"}""");
        await Jobs.WaitHealthAsync(server, "remote", "circuit_open", TimeSpan.FromSeconds(30));

        // A job that meets the open circuit still learns what is wrong with the upstream.
        var refused = await Jobs.RunAsync(server, "remote", """{"prompt":"c"}""");
        var error = refused.GetProperty("error").GetString();
        Assert.Contains("circuit open", error);
        Assert.Contains("upstream answered 500 Internal Server Error: the GPU fell off the bus", error);
        Assert.DoesNotContain("): backend 'remote'", error);
    }

    [Fact]
    public async Task ChatCompletions_CircuitOpen_Answers503WithRetryAfterUntilTheTrial()
    {
        await using var upstream = await FakeOpenAi.StartFailingAsync();
        await using var server = await SluiceServer.StartAsync(Breaker(upstream, 60));
        await OpenCircuitAsync(server, upstream);

        var (response, body) = await server.PostAsync("/v1/chat/completions", Chat);

        // Not a bad answer from the upstream (it was not called): unavailable until the circuit's trial, and when that is.
        Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"answered {(int)response.StatusCode}: {body}");
        var retryAfter = response.Headers.RetryAfter?.Delta ?? throw new Xunit.Sdk.XunitException("no Retry-After");
        Assert.InRange(retryAfter.TotalSeconds, 30, 60);
        var error = body.GetProperty("error");
        Assert.Equal("server_error", error.GetProperty("type").GetString());
        Assert.Equal("model_unavailable", error.GetProperty("code").GetString());
        Assert.Equal("model", error.GetProperty("param").GetString());
        Assert.Contains("circuit open", error.GetProperty("message").GetString());
        Assert.True(response.Headers.Contains("X-Sluice-Job-Id"));
        Assert.Equal(2, upstream.Hits("/v1/chat/completions"));
    }

    [Fact]
    public async Task ChatCompletions_CircuitOpenNoFallbackRetriesLeft_Answers503AtOnceNotAfterTheTrial()
    {
        await using var upstream = await FakeOpenAi.StartFailingAsync();
        await using var server = await SluiceServer.StartAsync(WithRetries(Breaker(upstream, LongCooldownSeconds)));
        await OpenCircuitWithJobAsync(server, upstream);

        // The job has attempts left, which an async job spends waiting for the circuit's trial call. A client waiting
        // on its HTTP request is told now, with the time of that trial, rather than held until it (or its deadline).
        await AssertAnsweredUnavailableAtOnceAsync(server, upstream, LongCooldownSeconds / 2, LongCooldownSeconds, "circuit open", 2, "circuit_open");
    }

    [Fact]
    public async Task ChatCompletionsStream_CircuitOpenNoFallbackRetriesLeft_ErrorChunkAtOnceNotAfterTheTrial()
    {
        await using var upstream = await FakeOpenAi.StartFailingAsync();
        await using var server = await SluiceServer.StartAsync(WithRetries(Breaker(upstream, LongCooldownSeconds)));
        await OpenCircuitWithJobAsync(server, upstream);

        var error = await StreamErrorAsync(server);
        Assert.Equal("model_unavailable", error.GetProperty("code").GetString());
        Assert.Contains("circuit open", error.GetProperty("message").GetString());
        Assert.Equal(2, upstream.Hits("/v1/chat/completions"));
    }

    [Fact]
    public async Task ChatCompletions_CircuitOpenFallbackCircuitOpenToo_Answers503AtOnceNotAfterTheTrial()
    {
        await using var upstream = await FakeOpenAi.StartFailingAsync();
        await using var server = await SluiceServer.StartAsync(BothDown(upstream));
        await OpenBothCircuitsAsync(server, upstream);

        // No model of the chain can take the job: a gateway answers "no healthy upstream" now (Envoy's 503), it
        // does not keep the client until the cooldown ends in the hope that one comes back.
        await AssertAnsweredUnavailableAtOnceAsync(server, upstream, LongCooldownSeconds / 2, LongCooldownSeconds, "circuit open", 4, "circuit_open");
    }

    [Fact]
    public async Task ChatCompletionsStream_CircuitOpenFallbackCircuitOpenToo_ErrorChunkAtOnceNotAfterTheTrial()
    {
        await using var upstream = await FakeOpenAi.StartFailingAsync();
        await using var server = await SluiceServer.StartAsync(BothDown(upstream));
        await OpenBothCircuitsAsync(server, upstream);

        var error = await StreamErrorAsync(server);
        Assert.Equal("model_unavailable", error.GetProperty("code").GetString());
        Assert.Contains("circuit open", error.GetProperty("message").GetString());
        Assert.Equal(4, upstream.Hits("/v1/chat/completions"));
    }

    [Fact]
    public async Task ChatCompletions_UpstreamRetryAfterAnHour_Answers503WithThatRetryAfterAtOnce()
    {
        await using var upstream = await FakeOpenAi.StartBusyAsync(3600);
        // In-line retries as configured by default (2): none may wait out, or spend a call against, an hour's Retry-After.
        await using var server = await SluiceServer.StartAsync(WithRetries(Settings.Backend("remote", "openai", upstream.Url + "/v1", ("HealthProbeIntervalSeconds", 0))));

        // The job's retry is held back an hour, as the upstream asked: the client waiting on its request is told so now.
        await AssertAnsweredUnavailableAtOnceAsync(server, upstream, 3000, 3600, "upstream answered 429", 1, "upstream_unavailable");
    }

    [Fact]
    public async Task ChatCompletionsStream_UpstreamRetryAfterAnHour_ErrorChunkAtOnce()
    {
        await using var upstream = await FakeOpenAi.StartBusyAsync(3600);
        await using var server = await SluiceServer.StartAsync(WithRetries(Settings.Backend("remote", "openai", upstream.Url + "/v1", ("HealthProbeIntervalSeconds", 0))));

        var error = await StreamErrorAsync(server);
        Assert.Equal("model_unavailable", error.GetProperty("code").GetString());
        Assert.Contains("upstream answered 429", error.GetProperty("message").GetString());
        Assert.Equal(1, upstream.Hits("/v1/chat/completions"));
    }

    [Fact]
    public async Task ChatCompletions_RetryHeldBackByUpstream_JobsFinishedCountsFailedNotCancelled()
    {
        await using var upstream = await FakeOpenAi.StartBusyAsync(3600);
        await using var server = await SluiceServer.StartAsync(WithRetries(Settings.Backend("remote", "openai", upstream.Url + "/v1", ("HealthProbeIntervalSeconds", 0))));

        // One request answered 503, one stream ended with its error chunk: neither client cancelled anything.
        var (response, body) = await server.PostAsync("/v1/chat/completions", Chat);
        Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"answered {(int)response.StatusCode}: {body}");
        var error = await StreamErrorAsync(server);
        Assert.Equal("model_unavailable", error.GetProperty("code").GetString());
        await Poll.UntilAsync(async () => await FinishedAsync(server, "failed") + await FinishedAsync(server, "cancelled") == 2,
            () => "the two jobs never ended");

        // Upstream unavailability reads as failures on the dashboards, not as client cancellations.
        Assert.Equal(2, await FinishedAsync(server, "failed"));
        Assert.Equal(0, await FinishedAsync(server, "cancelled"));
    }

    [Fact]
    public async Task ChatCompletions_UpstreamRetryAfterAnHourWithFallback_AnsweredByTheFallbackAtOnce()
    {
        await using var upstream = await FakeOpenAi.StartBusyAsync(3600);
        await using var server = await SluiceServer.StartAsync(BusyWithFallback(upstream));

        // A 429 opens no circuit and marks nothing unhealthy; the job's retry would wait an hour while "count" idles.
        var (response, body) = await server.PostAsync("/v1/chat/completions", Chat).WaitAsync(TimeSpan.FromSeconds(LongCooldownSeconds / 2));

        Assert.True(response.StatusCode == HttpStatusCode.OK, $"answered {(int)response.StatusCode}: {body}");
        Assert.Equal("count", body.GetProperty("model").GetString());
        Assert.Equal("1 2", body.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
        Assert.Equal("count", response.Headers.GetValues("X-Sluice-Model").Single());
        Assert.StartsWith("remote; remote's upstream asked for 3600 s", response.Headers.GetValues("X-Sluice-Fallback").Single());
        Assert.Equal(1, upstream.Hits("/v1/chat/completions"));
        var job = await server.GetJsonAsync("/v1/jobs/" + response.Headers.GetValues("X-Sluice-Job-Id").Single());
        Assert.Equal("succeeded", job.GetProperty("status").GetString());
        Assert.Equal("count", job.GetProperty("model").GetString());
        // The attempt the upstream turned away is given back, as for a call the open circuit refused.
        Assert.Equal(1, job.GetProperty("attempts").GetInt32());
    }

    [Fact]
    public async Task ChatCompletionsStream_UpstreamRetryAfterAnHourWithFallback_StreamsTheFallbacksAnswer()
    {
        await using var upstream = await FakeOpenAi.StartBusyAsync(3600);
        await using var server = await SluiceServer.StartAsync(BusyWithFallback(upstream));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = SluiceServer.Json("""{"model":"remote","messages":[{"role":"user","content":"x"}],"max_tokens":2,"stream":true}"""),
        };

        using var response = await server.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var payloads = await OpenAiSse.ReadAllAsync(response).WaitAsync(TimeSpan.FromSeconds(LongCooldownSeconds / 2));

        Assert.Equal("[DONE]", payloads[^1]);
        Assert.DoesNotContain(payloads, p => p.Contains("\"error\"", StringComparison.Ordinal));
        Assert.Equal("1 2", OpenAiSse.Text(payloads));
        using (var last = System.Text.Json.JsonDocument.Parse(payloads[^2]))
        {
            Assert.Equal("count", last.RootElement.GetProperty("model").GetString());
        }

        Assert.Equal(1, upstream.Hits("/v1/chat/completions"));
    }

    [Fact]
    public async Task ChatCompletions_UpstreamShortRetryAfterOutlastsInLineRetriesWithFallback_AnsweredByTheFallback()
    {
        await using var upstream = await FakeOpenAi.StartBusyAsync(1);
        await using var server = await SluiceServer.StartAsync(BusyWithFallback(upstream));

        // 1 s is waited out in-line (twice, by default); still turned away, the job's retry would wait it again.
        var (response, body) = await server.PostAsync("/v1/chat/completions", Chat).WaitAsync(TimeSpan.FromSeconds(LongCooldownSeconds / 2));

        Assert.True(response.StatusCode == HttpStatusCode.OK, $"answered {(int)response.StatusCode}: {body}");
        Assert.Equal("count", body.GetProperty("model").GetString());
        Assert.StartsWith("remote; remote's upstream asked for 1 s", response.Headers.GetValues("X-Sluice-Fallback").Single());
        Assert.Equal(3, upstream.Hits("/v1/chat/completions"));
    }

    [Fact]
    public async Task ChatCompletions_LastAttemptMeetsUpstreamRetryAfterWithFallback_AnsweredByTheFallbackNotDeadLettered()
    {
        await using var upstream = await FakeOpenAi.StartBusyAsync(7);
        var settings = BusyWithFallback(upstream);
        settings["Sluice:Models:remote:MaxAttempts"] = "1";
        settings["Sluice:Backends:remote:MaxRetries"] = "0";
        await using var server = await SluiceServer.StartAsync(settings);

        // The upstream did not take the call: the move gives the attempt back, so even the last one moves.
        var (response, body) = await server.PostAsync("/v1/chat/completions", Chat).WaitAsync(TimeSpan.FromSeconds(LongCooldownSeconds / 2));

        Assert.True(response.StatusCode == HttpStatusCode.OK, $"answered {(int)response.StatusCode}: {body}");
        Assert.Equal("count", body.GetProperty("model").GetString());
        Assert.Equal(1, upstream.Hits("/v1/chat/completions"));
    }

    [Fact]
    public async Task JobsApi_UpstreamRetryAfterAnHourWithFallback_StaysOnTheModelNamed()
    {
        await using var upstream = await FakeOpenAi.StartBusyAsync(3600);
        await using var server = await SluiceServer.StartAsync(BusyWithFallback(upstream));

        // POST /v1/jobs runs on the model it names: its retry waits out the Retry-After, it is not moved.
        var (submitted, accepted) = await server.PostAsync("/v1/jobs", """{"model":"remote","input":{"prompt":"x","max_tokens":2}}""");
        Assert.True(submitted.StatusCode == HttpStatusCode.Accepted, $"answered {(int)submitted.StatusCode}: {accepted}");
        var id = accepted.GetProperty("id").GetString()!;
        await Poll.UntilAsync(async () => (await server.GetJsonAsync("/v1/jobs/" + id)).TryGetProperty("error", out _),
            () => "the job's attempt never failed", TimeSpan.FromSeconds(LongCooldownSeconds / 2));

        var job = await server.GetJsonAsync("/v1/jobs/" + id);
        Assert.Equal("remote", job.GetProperty("model").GetString());
        Assert.Equal("queued", job.GetProperty("status").GetString());
        Assert.Equal(1, job.GetProperty("attempts").GetInt32());
        Assert.Contains("upstream answered 429", job.GetProperty("error").GetString());
    }

    [Fact]
    public async Task JobRetry_AttemptRefusedByOpenCircuit_WaitsForTheTrialInsteadOfDeadLettering()
    {
        var healthy = false;
        await using var upstream = await FakeUpstream.StartAsync(app =>
        {
            app.MapGet("/v1/models", FakeOpenAi.ModelsAsync);
            app.MapPost("/v1/chat/completions", FakeOpenAi.ChatWhile(() => Volatile.Read(ref healthy), ["back"]));
        });
        // A quick job backoff: three attempts spent on the open circuit would take well under a second.
        await using var server = await SluiceServer.StartAsync(WithRetries(Breaker(upstream, 3)));
        await OpenCircuitWithJobAsync(server, upstream);
        Volatile.Write(ref healthy, true);

        // Refused by the open circuit, the job's retry waits for the circuit's trial call, which it then is.
        var job = await Jobs.RunAsync(server, "remote", """{"prompt":"c"}""");
        Assert.True(job.GetProperty("status").GetString() == "succeeded", $"the job ended {job}");
        Assert.Equal("back", job.GetProperty("result").GetProperty("text").GetString());
        Assert.Equal(2, job.GetProperty("attempts").GetInt32());
        Assert.Equal(3, upstream.Hits("/v1/chat/completions"));
    }

    [Fact]
    public async Task Fallback_CircuitOpenThenCooldownPasses_RequestsReturnToPrimary()
    {
        var healthy = false;
        await using var upstream = await FakeUpstream.StartAsync(app =>
        {
            app.MapGet("/v1/models", FakeOpenAi.ModelsAsync);
            app.MapPost("/v1/chat/completions", FakeOpenAi.ChatWhile(() => Volatile.Read(ref healthy), ["primary"]));
        });
        var settings = Breaker(upstream, CooldownSeconds, 0, ("Fallback", "count"));
        settings["Sluice:BuiltIns:CountStepMs"] = "1";
        await using var server = await SluiceServer.StartAsync(settings);

        await OpenCircuitAsync(server, upstream);
        var (whileOpen, whileOpenBody) = await server.PostAsync("/v1/chat/completions", Chat);
        Assert.Equal("count", whileOpenBody.GetProperty("model").GetString());
        Assert.Contains("circuit_open", whileOpen.Headers.GetValues("X-Sluice-Fallback").Single());

        // Only chat requests from here on: the fallback must not keep the primary from its trial call.
        Volatile.Write(ref healthy, true);
        await Jobs.WaitHealthAsync(server, "remote", "half_open", TimeSpan.FromSeconds(60));
        for (var i = 0; i < 2; i++)
        {
            var (response, body) = await server.PostAsync("/v1/chat/completions", Chat);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("remote", body.GetProperty("model").GetString());
            Assert.Equal("primary", body.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
            Assert.False(response.Headers.Contains("X-Sluice-Fallback"));
        }

        Assert.Equal(4, upstream.Hits("/v1/chat/completions"));
        Assert.Equal(0, upstream.Hits("/v1/jobs"));
        await Jobs.WaitHealthAsync(server, "remote", "healthy", TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Fallback_ConcurrentRequestsAfterCooldown_OneTrialOnPrimaryOthersOnFallback()
    {
        var healthy = false;
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var upstream = await FakeUpstream.StartAsync(app =>
        {
            app.MapGet("/v1/models", FakeOpenAi.ModelsAsync);
            app.MapPost("/v1/chat/completions", async ctx =>
            {
                if (Volatile.Read(ref healthy))
                {
                    await release.Task;
                    await FakeOpenAi.StreamAsync(ctx, ["primary"]);
                    return;
                }

                ctx.Response.StatusCode = 500;
                await ctx.Response.WriteAsync("boom");
            });
        });
        var settings = Breaker(upstream, CooldownSeconds, 0, ("Fallback", "count"));
        settings["Sluice:BuiltIns:CountStepMs"] = "1";
        await using var server = await SluiceServer.StartAsync(settings);
        await OpenCircuitAsync(server, upstream);
        Volatile.Write(ref healthy, true);
        await Jobs.WaitHealthAsync(server, "remote", "half_open", TimeSpan.FromSeconds(60));

        // The circuit admits one trial call: of three requests at once, one waits on the primary and the other two
        // are answered by the fallback instead of being refused by the half-open circuit.
        var requests = new[] { server.PostAsync("/v1/chat/completions", Chat), server.PostAsync("/v1/chat/completions", Chat), server.PostAsync("/v1/chat/completions", Chat) };
        try
        {
            var until = DateTime.UtcNow.AddSeconds(30);
            while (requests.Count(r => r.IsCompleted) < 2 && DateTime.UtcNow < until)
            {
                await Task.Delay(20);
            }

            var done = requests.Where(r => r.IsCompleted).Select(r => r.Result).ToList();
            Assert.Equal(2, done.Count);
            foreach (var (response, body) in done)
            {
                Assert.True(response.StatusCode == HttpStatusCode.OK, $"answered {(int)response.StatusCode}: {body}");
                Assert.Equal("count", body.GetProperty("model").GetString());
                Assert.Contains("half_open", response.Headers.GetValues("X-Sluice-Fallback").Single());
            }

            // The trial may still be on its way to the upstream when the fallback's answers are back.
            await Poll.UntilAsync(() => Task.FromResult(upstream.Hits("/v1/chat/completions") >= 3), () => $"the trial call never reached the upstream ({upstream.Hits("/v1/chat/completions")} calls)");
            Assert.Equal(3, upstream.Hits("/v1/chat/completions"));
        }
        finally
        {
            release.TrySetResult();
        }

        var trial = (await Task.WhenAll(requests)).Single(r => !r.Response.Headers.Contains("X-Sluice-Fallback"));
        Assert.Equal("primary", trial.Body.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
        var (after, afterBody) = await server.PostAsync("/v1/chat/completions", Chat);
        Assert.Equal("remote", afterBody.GetProperty("model").GetString());
        Assert.False(after.Headers.Contains("X-Sluice-Fallback"));
    }

    [Fact]
    public async Task Fallback_TrialClaimantRefusedBeforeQueueing_NextRequestIsTheTrial()
    {
        var healthy = false;
        await using var upstream = await FakeUpstream.StartAsync(app =>
        {
            app.MapGet("/v1/models", FakeOpenAi.ModelsAsync);
            app.MapPost("/v1/chat/completions", FakeOpenAi.ChatWhile(() => Volatile.Read(ref healthy), ["primary"]));
        });
        var settings = Breaker(upstream, 1, 0, ("Fallback", "count"));
        settings["Sluice:BuiltIns:CountStepMs"] = "1";
        settings["Sluice:Auth:Keys:0:Id"] = "alice";
        settings["Sluice:Auth:Keys:0:Key"] = "sk-alice";
        settings["Sluice:Auth:Keys:0:TokensPerMinute"] = "100";
        await using var server = await SluiceServer.StartAsync(settings);
        for (var i = 0; i < 2; i++)
        {
            var (failed, failedBody) = await server.PostAsync("/v1/chat/completions", Chat, key: "sk-alice");
            Assert.True(failed.StatusCode == HttpStatusCode.BadGateway, $"answered {(int)failed.StatusCode}: {failedBody}");
        }

        Volatile.Write(ref healthy, true);
        await Poll.UntilAsync(async () =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/models/remote");
            request.Headers.Add("X-Api-Key", "sk-alice");
            using var answer = await server.Client.SendAsync(request);
            var model = await SluiceServer.ReadJsonAsync(answer);
            return model.GetProperty("metadata").GetProperty("health").GetString() == "half_open";
        }, () => "the circuit never reached half_open");

        // Routed as the trial call, then refused before it was queued (more tokens than the key's whole budget).
        var (refused, refusedBody) = await server.PostAsync("/v1/chat/completions",
            """{"model":"remote","messages":[{"role":"user","content":"x"}],"max_tokens":500}""", key: "sk-alice");
        Assert.True(refused.StatusCode == (HttpStatusCode)429, $"answered {(int)refused.StatusCode}: {refusedBody}");

        // Its claim went with it: the next request is the trial (not sent to the fallback for the request timeout).
        var (response, body) = await server.PostAsync("/v1/chat/completions", Chat, key: "sk-alice");
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"answered {(int)response.StatusCode}: {body}");
        Assert.Equal("remote", body.GetProperty("model").GetString());
        Assert.False(response.Headers.Contains("X-Sluice-Fallback"));
        Assert.Equal(3, upstream.Hits("/v1/chat/completions"));
    }

    [Fact]
    public async Task HealthProbe_SucceedsAfterCooldown_ClosesCircuitWithoutTraffic()
    {
        await using var upstream = await FakeOpenAi.StartFailingAsync();
        await using var server = await SluiceServer.StartAsync(Breaker(upstream, CooldownSeconds, 0.2));

        await OpenCircuitAsync(server, upstream);

        // No request is sent: the probes that follow the cooldown decide.
        await Jobs.WaitHealthAsync(server, "remote", "healthy", TimeSpan.FromSeconds(60));
        using var ready = await server.Client.GetAsync("/health/ready");
        var health = await SluiceServer.ReadJsonAsync(ready);
        Assert.Equal("healthy", health.GetProperty("checks").GetProperty("backends").GetProperty("status").GetString());
        Assert.Equal(2, upstream.Hits("/v1/chat/completions"));
    }

    [Fact]
    public async Task Fallback_PrimaryUnhealthy_RequestServedByFallbackModel()
    {
        var up = true;
        await using var upstream = await FakeUpstream.StartAsync(app =>
        {
            app.MapGet("/v1/models", FakeOpenAi.ModelsWhile(() => Volatile.Read(ref up)));
            app.MapPost("/v1/chat/completions", ctx => FakeOpenAi.StreamAsync(ctx, ["from", " upstream"]));
        });
        var settings = Settings.Backend("remote", "openai", upstream.Url + "/v1", ("HealthProbeIntervalSeconds", 0.2), ("Fallback", "count"));
        settings["Sluice:BuiltIns:CountStepMs"] = "1";
        await using var server = await SluiceServer.StartAsync(settings);
        const string request = """{"model":"remote","messages":[{"role":"user","content":"x"}],"max_tokens":3}""";

        var (healthyResponse, healthyBody) = await server.PostAsync("/v1/chat/completions", request);
        Assert.Equal("from upstream", healthyBody.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
        Assert.False(healthyResponse.Headers.Contains("X-Sluice-Fallback"));

        Volatile.Write(ref up, false);
        await Jobs.WaitHealthAsync(server, "remote", "unhealthy", TimeSpan.FromSeconds(30));
        var (response, body) = await server.PostAsync("/v1/chat/completions", request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("count", body.GetProperty("model").GetString());
        Assert.Equal("1 2 3", body.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
        Assert.StartsWith("remote; remote is unhealthy", response.Headers.GetValues("X-Sluice-Fallback").Single());
        Assert.Equal(1, upstream.Hits("/v1/chat/completions"));

        var model = await Jobs.ModelAsync(server, "remote");
        Assert.Contains("503", model.GetProperty("metadata").GetProperty("health_error").GetString());
    }

    [Fact]
    public async Task Fallback_PrimaryOverloaded_RequestServedByFallbackModel()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var upstream = await FakeUpstream.StartAsync(app =>
        {
            app.MapGet("/v1/models", FakeOpenAi.ModelsAsync);
            app.MapPost("/v1/chat/completions", async ctx =>
            {
                await release.Task;
                await FakeOpenAi.StreamAsync(ctx, ["slow"]);
            });
        });
        var settings = Settings.Backend("remote", "openai", upstream.Url + "/v1", ("MaxConcurrency", 1), ("FallbackQueueDepth", 1), ("Fallback", "count"));
        settings["Sluice:BuiltIns:CountStepMs"] = "1";
        await using var server = await SluiceServer.StartAsync(settings);
        const string request = """{"model":"remote","messages":[{"role":"user","content":"x"}],"max_tokens":2}""";

        // One runs (the only upstream slot), one waits in the queue: the model is at its overload depth. The requests
        // go one at a time, each after the state it must produce is seen: sent together, the second could find the
        // first still queued (before the dispatcher takes it) and be routed to the fallback itself. The waits are
        // generous because a cold, loaded CI machine can take seconds per submit; a missed state fails with what was seen.
        HttpResponseMessage response;
        System.Text.Json.JsonElement body;
        Task<(HttpResponseMessage Response, System.Text.Json.JsonElement Body)>? queued = null;
        var running = server.PostAsync("/v1/chat/completions", request);
        try
        {
            await Poll.UntilAsync(() => Task.FromResult(upstream.Hits("/v1/chat/completions") == 1),
                () => $"the first request never reached the upstream; it {Outcome(running)}");
            queued = server.PostAsync("/v1/chat/completions", request);
            await Poll.UntilAsync(async () => (await Jobs.ModelAsync(server, "remote")).GetProperty("queue").GetProperty("total").GetInt32() == 1,
                () => $"the second request never queued; it {Outcome(queued)}");
            Assert.True(upstream.Hits("/v1/chat/completions") == 1, $"the second request reached the upstream; it {Outcome(queued)}");
            (response, body) = await server.PostAsync("/v1/chat/completions", request);
        }
        finally
        {
            release.TrySetResult();
        }

        Assert.True(response.StatusCode == HttpStatusCode.OK, $"the third request answered {(int)response.StatusCode}: {body}");
        Assert.Equal("count", body.GetProperty("model").GetString());
        Assert.Contains("overloaded", response.Headers.GetValues("X-Sluice-Fallback").Single());
        Assert.Equal("slow", (await running).Body.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
        Assert.Equal("slow", (await queued!).Body.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
    }

    /// <summary>
    /// Model "remote" on <paramref name="upstream"/> behind a breaker that opens after two failed calls (no in-line
    /// retries) for <paramref name="cooldownSeconds"/>, with health probes every <paramref name="probeSeconds"/> (0: none).
    /// </summary>
    private static Dictionary<string, string> Breaker(FakeUpstream upstream, double cooldownSeconds, double probeSeconds = 0, params (string Key, object Value)[] extra) =>
        Settings.Backend("remote", "openai", upstream.Url + "/v1",
            [("MaxRetries", 0), ("BreakerMinimumThroughput", 2), ("BreakerCooldownSeconds", cooldownSeconds), ("HealthProbeIntervalSeconds", probeSeconds), .. extra]);

    private const string Chat = """{"model":"remote","messages":[{"role":"user","content":"x"}],"max_tokens":2}""";

    /// <summary>Two failing chat calls open the circuit (BreakerMinimumThroughput 2).</summary>
    private static async Task OpenCircuitAsync(SluiceServer server, FakeUpstream upstream)
    {
        for (var i = 0; i < 2; i++)
        {
            var (response, body) = await server.PostAsync("/v1/chat/completions", Chat);
            // The upstream answered badly: a 502, without Retry-After (nothing says when it will be better).
            Assert.True(response.StatusCode == HttpStatusCode.BadGateway, $"answered {(int)response.StatusCode}: {body}");
            Assert.Null(response.Headers.RetryAfter);
        }

        await Jobs.WaitHealthAsync(server, "remote", "circuit_open", TimeSpan.FromSeconds(30));
        Assert.Equal(2, upstream.Hits("/v1/chat/completions"));
    }

    /// <summary>A cooldown long enough that waiting through it cannot be mistaken for a prompt answer.</summary>
    private const double LongCooldownSeconds = 60;

    /// <summary>The model's jobs get the default three attempts and a quick backoff (refusals are retried, not final).</summary>
    private static Dictionary<string, string> WithRetries(Dictionary<string, string> settings)
    {
        settings["Sluice:Models:remote:MaxAttempts"] = "3";
        settings["Sluice:Retry:BaseDelay"] = "00:00:00.05";
        settings["Sluice:Retry:MaxDelay"] = "00:00:00.1";
        return settings;
    }

    /// <summary>
    /// An async job opens the circuit: its first two attempts fail on the upstream (BreakerMinimumThroughput 2), its
    /// last is refused by the open circuit.
    /// </summary>
    private static async Task OpenCircuitWithJobAsync(SluiceServer server, FakeUpstream upstream)
    {
        var opener = await Jobs.RunAsync(server, "remote", """{"prompt":"a"}""");
        Assert.Equal("dead_lettered", opener.GetProperty("status").GetString());
        await Jobs.WaitHealthAsync(server, "remote", "circuit_open", TimeSpan.FromSeconds(30));
        Assert.Equal(2, upstream.Hits("/v1/chat/completions"));
    }

    /// <summary>
    /// A chat request answered well before the cooldown with 503 <c>model_unavailable</c> (<c>param</c> <c>model</c>),
    /// a <c>Retry-After</c> in the range given and a message containing <paramref name="message"/>, after
    /// <paramref name="upstreamCalls"/> upstream calls in all; its job, which nobody waits for any more, ends failed with
    /// that refusal and its <paramref name="errorCode"/> (it does not stay queued to be the trial call, and no client
    /// cancelled it).
    /// </summary>
    private static async Task AssertAnsweredUnavailableAtOnceAsync(SluiceServer server, FakeUpstream upstream, double minRetryAfterSeconds, double maxRetryAfterSeconds, string message, int upstreamCalls, string errorCode)
    {
        var (response, body) = await server.PostAsync("/v1/chat/completions", Chat).WaitAsync(TimeSpan.FromSeconds(LongCooldownSeconds / 2));

        Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"answered {(int)response.StatusCode}: {body}");
        var retryAfter = response.Headers.RetryAfter?.Delta ?? throw new Xunit.Sdk.XunitException("no Retry-After");
        Assert.InRange(retryAfter.TotalSeconds, minRetryAfterSeconds, maxRetryAfterSeconds);
        var error = body.GetProperty("error");
        Assert.Equal("model_unavailable", error.GetProperty("code").GetString());
        Assert.Equal("model", error.GetProperty("param").GetString());
        Assert.Contains(message, error.GetProperty("message").GetString());
        Assert.Equal(upstreamCalls, upstream.Hits("/v1/chat/completions"));
        var job = await server.WaitTerminalAsync(response.Headers.GetValues("X-Sluice-Job-Id").Single(), TimeSpan.FromSeconds(10));
        Assert.Equal("failed", job.GetProperty("status").GetString());
        Assert.Contains(message, job.GetProperty("error").GetString());
        Assert.Equal(errorCode, job.GetProperty("error_code").GetString());
    }

    /// <summary>The error of the chunk a streamed chat request ends with, read well before the cooldown.</summary>
    private static async Task<System.Text.Json.JsonElement> StreamErrorAsync(SluiceServer server)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = SluiceServer.Json("""{"model":"remote","messages":[{"role":"user","content":"x"}],"max_tokens":2,"stream":true}"""),
        };
        using var response = await server.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var payloads = await OpenAiSse.ReadAllAsync(response).WaitAsync(TimeSpan.FromSeconds(LongCooldownSeconds / 2));

        var last = payloads.Last(p => p != "[DONE]");
        using var chunk = System.Text.Json.JsonDocument.Parse(last);
        return chunk.RootElement.GetProperty("error").Clone();
    }

    /// <summary><c>sluice_jobs_finished_total{model="remote",status=…}</c> on the server's /metrics (0 when absent).</summary>
    private static Task<long> FinishedAsync(SluiceServer server, string status) =>
        PrometheusText.CounterAsync(server.Client, "sluice_jobs_finished_total", "model=\"remote\"", $"status=\"{status}\"");

    /// <summary>Model "remote" on <paramref name="upstream"/> (in-line retries as by default) falling back to "count", with the jobs' default three attempts.</summary>
    private static Dictionary<string, string> BusyWithFallback(FakeUpstream upstream)
    {
        var settings = WithRetries(Settings.Backend("remote", "openai", upstream.Url + "/v1", ("HealthProbeIntervalSeconds", 0), ("Fallback", "count")));
        settings["Sluice:BuiltIns:CountStepMs"] = "1";
        return settings;
    }

    /// <summary>
    /// Models "remote" and "remote2" on <paramref name="upstream"/>, each the other's <c>Fallback</c>, with breakers as
    /// <see cref="Breaker"/>'s (a long cooldown) and the jobs' default three attempts.
    /// </summary>
    private static Dictionary<string, string> BothDown(FakeUpstream upstream)
    {
        var settings = WithRetries(Breaker(upstream, LongCooldownSeconds, 0, ("Fallback", "remote2")));
        foreach (var (key, value) in Settings.Backend("remote2", "openai", upstream.Url + "/v1",
            ("MaxRetries", 0), ("BreakerMinimumThroughput", 2), ("BreakerCooldownSeconds", LongCooldownSeconds), ("HealthProbeIntervalSeconds", 0), ("Fallback", "remote")))
        {
            settings[key] = value;
        }

        settings["Sluice:Models:remote2:MaxAttempts"] = "3";
        return settings;
    }

    /// <summary>An async job on each of "remote" and "remote2" opens its circuit (see <see cref="OpenCircuitWithJobAsync"/>).</summary>
    private static async Task OpenBothCircuitsAsync(SluiceServer server, FakeUpstream upstream)
    {
        await OpenCircuitWithJobAsync(server, upstream);
        var opener = await Jobs.RunAsync(server, "remote2", """{"prompt":"a"}""");
        Assert.Equal("dead_lettered", opener.GetProperty("status").GetString());
        await Jobs.WaitHealthAsync(server, "remote2", "circuit_open", TimeSpan.FromSeconds(30));
        Assert.Equal(4, upstream.Hits("/v1/chat/completions"));
    }

    private static string Outcome(Task<(HttpResponseMessage Response, System.Text.Json.JsonElement Body)> request) =>
        request.IsCompletedSuccessfully ? $"answered {(int)request.Result.Response.StatusCode}: {request.Result.Body}" : $"is {request.Status}";
}
