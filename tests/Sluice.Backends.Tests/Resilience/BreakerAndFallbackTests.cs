using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Sluice.Backends.Tests.Infrastructure;
using Sluice.Backends.Tests.OpenAi;

namespace Sluice.Backends.Tests.Resilience;

/// <summary>Circuit breaker, health probing and fallbacks against fake upstreams.</summary>
public sealed class BreakerAndFallbackTests
{
    [Fact]
    public async Task Breaker_RepeatedUpstreamFailures_OpensFailsFastThenClosesAfterCooldown()
    {
        var healthy = false;
        await using var upstream = await FakeUpstream.StartAsync(app =>
        {
            app.MapGet("/v1/models", FakeOpenAi.ModelsAsync);
            app.MapPost("/v1/chat/completions", async ctx =>
            {
                if (Volatile.Read(ref healthy))
                {
                    await FakeOpenAi.StreamAsync(ctx, ["fine"]);
                    return;
                }

                ctx.Response.StatusCode = 500;
                await ctx.Response.WriteAsync("boom");
            });
        });
        await using var server = await SluiceServer.StartAsync(Settings.Backend("remote", "openai", upstream.Url + "/v1",
            ("MaxRetries", 0), ("BreakerMinimumThroughput", 2), ("BreakerFailureRatio", 0.5), ("BreakerSamplingSeconds", 10), ("BreakerCooldownSeconds", 1),
            ("HealthProbeIntervalSeconds", 0)));

        var first = await Jobs.RunAsync(server, "remote", """{"prompt":"a"}""");
        var second = await Jobs.RunAsync(server, "remote", """{"prompt":"b"}""");
        Assert.Contains("upstream answered 500", first.GetProperty("error").GetString());
        Assert.Contains("upstream answered 500", second.GetProperty("error").GetString());
        await Jobs.WaitHealthAsync(server, "remote", "circuit_open", TimeSpan.FromSeconds(2));

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
        await Task.Delay(1200);
        var fourth = await Jobs.RunAsync(server, "remote", """{"prompt":"d"}""");
        Assert.Equal("succeeded", fourth.GetProperty("status").GetString());
        Assert.Equal(3, upstream.Hits("/v1/chat/completions"));
        var model = await Jobs.ModelAsync(server, "remote");
        Assert.NotEqual("circuit_open", model.GetProperty("metadata").GetProperty("health").GetString());
    }

    [Fact]
    public async Task Fallback_PrimaryUnhealthy_RequestServedByFallbackModel()
    {
        var up = true;
        await using var upstream = await FakeUpstream.StartAsync(app =>
        {
            app.MapGet("/v1/models", async ctx =>
            {
                if (Volatile.Read(ref up))
                {
                    await FakeOpenAi.ModelsAsync(ctx);
                }
                else
                {
                    ctx.Response.StatusCode = 503;
                }
            });
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
        await Jobs.WaitHealthAsync(server, "remote", "unhealthy", TimeSpan.FromSeconds(5));
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

        // One runs (the only upstream slot), one waits in the queue: the model is at its overload depth.
        var running = server.PostAsync("/v1/chat/completions", request);
        var queued = server.PostAsync("/v1/chat/completions", request);
        // Both conditions, not just a queued item: the first request may still sit in the queue before the
        // dispatcher takes it, and a third request sent then would queue behind the held upstream call. The wait is
        // generous because a cold, loaded CI machine can take seconds to get both submits through; proceeding early
        // would route the third request to the held upstream, so a missed state fails here with what was seen.
        HttpResponseMessage response;
        System.Text.Json.JsonElement body;
        try
        {
            var until = DateTime.UtcNow.AddSeconds(60);
            var queuedNow = 0;
            while (DateTime.UtcNow < until)
            {
                queuedNow = (await Jobs.ModelAsync(server, "remote")).GetProperty("queue").GetProperty("total").GetInt32();
                if (upstream.Hits("/v1/chat/completions") >= 1 && queuedNow >= 1)
                {
                    break;
                }

                await Task.Delay(20);
            }

            Assert.True(upstream.Hits("/v1/chat/completions") == 1 && queuedNow == 1,
                $"expected one upstream call held and one job queued; saw {upstream.Hits("/v1/chat/completions")} calls and {queuedNow} queued; "
                + $"first request {Outcome(running)}, second {Outcome(queued)}");
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
        Assert.Equal("slow", (await queued).Body.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
    }

    private static string Outcome(Task<(HttpResponseMessage Response, System.Text.Json.JsonElement Body)> request) =>
        request.IsCompletedSuccessfully ? $"answered {(int)request.Result.Response.StatusCode}: {request.Result.Body}" : $"is {request.Status}";
}
