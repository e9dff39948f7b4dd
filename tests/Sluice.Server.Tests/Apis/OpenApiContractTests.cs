using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Sluice.Core.Jobs;
using Sluice.Core.Models;
using Sluice.Server.Tests.Infrastructure;

namespace Sluice.Server.Tests.Apis;

/// <summary>
/// The OpenAPI document against what the server really sends: real requests over loopback, each answer's status and
/// media type looked up in the document, its body validated against the schema declared for that status. A client
/// generated from the document (openapi-generator, NSwag, Kiota) deserializes by exactly these declarations.
/// </summary>
public sealed class OpenApiContractTests : IAsyncLifetime
{
    private TestServer _server = null!;
    private JsonElement _document;
    private readonly List<string> _mismatches = [];

    public async Task InitializeAsync()
    {
        _server = await TestServer.StartAsync(new Dictionary<string, string>
        {
            ["Sluice:Http:MaxBodyBytes"] = "4096",
            // One sleep-batch job at a time, each running a while: the second one submitted waits queued, to be cancelled.
            ["Sluice:BuiltIns:SleepBatchBaseMs"] = "1500",
            ["Sluice:Models:sleep-batch:MaxBatchSize"] = "1",
        });
        _document = await DocumentAsync(_server);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task JobsApi_EveryAnswer_DeclaredWithItsMediaTypeAndBodySchema()
    {
        var c = _server.Client;
        await CheckAsync(await c.PostAsync("/v1/jobs", TestServer.Json("""{"model":"sleep-batch","input":{"i":1}}""")), "post", "/v1/jobs", 202);
        var queued = await CheckAsync(await c.PostAsync("/v1/jobs", TestServer.Json("""{"model":"sleep-batch","input":{"i":2}}""")), "post", "/v1/jobs", 202);
        var id = queued.GetProperty("id").GetString()!;
        await CheckAsync(await SendAsync(HttpMethod.Post, "/v1/jobs", """{"model":"count","input":{"n":3},"priority":"high"}""", ("Prefer", "wait=30")), "post", "/v1/jobs", 200);
        await CheckAsync(await c.PostAsync("/v1/jobs", TestServer.Json("""{"model":"echo"}""")), "post", "/v1/jobs", 400);
        await CheckAsync(await c.PostAsync("/v1/jobs", TestServer.Json("""{"model":"nope","input":{}}""")), "post", "/v1/jobs", 404);
        await CheckAsync(await c.PostAsync("/v1/jobs", TestServer.Json("""{"model":"echo","input":{"pad":"%"}}""".Replace("%", new string('x', 5000), StringComparison.Ordinal))), "post", "/v1/jobs", 413);
        await CheckAsync(await c.PostAsync("/v1/jobs", new StringContent("{}", Encoding.UTF8, "text/plain")), "post", "/v1/jobs", 415);
        await CheckAsync(await SendAsync(HttpMethod.Post, "/v1/jobs", """{"model":"echo","input":{"a":1}}""", ("Idempotency-Key", "contract-1")), "post", "/v1/jobs", 202);
        await CheckAsync(await SendAsync(HttpMethod.Post, "/v1/jobs", """{"model":"echo","input":{"a":2}}""", ("Idempotency-Key", "contract-1")), "post", "/v1/jobs", 422);

        await CheckAsync(await c.GetAsync($"/v1/jobs/{id}"), "get", "/v1/jobs/{id}", 200);
        await CheckAsync(await c.GetAsync("/v1/jobs/job_00000000000000000000000000"), "get", "/v1/jobs/{id}", 404);
        await CheckAsync(await c.GetAsync("/v1/jobs?limit=1"), "get", "/v1/jobs", 200);
        await CheckAsync(await c.GetAsync("/v1/jobs?status=queued&model=sleep-batch"), "get", "/v1/jobs", 200);
        await CheckAsync(await c.GetAsync("/v1/jobs?limit=0"), "get", "/v1/jobs", 400);
        await CheckAsync(await c.GetAsync("/v1/jobs?status=done"), "get", "/v1/jobs", 400);

        var cancelled = await CheckAsync(await c.DeleteAsync($"/v1/jobs/{id}"), "delete", "/v1/jobs/{id}", 200);
        Assert.Equal("cancelled", cancelled.GetProperty("status").GetString());
        await CheckAsync(await c.DeleteAsync($"/v1/jobs/{id}"), "delete", "/v1/jobs/{id}", 409);
        await CheckAsync(await c.DeleteAsync("/v1/jobs/job_00000000000000000000000000"), "delete", "/v1/jobs/{id}", 404);

        await CheckAsync(await c.GetAsync($"/v1/jobs/{id}/events", HttpCompletionOption.ResponseHeadersRead), "get", "/v1/jobs/{id}/events", 200);
        await CheckAsync(await SendAsync(HttpMethod.Get, $"/v1/jobs/{id}/events", null, ("Last-Event-ID", "1000")), "get", "/v1/jobs/{id}/events", 204);
        await CheckAsync(await c.GetAsync($"/v1/jobs/{id}/events?last_event_id=x"), "get", "/v1/jobs/{id}/events", 400);
        await CheckAsync(await c.GetAsync("/v1/jobs/job_00000000000000000000000000/events"), "get", "/v1/jobs/{id}/events", 404);
        await CheckAsync(await c.GetAsync($"/v1/jobs/{id}/ws"), "get", "/v1/jobs/{id}/ws", 400);

        Assert.Empty(_mismatches);
    }

    [Fact]
    public async Task ModelsTasksEssaysAndDeadLetters_EveryAnswer_DeclaredWithItsMediaTypeAndBodySchema()
    {
        var c = _server.Client;
        await CheckAsync(await c.GetAsync("/v1/models"), "get", "/v1/models", 200);
        await CheckAsync(await c.GetAsync("/v1/models/count"), "get", "/v1/models/{model}", 200);
        await CheckAsync(await c.GetAsync("/v1/models/nope"), "get", "/v1/models/{model}", 404);
        await CheckAsync(await c.PostAsync("/v1/models/echo/infer", TestServer.Json("""{"input":{"x":1}}""")), "post", "/v1/models/{model}/infer", 200);
        await CheckAsync(await c.PostAsync("/v1/models/echo/infer", TestServer.Json("""{"input":{"x":1},"extra":1}""")), "post", "/v1/models/{model}/infer", 400);
        await CheckAsync(await c.PostAsync("/v1/models/nope/infer", TestServer.Json("""{"input":{}}""")), "post", "/v1/models/{model}/infer", 404);

        await CheckAsync(await c.GetAsync("/v1/tasks"), "get", "/v1/tasks", 200);
        await CheckAsync(await c.GetAsync("/v1/tasks/blog-outline"), "get", "/v1/tasks/{name}", 200);
        await CheckAsync(await c.GetAsync("/v1/tasks/nope"), "get", "/v1/tasks/{name}", 404);
        await CheckAsync(await c.PostAsync("/v1/tasks/blog-outline", TestServer.Json("""{"input":{"title":"Tides"},"model":"count","lane":null}""")), "post", "/v1/tasks/{name}", 202);
        await CheckAsync(await c.PostAsync("/v1/tasks/blog-outline", TestServer.Json("""{"input":{"title":"Tides"}}""")), "post", "/v1/tasks/{name}", 503);
        await CheckAsync(await c.PostAsync("/v1/tasks/blog-outline", TestServer.Json("""{"input":{}}""")), "post", "/v1/tasks/{name}", 400);
        await CheckAsync(await c.PostAsync("/v1/tasks/nope", TestServer.Json("""{"input":{}}""")), "post", "/v1/tasks/{name}", 404);

        await CheckAsync(await c.PostAsync("/v1/essays", TestServer.Json("""{"text":"An essay."}""")), "post", "/v1/essays", 404);
        await CheckAsync(await c.PostAsync("/v1/essays", TestServer.Json("""{"text":"An essay.","priority":"urgent"}""")), "post", "/v1/essays", 400);

        await CheckAsync(await c.GetAsync("/v1/dead-letters"), "get", "/v1/dead-letters", 200);
        await CheckAsync(await c.GetAsync("/v1/dead-letters?limit=x"), "get", "/v1/dead-letters", 400);
        await CheckAsync(await c.PostAsync("/v1/dead-letters/job_00000000000000000000000000/requeue", null), "post", "/v1/dead-letters/{id}/requeue", 404);

        Assert.Empty(_mismatches);
    }

    [Fact]
    public async Task OpenAiApi_EveryNonStreamedAnswer_DeclaredWithItsMediaTypeAndBodySchema()
    {
        var c = _server.Client;
        await CheckAsync(await c.PostAsync("/v1/chat/completions", TestServer.Json("""{"model":"count","messages":[{"role":"user","content":"3"}],"max_tokens":3}""")), "post", "/v1/chat/completions", 200);
        await CheckAsync(await c.PostAsync("/v1/chat/completions", TestServer.Json("""{"model":"count","messages":[{"role":"user","content":"3"}],"max_tokens":3,"stream":true}""")), "post", "/v1/chat/completions", 200);
        await CheckAsync(await c.PostAsync("/v1/chat/completions", TestServer.Json("""{"model":"count","messages":[]}""")), "post", "/v1/chat/completions", 400);
        await CheckAsync(await c.PostAsync("/v1/chat/completions", TestServer.Json("""{"model":"nope","messages":[{"role":"user","content":"3"}]}""")), "post", "/v1/chat/completions", 404);
        await CheckAsync(await c.PostAsync("/v1/chat/completions", new StringContent("{}", Encoding.UTF8, "text/plain")), "post", "/v1/chat/completions", 415);
        await CheckAsync(await c.PostAsync("/v1/completions", TestServer.Json("""{"model":"count","prompt":"3","max_tokens":3}""")), "post", "/v1/completions", 200);
        await CheckAsync(await c.PostAsync("/v1/completions", TestServer.Json("""{"model":"count","prompt":"3","temperature":9}""")), "post", "/v1/completions", 400);
        await CheckAsync(await c.PostAsync("/v1/completions", TestServer.Json("""{"model":"count","prompt":"%"}""".Replace("%", new string('x', 5000), StringComparison.Ordinal))), "post", "/v1/completions", 413);

        Assert.Empty(_mismatches);
    }

    [Fact]
    public async Task Admission_RefusalsOnEachKindOfEndpoint_DeclaredWithTheirMediaTypeAndBodySchema()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string>
        {
            ["Sluice:Auth:Keys:0:Id"] = "tester",
            ["Sluice:Auth:Keys:0:Key"] = "good-key",
            ["Sluice:Auth:Keys:1:Id"] = "slow",
            ["Sluice:Auth:Keys:1:Key"] = "slow-key",
            ["Sluice:Auth:Keys:1:RequestsPerSecond"] = "0.01",
            ["Sluice:Auth:Keys:1:Burst"] = "1",
        });
        var document = await DocumentAsync(server);
        var c = server.Client;
        const string chat = """{"model":"count","messages":[{"role":"user","content":"3"}],"max_tokens":2}""";

        await CheckAsync(document, await c.GetAsync("/v1/jobs"), "get", "/v1/jobs", 401);
        await CheckAsync(document, await c.PostAsync("/v1/chat/completions", TestServer.Json(chat)), "post", "/v1/chat/completions", 401);
        await CheckAsync(document, await SendAsync(c, HttpMethod.Get, "/v1/models", null, ("Authorization", "Bearer slow-key")), "get", "/v1/models", 200);
        await CheckAsync(document, await SendAsync(c, HttpMethod.Get, "/v1/models", null, ("Authorization", "Bearer slow-key")), "get", "/v1/models", 429);
        await CheckAsync(document, await SendAsync(c, HttpMethod.Post, "/v1/chat/completions", chat, ("Authorization", "Bearer slow-key")), "post", "/v1/chat/completions", 429);

        var job = await CheckAsync(document, await SendAsync(c, HttpMethod.Post, "/v1/jobs", """{"model":"echo","input":{}}""", ("Authorization", "Bearer good-key")), "post", "/v1/jobs", 202);
        var id = job.GetProperty("id").GetString()!;
        var token = job.GetProperty("stream_token").GetString()!;
        await CheckAsync(document, await c.GetAsync($"/v1/jobs/{id}/events?stream_token={token}&cancel_on_disconnect=true"), "get", "/v1/jobs/{id}/events", 403);
        await CheckAsync(document, await c.GetAsync($"/v1/jobs/{id}?stream_token={token}"), "get", "/v1/jobs/{id}", 401);

        Assert.Empty(_mismatches);
    }

    [Fact]
    public void ResponseSchemas_ClosedValuesAndAlwaysWrittenMembers_DeclaredAsTheServerWritesThem()
    {
        var schemas = _document.GetProperty("components").GetProperty("schemas");

        Assert.Equal(Enum.GetValues<JobStatus>().Select(s => s.ToWire()), Strings(schemas, "JobView", "status"));
        Assert.Equal(["high", "normal", "low"], Strings(schemas, "JobView", "priority"));
        Assert.Equal(["job"], Strings(schemas, "JobView", "object"));
        Assert.Equal(["batch", "generative"], Strings(schemas, "ModelView", "kind"));
        Assert.Equal(Enum.GetValues<ModelState>().Select(s => s.ToString().ToLowerInvariant()), Strings(schemas, "ModelView", "state"));
        Assert.Equal(["dynamic", "continuous"], Strings(schemas, "SchedulerView", "type"));
        Assert.Equal(["list"], Strings(schemas, "JobList", "object"));
        Assert.Equal(["list"], Strings(schemas, "ModelList", "object"));
        var jobRequired = schemas.GetProperty("JobView").GetProperty("required").EnumerateArray().Select(r => r.GetString()).ToList();
        Assert.Superset(new HashSet<string?> { "object", "attempts", "max_attempts", "cached" }, jobRequired.ToHashSet());
        var modelRequired = schemas.GetProperty("ModelView").GetProperty("required").EnumerateArray().Select(r => r.GetString()).ToList();
        Assert.Superset(new HashSet<string?> { "object", "created", "owned_by", "deterministic" }, modelRequired.ToHashSet());
        Assert.Equal("string", schemas.GetProperty("JobView").GetProperty("properties").GetProperty("object").GetProperty("type").GetString());
    }

    [Fact]
    public async Task ResponseSchemas_OpenAiErrorTypeAndFinishReason_DeclaredAsTheClosedSetsTheServerWrites()
    {
        var schemas = _document.GetProperty("components").GetProperty("schemas");

        // Every value the code writes (OpenAiErrorTypes, OpenAiFinishReasons): free strings before, so nothing was checked.
        Assert.Equal(["invalid_request_error", "server_error", "server_overloaded", "timeout", "requests", "tokens"], Strings(schemas, "OpenAiErrorBody", "type"));
        Assert.Equal(["stop", "length", "content_filter"], Strings(schemas, "OpenAiChatChoice", "finish_reason"));
        Assert.Equal(["stop", "length", "content_filter"], Strings(schemas, "OpenAiCompletionChoice", "finish_reason"));

        // Real answers are checked against them ...
        var c = _server.Client;
        var chat = await CheckAsync(await c.PostAsync("/v1/chat/completions", TestServer.Json("""{"model":"count","messages":[{"role":"user","content":"3"}],"max_tokens":2}""")), "post", "/v1/chat/completions", 200);
        Assert.Equal("length", chat.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        var completion = await CheckAsync(await c.PostAsync("/v1/completions", TestServer.Json("""{"model":"count","prompt":"3","max_tokens":2}""")), "post", "/v1/completions", 200);
        Assert.Equal("length", completion.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        var refused = await CheckAsync(await c.PostAsync("/v1/completions", TestServer.Json("""{"model":"count","prompt":"3","temperature":9}""")), "post", "/v1/completions", 400);
        Assert.Equal("invalid_request_error", refused.GetProperty("error").GetProperty("type").GetString());
        Assert.Empty(_mismatches);

        // ... and a value outside them is refused by the same validator.
        var validator = new OpenApiSchemaValidator(_document);
        using var madeUp = JsonDocument.Parse("""{"error":{"message":"x","type":"made_up_error","param":null,"code":null}}""");
        Assert.NotEmpty(validator.Validate(schemas.GetProperty("OpenAiErrorResponse"), madeUp.RootElement));
        using var otherReason = JsonDocument.Parse("""{"index":0,"text":"x","finish_reason":"cancelled"}""");
        Assert.NotEmpty(validator.Validate(schemas.GetProperty("OpenAiCompletionChoice"), otherReason.RootElement));
    }

    [Fact]
    public async Task HealthProbes_LiveReadyAndReadyWhileStopping_DeclaredWithTheirMediaTypeAndBodySchema()
    {
        // A shutdown delay keeps the listeners open while readiness already answers 503 (the server is stopping).
        await using var server = await TestServer.StartAsync(new Dictionary<string, string> { ["Sluice:Http:ShutdownDelaySeconds"] = "5" });
        var document = await DocumentAsync(server);
        await CheckAsync(document, await SendAsync(server.Client, HttpMethod.Get, "/health/live", null), "get", "/health/live", 200);
        var ready = await CheckAsync(document, await SendAsync(server.Client, HttpMethod.Get, "/health/ready", null), "get", "/health/ready", 200);

        var stopping = server.Services.GetRequiredService<IHost>().StopAsync();
        var notReady = await CheckAsync(document, await SendAsync(server.Client, HttpMethod.Get, "/health/ready", null), "get", "/health/ready", 503);
        await stopping;

        Assert.Empty(_mismatches);
        Assert.Equal("healthy", ready.GetProperty("status").GetString());
        Assert.Equal("unhealthy", notReady.GetProperty("checks").GetProperty("shutdown").GetProperty("status").GetString());
    }

    [Theory]
    [InlineData("/v1/jobs", """{"model":"echo","input":{},"priority":"urgent"}""", 400)]
    [InlineData("/v1/jobs", """{"model":"echo","input":{},"deadline_ms":0}""", 400)]
    [InlineData("/v1/jobs", """{"model":"echo","input":{},"deadline_ms":86400001}""", 400)]
    [InlineData("/v1/jobs", """{"model":"Echo!","input":{}}""", 400)]
    [InlineData("/v1/jobs", """{"model":"echo","input":{},"priority":null,"deadline_ms":86400000}""", 202)]
    [InlineData("/v1/jobs", """{"model":"echo","input":{},"priority":"low","deadline_ms":1}""", 202)]
    [InlineData("/v1/essays", """{"text":"An essay.","priority":"urgent"}""", 400)]
    [InlineData("/v1/tasks/blog-outline", """{"input":{"title":"Tides"},"priority":"urgent"}""", 400)]
    [InlineData("/v1/tasks/blog-outline", """{"input":{"title":"Tides"},"temperature":2.5}""", 400)]
    [InlineData("/v1/tasks/blog-outline", """{"input":{"title":"Tides"},"max_tokens":0}""", 400)]
    [InlineData("/v1/tasks/blog-outline", """{"input":{"title":"Tides"},"deadline_ms":0}""", 400)]
    [InlineData("/v1/tasks/blog-outline", """{"input":{"title":"Tides"},"seed":-1}""", 400)]
    [InlineData("/v1/tasks/blog-outline", """{"input":{"title":"Tides"},"request_id":""}""", 400)]
    [InlineData("/v1/tasks/blog-outline", """{"input":{"title":"Tides"},"model":"count","priority":"high","deadline_ms":86400000,"max_tokens":1,"temperature":2,"seed":0,"request_id":"req-42"}""", 202)]
    [InlineData("/v1/chat/completions", """{"model":"count","messages":[]}""", 400)]
    [InlineData("/v1/chat/completions", """{"model":"","messages":[{"role":"user","content":"3"}]}""", 400)]
    [InlineData("/v1/chat/completions", """{"model":"count","messages":[{"role":"user","content":"3"}],"top_p":0}""", 400)]
    [InlineData("/v1/chat/completions", """{"model":"count","messages":[{"role":"user","content":"3"}],"max_completion_tokens":0}""", 400)]
    [InlineData("/v1/chat/completions", """{"model":"count","messages":[{"role":"user","content":"3"}],"top_p":1,"temperature":2,"max_tokens":1,"seed":0}""", 200)]
    [InlineData("/v1/completions", """{"model":"count","prompt":"3","temperature":2.5}""", 400)]
    [InlineData("/v1/completions", """{"model":"count","prompt":"3","max_tokens":0}""", 400)]
    [InlineData("/v1/completions", """{"model":"count","prompt":"3","seed":-1}""", 400)]
    [InlineData("/v1/completions", """{"model":"count","prompt":"3","user":"%"}""", 400)]
    [InlineData("/v1/completions", """{"model":"count","prompt":"3","temperature":0,"top_p":0.5,"max_tokens":2,"user":"u"}""", 200)]
    public async Task RequestSchema_BodyTheServerRefusesOrTakes_InvalidOrValidByTheDocument(string path, string body, int status)
    {
        body = body.Replace("\"%\"", "\"" + new string('u', 257) + "\"", StringComparison.Ordinal);
        using var response = await _server.Client.PostAsync(path, TestServer.Json(body));
        Assert.Equal(status, (int)response.StatusCode);

        var template = path.StartsWith("/v1/tasks/", StringComparison.Ordinal) ? "/v1/tasks/{name}" : path;
        var schema = _document.GetProperty("paths").GetProperty(template).GetProperty("post").GetProperty("requestBody")
            .GetProperty("content").GetProperty("application/json").GetProperty("schema");
        using var sent = JsonDocument.Parse(body);
        var errors = new OpenApiSchemaValidator(_document).Validate(schema, sent.RootElement);
        if (status == 400)
        {
            Assert.NotEmpty(errors);
        }
        else
        {
            Assert.Empty(errors);
        }
    }

    [Fact]
    public async Task RequestSchema_EssayPromptIdTheGraderRefusesOrTakes_InvalidOrValidByTheDocument()
    {
        // prompt_id is checked by the grader, so only a server running it refuses an out-of-range one (else 404).
        await using var server = await TestServer.StartAsync(new Dictionary<string, string> { ["Sluice:Models:essay-grader:Enabled"] = "true" });
        var document = await DocumentAsync(server);
        var schema = document.GetProperty("paths").GetProperty("/v1/essays").GetProperty("post").GetProperty("requestBody")
            .GetProperty("content").GetProperty("application/json").GetProperty("schema");
        var problems = new List<string>();
        foreach (var (promptId, status) in new[] { ("0", 400), ("9", 400), ("-1", 400), ("1", 202), ("8", 202), ("null", 202) })
        {
            var body = $$"""{"prompt_id":{{promptId}},"text":"An essay about computers.","cache":false}""";
            using var response = await server.Client.PostAsync("/v1/essays", TestServer.Json(body));
            if ((int)response.StatusCode != status)
            {
                problems.Add($"prompt_id {promptId}: expected {status}, got {(int)response.StatusCode}");
            }

            using var sent = JsonDocument.Parse(body);
            var errors = new OpenApiSchemaValidator(document).Validate(schema, sent.RootElement);
            if ((status == 400) != (errors.Count > 0))
            {
                problems.Add($"prompt_id {promptId}: the server answers {status}, the document finds [{string.Join("; ", errors)}]");
            }
        }

        Assert.Empty(problems);
    }

    private static List<string?> Strings(JsonElement schemas, string schema, string property) =>
        schemas.GetProperty(schema).GetProperty("properties").GetProperty(property).TryGetProperty("enum", out var values)
            ? values.EnumerateArray().Select(v => v.GetString()).ToList()
            : [];

    [Fact]
    public void Document_EveryOperation_HasAUniqueOperationIdASummaryAndItsPathParameters()
    {
        // What generators and linters (redocly's recommended rules) refuse or warn about: a missing or repeated
        // operationId names no method, a missing summary leaves the generated method undocumented.
        var ids = new List<string>();
        var problems = new List<string>();
        foreach (var path in _document.GetProperty("paths").EnumerateObject())
        {
            foreach (var operation in path.Value.EnumerateObject().Where(o => o.Name is "get" or "put" or "post" or "delete" or "patch" or "head" or "options"))
            {
                var at = $"{operation.Name.ToUpperInvariant()} {path.Name}";
                if (operation.Value.TryGetProperty("operationId", out var id) && id.GetString() is { Length: > 0 } name)
                {
                    ids.Add(name);
                }
                else
                {
                    problems.Add($"{at}: no operationId");
                }

                if (!operation.Value.TryGetProperty("summary", out var summary) || string.IsNullOrWhiteSpace(summary.GetString()))
                {
                    problems.Add($"{at}: no summary");
                }

                var declared = operation.Value.TryGetProperty("parameters", out var ps)
                    ? ps.EnumerateArray().Where(p => p.GetProperty("in").GetString() == "path" && p.TryGetProperty("required", out var r) && r.GetBoolean())
                        .Select(p => p.GetProperty("name").GetString()).ToHashSet()
                    : [];
                foreach (var segment in path.Name.Split('/').Where(s => s.StartsWith('{')))
                {
                    if (!declared.Contains(segment[1..^1]))
                    {
                        problems.Add($"{at}: path parameter {segment} not declared as required");
                    }
                }
            }
        }

        Assert.Empty(problems);
        Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void Document_EveryOperationTag_ListedWithADescription()
    {
        // Documentation viewers print the description above each group; redocly's recommended rules warn without one.
        var described = _document.TryGetProperty("tags", out var tags)
            ? tags.EnumerateArray().Where(t => t.TryGetProperty("description", out var d) && !string.IsNullOrWhiteSpace(d.GetString()))
                .Select(t => t.GetProperty("name").GetString()).ToHashSet()
            : [];
        var used = _document.GetProperty("paths").EnumerateObject().SelectMany(p => p.Value.EnumerateObject())
            .Where(o => o.Value.ValueKind == JsonValueKind.Object && o.Value.TryGetProperty("tags", out _))
            .SelectMany(o => o.Value.GetProperty("tags").EnumerateArray().Select(t => t.GetString())).ToHashSet();

        Assert.NotEmpty(used);
        Assert.Empty(used.Except(described));
    }

    private Task<JsonElement> CheckAsync(HttpResponseMessage response, string method, string path, int expected) =>
        CheckAsync(_document, response, method, path, expected);

    /// <summary>
    /// Records each way the answer departs from the document (the status undeclared, its media type undeclared, a
    /// body where none is declared, or a body the declared schema refuses) and returns the body, if JSON.
    /// </summary>
    private async Task<JsonElement> CheckAsync(JsonElement document, HttpResponseMessage response, string method, string path, int expected)
    {
        using (response)
        {
            var at = $"{method.ToUpperInvariant()} {path} {(int)response.StatusCode}";
            var media = response.Content.Headers.ContentType?.MediaType;
            var body = media == "text/event-stream" ? [] : await response.Content.ReadAsByteArrayAsync();
            Assert.True((int)response.StatusCode == expected, $"{method.ToUpperInvariant()} {path}: expected {expected}, got {(int)response.StatusCode} {Encoding.UTF8.GetString(body)}");
            JsonElement parsed = default;
            if (media is not null && media.EndsWith("json", StringComparison.Ordinal) && body.Length > 0)
            {
                using var doc = JsonDocument.Parse(body);
                parsed = doc.RootElement.Clone();
            }

            var operation = document.GetProperty("paths").GetProperty(path).GetProperty(method);
            if (!operation.GetProperty("responses").TryGetProperty(expected.ToString(System.Globalization.CultureInfo.InvariantCulture), out var declared))
            {
                _mismatches.Add($"{at}: the status is not declared");
                return parsed;
            }

            if (!declared.TryGetProperty("content", out var content) || !content.EnumerateObject().Any())
            {
                if (body.Length > 0 || media is not null)
                {
                    _mismatches.Add($"{at}: answered {media} with {body.Length} bytes where the document declares no body");
                }

                return parsed;
            }

            if (media is null || !content.TryGetProperty(media, out var declaredMedia))
            {
                _mismatches.Add($"{at}: answered '{media}', the document declares {string.Join(", ", content.EnumerateObject().Select(m => m.Name))}");
                return parsed;
            }

            if (parsed.ValueKind != JsonValueKind.Undefined && declaredMedia.TryGetProperty("schema", out var schema))
            {
                foreach (var error in new OpenApiSchemaValidator(document).Validate(schema, parsed))
                {
                    _mismatches.Add($"{at}: {error}");
                }
            }

            return parsed;
        }
    }

    private Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? json, params (string Name, string Value)[] headers) =>
        SendAsync(_server.Client, method, path, json, headers);

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, HttpMethod method, string path, string? json, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(method, path);
        if (json is not null)
        {
            request.Content = TestServer.Json(json);
        }

        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("*/*"));
        return await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
    }

    private static async Task<JsonElement> DocumentAsync(TestServer server)
    {
        using var doc = JsonDocument.Parse(await server.Client.GetStringAsync("/openapi/v1.json"));
        return doc.RootElement.Clone();
    }
}
