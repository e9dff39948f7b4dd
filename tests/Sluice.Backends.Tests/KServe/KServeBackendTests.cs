using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Sluice.Backends.Tests.Infrastructure;

namespace Sluice.Backends.Tests.KServe;

/// <summary>The <c>kserve-v2</c> backend against a fake Triton-style server speaking the v2 REST protocol.</summary>
public sealed class KServeBackendTests
{
    /// <summary>Maps a model "adder": input x FP32 [-1, 2], output y FP32 [-1, 1], y = x0 + x1 per row.</summary>
    private static void MapAdder(WebApplication app, Func<int, HttpContext, Task<bool>>? misbehave = null)
    {
        var calls = 0;
        app.MapGet("/v2/models/adder/ready", () => Results.Ok());
        app.MapGet("/v2/models/adder", () => Results.Json(new
        {
            name = "adder",
            platform = "onnxruntime_onnx",
            inputs = new[] { new { name = "x", datatype = "FP32", shape = new[] { -1, 2 } } },
            outputs = new[] { new { name = "y", datatype = "FP32", shape = new[] { -1, 1 } } },
        }));
        app.MapPost("/v2/models/adder/infer", async ctx =>
        {
            if (misbehave is not null && await misbehave(Interlocked.Increment(ref calls), ctx))
            {
                return;
            }

            using var doc = await JsonDocument.ParseAsync(ctx.Request.Body);
            var input = doc.RootElement.GetProperty("inputs")[0];
            var rows = input.GetProperty("shape")[0].GetInt32();
            var data = input.GetProperty("data").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            var sums = new double[rows];
            for (var r = 0; r < rows; r++)
            {
                sums[r] = data[2 * r] + data[(2 * r) + 1];
            }

            await ctx.Response.WriteAsJsonAsync(new { model_name = "adder", outputs = new[] { new { name = "y", datatype = "FP32", shape = new[] { rows, 1 }, data = sums } } });
        });
    }

    [Fact]
    public async Task KServeBackend_ConcurrentJobs_MergedIntoOneBatchedUpstreamCall()
    {
        await using var upstream = await FakeUpstream.StartAsync(app => MapAdder(app));
        // The batch holds for its fourth job however slowly the submits arrive (a 200 ms window split them on a
        // loaded machine); a batch of 4 is full, so it goes the moment the fourth is queued.
        await using var server = await SluiceServer.StartAsync(Settings.Backend("adder", "kserve-v2", upstream.Url, ("MaxBatchSize", 4), ("MaxQueueDelayMs", 60_000)));

        var jobs = await Task.WhenAll(Enumerable.Range(1, 4).Select(i => Jobs.RunAsync(server, "adder", $$"""{"x":[{{i}}, {{i * 10}}]}""")));

        for (var i = 0; i < 4; i++)
        {
            Assert.Equal("succeeded", jobs[i].GetProperty("status").GetString());
            var y = jobs[i].GetProperty("result").GetProperty("outputs")[0];
            Assert.Equal("y", y.GetProperty("name").GetString());
            Assert.Equal(11.0 * (i + 1), y.GetProperty("data")[0].GetDouble());
            Assert.Equal(1, y.GetProperty("shape")[0].GetInt32());
            Assert.Equal(4, jobs[i].GetProperty("batch_size").GetInt32());
        }

        Assert.Equal(1, upstream.Hits("/v2/models/adder/infer"));
        Assert.True(upstream.Bodies.TryDequeue(out var body));
        Assert.Contains("\"shape\":[4,2]", body);
    }

    [Fact]
    public async Task KServeBackend_503ThenDroppedConnection_RetriedBecauseInferenceIsIdempotent()
    {
        await using var upstream = await FakeUpstream.StartAsync(app => MapAdder(app, async (call, ctx) =>
        {
            if (call == 1)
            {
                ctx.Response.StatusCode = 503;
                await ctx.Response.WriteAsync("model loading");
                return true;
            }

            if (call == 2)
            {
                ctx.Abort();
                return true;
            }

            return false;
        }));
        await using var server = await SluiceServer.StartAsync(Settings.Backend("adder", "kserve-v2", upstream.Url));

        var job = await Jobs.RunAsync(server, "adder", """{"x":[2, 3]}""");

        Assert.Equal("succeeded", job.GetProperty("status").GetString());
        Assert.Equal(5.0, job.GetProperty("result").GetProperty("outputs")[0].GetProperty("data")[0].GetDouble());
        Assert.Equal(3, upstream.Hits("/v2/models/adder/infer"));
    }

    [Fact]
    public async Task KServeBackend_Upstream400_NotRetriedAndErrorNamesUpstreamAnswer()
    {
        await using var upstream = await FakeUpstream.StartAsync(app => MapAdder(app, async (_, ctx) =>
        {
            ctx.Response.StatusCode = 400;
            await ctx.Response.WriteAsJsonAsync(new { error = "unexpected datatype" });
            return true;
        }));
        await using var server = await SluiceServer.StartAsync(Settings.Backend("adder", "kserve-v2", upstream.Url, ("Sluice:Models:adder:MaxAttempts", 3)));

        var job = await Jobs.RunAsync(server, "adder", """{"x":[2, 3]}""");

        Assert.NotEqual("succeeded", job.GetProperty("status").GetString());
        Assert.Contains("upstream answered 400", job.GetProperty("error").GetString());
        Assert.Contains("unexpected datatype", job.GetProperty("error").GetString());
        Assert.Equal(1, upstream.Hits("/v2/models/adder/infer"));
    }

    [Fact]
    public async Task SyncInfer_CircuitOpen_Answers503ModelUnavailableWithRetryAfter()
    {
        await using var upstream = await FakeUpstream.StartAsync(app => MapAdder(app, async (_, ctx) =>
        {
            ctx.Response.StatusCode = 500;
            await ctx.Response.WriteAsync("boom");
            return true;
        }));
        await using var server = await SluiceServer.StartAsync(Settings.Backend("adder", "kserve-v2", upstream.Url,
            ("MaxRetries", 0), ("BreakerMinimumThroughput", 2), ("BreakerCooldownSeconds", 60), ("HealthProbeIntervalSeconds", 0)));
        await Jobs.RunAsync(server, "adder", """{"x":[2, 3]}""");
        await Jobs.RunAsync(server, "adder", """{"x":[2, 3]}""");
        await Jobs.WaitHealthAsync(server, "adder", "circuit_open", TimeSpan.FromSeconds(30));

        var (response, problem) = await server.PostAsync("/v1/models/adder/infer", """{"input":{"x":[1, 2]}}""");

        // The input is fine and the upstream was not called: unavailable until the circuit's trial, not "inference failed".
        Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"answered {(int)response.StatusCode}: {problem}");
        Assert.InRange(response.Headers.RetryAfter?.Delta?.TotalSeconds ?? 0, 30, 60);
        Assert.EndsWith("model-unavailable", problem.GetProperty("type").GetString());
        Assert.Equal("model", problem.GetProperty("field").GetString());
        Assert.Contains("circuit open", problem.GetProperty("detail").GetString());
        Assert.Equal(2, upstream.Hits("/v2/models/adder/infer"));
    }

    [Fact]
    public async Task KServeBackend_InputWithWrongShape_ProblemDetailsNameTheField()
    {
        await using var upstream = await FakeUpstream.StartAsync(app => MapAdder(app));
        await using var server = await SluiceServer.StartAsync(Settings.Backend("adder", "kserve-v2", upstream.Url));

        var (response, problem) = await server.PostAsync("/v1/jobs", """{"model":"adder","input":{"x":[1, 2, 3]}}""");
        var (unknown, unknownProblem) = await server.PostAsync("/v1/jobs", """{"model":"adder","input":{"z":[1, 2]}}""");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("input.x", problem.GetProperty("field").GetString());
        Assert.Contains("does not match", problem.GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Equal("input.z", unknownProblem.GetProperty("field").GetString());
        Assert.Equal(0, upstream.Hits("/v2/models/adder/infer"));
    }

    [Fact]
    public async Task KServeBackend_UpstreamDown_ReadyDegradedAndModelUnhealthy()
    {
        await using var upstream = await FakeUpstream.StartAsync(_ => { });
        var url = upstream.Url;
        await upstream.DisposeAsync();
        await using var server = await SluiceServer.StartAsync(Settings.Backend("adder", "kserve-v2", url, ("MaxRetries", 0)));

        using var ready = await server.Client.GetAsync("/health/ready");
        var health = await SluiceServer.ReadJsonAsync(ready);
        var model = await Jobs.ModelAsync(server, "adder");

        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("degraded", health.GetProperty("checks").GetProperty("backends").GetProperty("status").GetString());
        Assert.Equal("unhealthy", model.GetProperty("metadata").GetProperty("health").GetString());
        // One clause says what went wrong ("cannot connect to X failed" read as if connecting had failed to fail).
        var error = model.GetProperty("metadata").GetProperty("health_error").GetString();
        Assert.Contains($"cannot connect to {new Uri(url).GetLeftPart(UriPartial.Authority)}: ", error);
        Assert.DoesNotContain("failed", error);
    }
}
