using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Sluice.Server.Tests.Infrastructure;
using Sluice.Testing;

namespace Sluice.Server.Tests.Apis;

public sealed class OpsApiTests : IAsyncLifetime
{
    private TestServer _server = null!;

    public async Task InitializeAsync() => _server = await TestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [ToolFact("promtool")]
    public async Task Metrics_AfterTraffic_PassPromtoolCheck()
    {
        await _server.PostJobAsync("{\"model\":\"echo\",\"input\":{}}", waitSeconds: 10);
        await _server.PostJobAsync("{\"model\":\"count\",\"input\":{\"n\":3}}", waitSeconds: 10);
        await _server.PostJobAsync("{\"model\":\"count\",\"input\":{\"n\":3}}", waitSeconds: 10);
        await _server.PostJobAsync("{\"model\":\"nope\",\"input\":{}}");
        var text = await _server.Client.GetStringAsync("/metrics");
        foreach (var name in new[] { "sluice_http_requests_total", "sluice_jobs_finished_total", "sluice_queue_depth", "sluice_queue_wait_seconds_bucket",
                     "sluice_run_duration_seconds_bucket", "sluice_batch_size_bucket", "sluice_cache_requests_total", "sluice_rejections_total",
                     "sluice_open_streams", "sluice_tokens_generated_total" })
        {
            Assert.Contains(name, text);
        }

        var psi = new ProcessStartInfo(ToolFactAttribute.FindTool("promtool") ?? "promtool", "check metrics")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var p = Process.Start(psi)!;
        await p.StandardInput.WriteAsync(text);
        p.StandardInput.Close();
        var stderr = await p.StandardError.ReadToEndAsync();
        var stdout = await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.True(p.ExitCode == 0, $"promtool: {stdout}{stderr}");
        Assert.True(string.IsNullOrWhiteSpace(stdout + stderr), $"promtool lint findings: {stdout}{stderr}");
    }

    [Fact]
    public async Task Metrics_MadeUpHttpMethods_ShareOneLabelValue()
    {
        for (var i = 0; i < 5; i++)
        {
            using var request = new HttpRequestMessage(new HttpMethod("ZZ" + i), "/nothing-here-" + i);
            using var _ = await _server.Client.SendAsync(request);
        }

        var text = await _server.Client.GetStringAsync("/metrics");
        Assert.DoesNotContain("method=\"ZZ", text, StringComparison.Ordinal);
        Assert.Contains("method=\"other\"", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_MisspeltBuiltInsKey_FailsInsteadOfRunningOnDefaults()
    {
        var ex = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var server = await TestServer.StartAsync(new Dictionary<string, string> { ["Sluice:BuiltIns:SleepBatch:BaseMs"] = "500" });
        });
        Assert.Contains("SleepBatch", ex.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenApi_Document_DescribesJobApi()
    {
        using var doc = JsonDocument.Parse(await _server.Client.GetStringAsync("/openapi/v1.json"));
        var paths = doc.RootElement.GetProperty("paths");
        foreach (var path in new[] { "/v1/jobs", "/v1/jobs/{id}", "/v1/jobs/{id}/events", "/v1/models", "/v1/dead-letters", "/v1/dead-letters/{id}/requeue", "/v1/essays" })
        {
            Assert.True(paths.TryGetProperty(path, out _), $"missing {path}");
        }
        // Hand-validated bodies are documented by schema (without a content-type constraint on routing).
        foreach (var (path, field) in new[] { ("/v1/jobs", "model"), ("/v1/essays", "text"), ("/v1/models/{model}/infer", "input"), ("/v1/chat/completions", "messages"), ("/v1/completions", "prompt"), ("/v1/tasks/{name}", "input") })
        {
            var body = paths.GetProperty(path).GetProperty("post").GetProperty("requestBody");
            Assert.True(body.GetProperty("required").GetBoolean());
            var schema = body.GetProperty("content").GetProperty("application/json").GetProperty("schema");
            if (schema.TryGetProperty("$ref", out var reference))
            {
                schema = doc.RootElement.GetProperty("components").GetProperty("schemas").GetProperty(reference.GetString()!.Split('/')[^1]);
            }

            Assert.True(schema.GetProperty("properties").TryGetProperty(field, out _), $"{path}: no '{field}' in {schema}");
        }
    }

    [Fact]
    public async Task OpenApi_Bodies_RequireOnlyMandatoryFieldsAndTypeNumbersAsNumbers()
    {
        var text = await _server.Client.GetStringAsync("/openapi/v1.json");
        using var doc = JsonDocument.Parse(text);
        var paths = doc.RootElement.GetProperty("paths");
        foreach (var (path, required) in new[]
        {
            ("/v1/jobs", "model,input"), ("/v1/essays", "text"), ("/v1/models/{model}/infer", "input"), ("/v1/chat/completions", "model,messages"),
            ("/v1/completions", "model,prompt"), ("/v1/tasks/{name}", "input"),
        })
        {
            var schema = paths.GetProperty(path).GetProperty("post").GetProperty("requestBody").GetProperty("content").GetProperty("application/json").GetProperty("schema");
            var listed = schema.GetProperty("required").EnumerateArray().Select(r => r.GetString()).Order(StringComparer.Ordinal);
            Assert.Equal(string.Join(',', required.Split(',').Order(StringComparer.Ordinal)), string.Join(',', listed));
        }

        // No handler reads "1" as 1, so no number may be offered as a string (the web default's pattern).
        Assert.DoesNotContain("\"pattern\"", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Submit_OptionalFieldsNull_TreatedAsLeftOut()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/jobs")
        {
            Content = TestServer.Json("""{"model":"echo","input":{"a":1},"priority":null,"deadline_ms":null,"cache":null}"""),
        };
        request.Headers.Add("Prefer", "wait=30");

        using var r = await _server.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        var job = await TestServer.ReadJsonAsync(r);
        Assert.Equal("succeeded", job.GetProperty("status").GetString());
        Assert.Equal("normal", job.GetProperty("priority").GetString());
    }

    [Fact]
    public async Task Health_LiveAndReady_Return200WhenModelsWarm()
    {
        Assert.Equal(HttpStatusCode.OK, (await _server.Client.GetAsync("/health/live")).StatusCode);
        using var ready = await _server.Client.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        var body = await TestServer.ReadJsonAsync(ready);
        Assert.Equal("ready", body.GetProperty("checks").GetProperty("models").GetProperty("count").GetString());
    }

    [Fact]
    public async Task HealthReady_SqliteStore_StoreCheckHealthyAndNoBrokerCheck()
    {
        using var ready = await _server.Client.GetAsync("/health/ready");

        var checks = (await TestServer.ReadJsonAsync(ready)).GetProperty("checks");
        Assert.Equal("healthy", checks.GetProperty("store").GetProperty("status").GetString());
        Assert.False(checks.TryGetProperty("broker", out _));
    }

    [Fact]
    public async Task Models_List_ShowsStateSchedulerAndQueue()
    {
        var list = await TestServer.ReadJsonAsync(await _server.Client.GetAsync("/v1/models"));
        var count = list.GetProperty("data").EnumerateArray().Single(m => m.GetProperty("id").GetString() == "count");
        Assert.Equal("generative", count.GetProperty("kind").GetString());
        Assert.Equal("ready", count.GetProperty("state").GetString());
        Assert.Equal("continuous", count.GetProperty("scheduler").GetProperty("type").GetString());
        Assert.Equal(0, count.GetProperty("queue").GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task InferSync_Echo_ReturnsResultWithoutAJob()
    {
        using var r = await _server.Client.PostAsync("/v1/models/echo/infer", TestServer.Json("{\"input\":{\"z\":1}}"));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        var body = await TestServer.ReadJsonAsync(r);
        Assert.Equal("{\"z\":1}", body.GetProperty("result").GetRawText());
    }
}
