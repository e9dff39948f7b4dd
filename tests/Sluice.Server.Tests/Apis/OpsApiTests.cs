using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Sluice.Server.Tests.Infrastructure;
using Sluice.Testing;
using Sluice.Testing.Server;

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
                     "sluice_open_streams", "sluice_tokens_generated_total", "sluice_time_to_first_token_seconds_bucket", "sluice_time_per_output_token_seconds_bucket",
                     "sluice_job_duration_seconds_bucket" })
        {
            Assert.Contains(name, text);
        }

        var promtool = await Promtool.CheckMetricsAsync(text);
        Assert.True(promtool.ExitCode == 0, $"promtool: {promtool.Findings}");
        Assert.True(promtool.IsClean, $"promtool lint findings: {promtool.Findings}");
    }

    /// <summary>What Prometheus 2.x sends when it prefers OpenMetrics (its default scrape protocols).</summary>
    private const string PrometheusAccept = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

    [Theory]
    [InlineData("application/openmetrics-text; version=1.0.0")]
    [InlineData(PrometheusAccept)]
    [InlineData("application/openmetrics-text")]
    public async Task Metrics_OpenMetricsAccepted_AnswersOpenMetricsEndingInEof(string accept)
    {
        await _server.PostJobAsync("{\"model\":\"echo\",\"input\":{}}", waitSeconds: 10);

        var (contentType, vary, text) = await ScrapeAsync(accept);

        Assert.Equal("application/openmetrics-text; version=1.0.0; charset=utf-8", contentType);
        Assert.Equal("Accept", vary);
        Assert.EndsWith("\n# EOF\n", text, StringComparison.Ordinal);
        Assert.Equal(1, text.Split('\n').Count(l => l == "# EOF"));
        // A counter's family is named without _total, its samples with it; a latency histogram declares its unit.
        Assert.Contains("\n# TYPE sluice_http_requests counter\n", text, StringComparison.Ordinal);
        Assert.Contains("\nsluice_http_requests_total{route=\"/v1/jobs\",method=\"POST\",status=\"", text, StringComparison.Ordinal);
        Assert.DoesNotContain("# TYPE sluice_http_requests_total", text, StringComparison.Ordinal);
        Assert.Contains("\n# UNIT sluice_queue_wait_seconds seconds\n", text, StringComparison.Ordinal);
        Assert.Contains("\n# TYPE sluice_queue_wait_seconds histogram\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("# UNIT sluice_batch_size", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("*/*")]
    [InlineData("text/plain")]
    [InlineData("text/plain;version=0.0.4;q=0.9,application/openmetrics-text;version=1.0.0;q=0.5")]
    [InlineData("application/openmetrics-text;version=0.0.1")]
    [InlineData("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")]
    public async Task Metrics_OtherAccept_AnswersTheTextFormatWithoutEofOrExemplars(string? accept)
    {
        await _server.PostJobAsync("{\"model\":\"echo\",\"input\":{}}", waitSeconds: 10);

        var (contentType, vary, text) = await ScrapeAsync(accept);

        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", contentType);
        Assert.Equal("Accept", vary);
        Assert.Contains("\n# TYPE sluice_http_requests_total counter\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("# EOF", text, StringComparison.Ordinal);
        Assert.DoesNotContain("# UNIT", text, StringComparison.Ordinal);
        Assert.DoesNotContain("} # {", text, StringComparison.Ordinal);
        Assert.All(text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l[0] == '#'), l => Assert.True(l.StartsWith("# HELP ", StringComparison.Ordinal) || l.StartsWith("# TYPE ", StringComparison.Ordinal), l));
    }

    [Fact]
    public async Task Metrics_GenerativeJob_RunDurationHelpSaysOneShotBatchesAndHasNoGenerativeSeries()
    {
        await _server.PostJobAsync("""{"model":"count","input":{"prompt":"a","max_tokens":2}}""", waitSeconds: 10);

        var text = await _server.Client.GetStringAsync("/metrics");

        // A generation's time is in sluice_step_duration_seconds (per step), never here: the help text says so.
        Assert.Contains("\n# HELP sluice_run_duration_seconds Model execution time of one batch of a one-shot model, by model.\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("sluice_run_duration_seconds_count{model=\"count\"}", text, StringComparison.Ordinal);
        Assert.Contains("sluice_step_duration_seconds_count{model=\"count\"}", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_OpenMetricsAfterTraffic_PassesTheStrictGrammarCheck()
    {
        await _server.PostJobAsync("{\"model\":\"echo\",\"input\":{}}", waitSeconds: 10);
        await _server.PostJobAsync("{\"model\":\"count\",\"input\":{\"n\":3}}", waitSeconds: 10);
        await _server.PostJobAsync("{\"model\":\"nope\",\"input\":{}}");

        var (_, _, text) = await ScrapeAsync(PrometheusAccept);

        Assert.Empty(OpenMetricsGrammar.Check(text));
        foreach (var family in new[] { "sluice_http_requests counter", "sluice_jobs_finished counter", "sluice_queue_depth gauge", "sluice_queue_wait_seconds histogram", "sluice_batch_size histogram" })
        {
            Assert.Contains("\n# TYPE " + family + "\n", text, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("# TYPE a counter\na_total 1\n", "does not end with '# EOF'")]
    [InlineData("# TYPE a_total counter\na_total 1\n# EOF\n", "named without _total")]
    [InlineData("# TYPE a counter\na 1\n# EOF\n", "does not belong")]
    [InlineData("# TYPE a gauge\n# comment\na 1\n# EOF\n", "no comments")]
    [InlineData("# TYPE a_seconds histogram\n# UNIT a_seconds bytes\na_seconds_count 0\n# EOF\n", "unit")]
    [InlineData("# TYPE a histogram\na_bucket{le=\"1\"} 2\na_bucket{le=\"+Inf\"} 1\na_count 1\na_sum 1\n# EOF\n", "below the one before")]
    [InlineData("# TYPE a histogram\na_bucket{le=\"1\"} 1\na_bucket{le=\"+Inf\"} 2\na_count 3\na_sum 1\n# EOF\n", "_count is not")]
    [InlineData("# TYPE a histogram\na_bucket{le=\"1\"} 1 # {trace_id=\"x\"} 2 1\na_bucket{le=\"+Inf\"} 1\na_count 1\na_sum 1\n# EOF\n", "outside its bucket")]
    [InlineData("# TYPE a gauge\na 1 # {trace_id=\"x\"} 1\n# EOF\n", "an exemplar on a gauge")]
    [InlineData("# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\n# TYPE a gauge\n# EOF\n", "not contiguous")]
    [InlineData("# TYPE a gauge\na 1\n# EOF\n\n", "does not end with '# EOF'")]
    public void OpenMetricsGrammar_BrokenExposition_IsRefused(string text, string problem)
    {
        // The checker the exporter's OpenMetrics output is held to must itself refuse what the format forbids.
        Assert.Contains(OpenMetricsGrammar.Check(text), p => p.Contains(problem, StringComparison.Ordinal));
    }

    private async Task<(string? ContentType, string Vary, string Text)> ScrapeAsync(string? accept)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        if (accept is not null)
        {
            Assert.True(request.Headers.TryAddWithoutValidation("Accept", accept));
        }

        using var response = await _server.Client.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return (response.Content.Headers.ContentType?.ToString(), string.Join(',', response.Headers.Vary), await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Metrics_ScrapedWhileRequestsRun_HistogramBucketsMonotoneAndInfEqualsCount()
    {
        // Scrapes taken while requests are being timed: every histogram series must be cumulative and its +Inf
        // bucket equal to its _count in each scrape, or Prometheus' histogram_quantile reads garbage.
        using var load = new CancellationTokenSource();
        var clients = Enumerable.Range(0, 200).Select(async _ =>
        {
            while (!load.IsCancellationRequested)
            {
                using var r = await _server.Client.GetAsync("/health/live", CancellationToken.None);
            }
        }).ToList();
        var problems = new List<string>();
        for (var scrape = 0; scrape < 300 && problems.Count == 0; scrape++)
        {
            var text = await _server.Client.GetStringAsync("/metrics");
            var previous = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var line in text.Split('\n'))
            {
                var bucket = line.IndexOf("_bucket{", StringComparison.Ordinal);
                var count = line.IndexOf("_count", StringComparison.Ordinal);
                if (bucket > 0)
                {
                    var series = line[..bucket] + "|" + line[(bucket + 8)..line.IndexOf("le=\"", bucket, StringComparison.Ordinal)].TrimEnd(',');
                    var value = double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
                    if (previous.TryGetValue(series, out var before) && value < before)
                    {
                        problems.Add($"scrape {scrape}: bucket below the one before it: {line} (was {before})");
                    }

                    previous[series] = value;
                }
                else if (count > 0 && !line.StartsWith('#'))
                {
                    var series = line[..count] + "|" + (line.IndexOf('{') is var brace and > 0 ? line[(brace + 1)..line.IndexOf('}')] : "");
                    var value = double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
                    if (previous.TryGetValue(series, out var inf) && inf != value)
                    {
                        problems.Add($"scrape {scrape}: +Inf {inf} != {line}");
                    }
                }
            }
        }

        await load.CancelAsync();
        await Task.WhenAll(clients);
        Assert.Empty(problems);
    }

    [Fact]
    public async Task Metrics_ConcurrentScrapes_EachCarriesEveryGauge()
    {
        // Two Prometheus servers (an HA pair) scrape the same target: one scrape must not clear the gauges the other
        // is writing, or a series vanishes from that scrape and the dashboard shows a gap.
        var scrapers = Enumerable.Range(0, 4).Select(async _ =>
        {
            var missing = new List<string>();
            for (var i = 0; i < 150 && missing.Count == 0; i++)
            {
                var text = await _server.Client.GetStringAsync("/metrics");
                foreach (var sample in new[] { "\nsluice_open_streams ", "\nsluice_queue_depth{model=\"echo\",priority=\"normal\"} ", "\nsluice_model_ready{model=\"echo\",state=\"ready\"} 1" })
                {
                    if (!text.Contains(sample, StringComparison.Ordinal))
                    {
                        missing.Add(sample.Trim());
                    }
                }
            }

            return missing;
        }).ToList();

        var missing = (await Task.WhenAll(scrapers)).SelectMany(m => m).ToList();

        Assert.Empty(missing);
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
    public async Task Metrics_CollectionRoutes_LabelledWithoutTrailingSlash()
    {
        await _server.PostJobAsync("{\"model\":\"echo\",\"input\":{}}");
        foreach (var path in new[] { "/v1/jobs", "/v1/jobs/", "/v1/models", "/v1/dead-letters", "/v1/tasks" })
        {
            using var _ = await _server.Client.GetAsync(path);
        }

        var text = await _server.Client.GetStringAsync("/metrics");
        Assert.Contains("sluice_http_requests_total{route=\"/v1/jobs\",method=\"POST\",status=\"202\"}", text, StringComparison.Ordinal);
        Assert.Contains("sluice_http_requests_total{route=\"/v1/jobs\",method=\"GET\",status=\"200\"} 2", text, StringComparison.Ordinal);
        var routes = text.Split('\n').Where(line => line.StartsWith("sluice_http_request", StringComparison.Ordinal))
            .Select(line => line[(line.IndexOf("route=\"", StringComparison.Ordinal) + 7)..])
            .Select(rest => rest[..rest.IndexOf('"', StringComparison.Ordinal)])
            .Distinct().ToList();
        Assert.Contains("/v1/models", routes);
        Assert.Contains("/v1/dead-letters", routes);
        Assert.Contains("/v1/tasks", routes);
        Assert.DoesNotContain(routes, route => route.Length > 1 && route.EndsWith('/'));
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
        foreach (var path in new[] { "/v1/jobs", "/v1/jobs/{id}", "/v1/jobs/{id}/events", "/v1/jobs/{id}/ws", "/v1/models", "/v1/dead-letters", "/v1/dead-letters/{id}/requeue", "/v1/essays" })
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

        // No handler reads "1" as 1, so no number may be offered as a string (the web default's type and pattern).
        Assert.DoesNotContain("(?:0|[1-9]", text, StringComparison.Ordinal);
        foreach (var type in Descendants(doc.RootElement).Where(e => e.ValueKind == JsonValueKind.Object && e.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.Array))
        {
            var names = type.GetProperty("type").EnumerateArray().Select(t => t.GetString()).ToList();
            Assert.False(names.Contains("string") && (names.Contains("integer") || names.Contains("number")), $"a number offered as a string: {type}");
        }
    }

    [Theory]
    [InlineData("/v1/chat/completions")]
    [InlineData("/v1/completions")]
    [InlineData("/v1/tasks/{name}")]
    public async Task OpenApi_Seed_DeclaresTheWholeUnsigned64BitRange(string path)
    {
        // The parsers accept seeds up to 2^64 - 1 (and journal them so); an int64 schema would tell generated clients
        // to refuse the upper half.
        using var doc = JsonDocument.Parse(await _server.Client.GetStringAsync("/openapi/v1.json"));
        var schema = doc.RootElement.GetProperty("paths").GetProperty(path).GetProperty("post").GetProperty("requestBody")
            .GetProperty("content").GetProperty("application/json").GetProperty("schema");
        if (schema.TryGetProperty("$ref", out var reference))
        {
            schema = doc.RootElement.GetProperty("components").GetProperty("schemas").GetProperty(reference.GetString()!.Split('/')[^1]);
        }

        var seed = schema.GetProperty("properties").GetProperty("seed");
        Assert.Equal("uint64", seed.GetProperty("format").GetString());
    }

    [Theory]
    [InlineData("get", "/v1/jobs", "status", "query", "string")]
    [InlineData("get", "/v1/jobs", "model", "query", "string")]
    [InlineData("get", "/v1/jobs", "limit", "query", "integer")]
    [InlineData("get", "/v1/jobs", "before", "query", "string")]
    [InlineData("get", "/v1/dead-letters", "model", "query", "string")]
    [InlineData("get", "/v1/dead-letters", "limit", "query", "integer")]
    [InlineData("get", "/v1/dead-letters", "before", "query", "string")]
    [InlineData("get", "/v1/jobs/{id}/events", "Last-Event-ID", "header", "integer")]
    [InlineData("get", "/v1/jobs/{id}/events", "last_event_id", "query", "integer")]
    [InlineData("get", "/v1/jobs/{id}/events", "cancel_on_disconnect", "query", "boolean")]
    [InlineData("get", "/v1/jobs/{id}/ws", "Last-Event-ID", "header", "integer")]
    [InlineData("get", "/v1/jobs/{id}/ws", "last_event_id", "query", "integer")]
    [InlineData("get", "/v1/jobs/{id}/ws", "cancel_on_disconnect", "query", "boolean")]
    [InlineData("post", "/v1/jobs", "Prefer", "header", "string")]
    [InlineData("post", "/v1/jobs", "Idempotency-Key", "header", "string")]
    [InlineData("post", "/v1/jobs", "traceparent", "header", "string")]
    [InlineData("post", "/v1/essays", "Prefer", "header", "string")]
    [InlineData("post", "/v1/essays", "Idempotency-Key", "header", "string")]
    [InlineData("post", "/v1/tasks/{name}", "Prefer", "header", "string")]
    [InlineData("post", "/v1/tasks/{name}", "Idempotency-Key", "header", "string")]
    [InlineData("post", "/v1/chat/completions", "X-Sluice-Priority", "header", "string")]
    [InlineData("post", "/v1/chat/completions", "X-Sluice-Deadline-Ms", "header", "integer")]
    [InlineData("post", "/v1/completions", "X-Sluice-Priority", "header", "string")]
    [InlineData("post", "/v1/completions", "X-Sluice-Deadline-Ms", "header", "integer")]
    public async Task OpenApi_Operation_DeclaresTheParameterItsHandlerReads(string method, string path, string name, string @in, string type)
    {
        using var doc = JsonDocument.Parse(await _server.Client.GetStringAsync("/openapi/v1.json"));

        var parameter = Parameters(doc.RootElement, method, path).SingleOrDefault(p => p.GetProperty("name").GetString() == name);

        Assert.True(parameter.ValueKind == JsonValueKind.Object, $"{method} {path} does not declare '{name}'");
        Assert.Equal(@in, parameter.GetProperty("in").GetString());
        Assert.Equal(type, parameter.GetProperty("schema").GetProperty("type").GetString());
        Assert.False(parameter.TryGetProperty("required", out var required) && required.GetBoolean(), $"{name} is optional");
        Assert.False(string.IsNullOrWhiteSpace(parameter.GetProperty("description").GetString()));
    }

    [Fact]
    public async Task OpenApi_ListingParameters_CarryTheParsersLimitsAndValues()
    {
        using var doc = JsonDocument.Parse(await _server.Client.GetStringAsync("/openapi/v1.json"));
        var root = doc.RootElement;

        var jobsLimit = Parameters(root, "get", "/v1/jobs").Single(p => p.GetProperty("name").GetString() == "limit").GetProperty("schema");
        var deadLimit = Parameters(root, "get", "/v1/dead-letters").Single(p => p.GetProperty("name").GetString() == "limit").GetProperty("schema");
        var status = Parameters(root, "get", "/v1/jobs").Single(p => p.GetProperty("name").GetString() == "status").GetProperty("schema");
        var priority = Parameters(root, "post", "/v1/chat/completions").Single(p => p.GetProperty("name").GetString() == "X-Sluice-Priority").GetProperty("schema");

        Assert.Equal((1, 1000, 50), (jobsLimit.GetProperty("minimum").GetInt32(), jobsLimit.GetProperty("maximum").GetInt32(), jobsLimit.GetProperty("default").GetInt32()));
        Assert.Equal(100, deadLimit.GetProperty("default").GetInt32());
        Assert.Equal("queued,running,succeeded,failed,cancelled,expired,dead_lettered", string.Join(',', status.GetProperty("enum").EnumerateArray().Select(e => e.GetString())));
        Assert.Equal("high,normal,low", string.Join(',', priority.GetProperty("enum").EnumerateArray().Select(e => e.GetString())));
        // Dead letters are dead-lettered by definition: that listing takes no status.
        Assert.DoesNotContain(Parameters(root, "get", "/v1/dead-letters"), p => p.GetProperty("name").GetString() == "status");
    }

    [Fact]
    public async Task OpenApi_BeforePattern_MatchesExactlyTheJobIdsTheListingsTake()
    {
        // The pattern allowed any lowercase letter, while job ids are Crockford base 32 (no i, l, o, u): a validator
        // passed a 'before' the server refuses.
        var (_, job) = await _server.PostJobAsync("""{"model":"echo","input":{}}""");
        using var doc = JsonDocument.Parse(await _server.Client.GetStringAsync("/openapi/v1.json"));
        foreach (var path in new[] { "/v1/jobs", "/v1/dead-letters" })
        {
            var schema = Parameters(doc.RootElement, "get", path).Single(p => p.GetProperty("name").GetString() == "before").GetProperty("schema");
            var pattern = new System.Text.RegularExpressions.Regex(schema.GetProperty("pattern").GetString()!);
            foreach (var id in new[] { job.GetProperty("id").GetString()!, "job_" + new string('z', 26), "job_" + new string('u', 26), "job_" + new string('i', 26), "job_" + new string('0', 25), "JOB_" + new string('0', 26) })
            {
                using var response = await _server.Client.GetAsync($"{path}?before={id}");
                var inSchema = pattern.IsMatch(id) && id.Length >= schema.GetProperty("minLength").GetInt32() && id.Length <= schema.GetProperty("maxLength").GetInt32();
                Assert.True(inSchema == (response.StatusCode == HttpStatusCode.OK), $"{path}?before={id}: {(int)response.StatusCode}, schema says {(inSchema ? "valid" : "invalid")}");
            }
        }
    }

    [Fact]
    public async Task OpenApi_DeclaredParameters_AreTheNamesTheHandlersValidate()
    {
        // Every query parameter and header the document declares, sent malformed, must be refused with a 400 naming
        // it: a name the handler does not read (a typo, a parameter dropped from the code) fails here.
        using var doc = JsonDocument.Parse(await _server.Client.GetStringAsync("/openapi/v1.json"));
        // RFC 7240; a bad trace context is not stored; a stream token is ignored without keys (with keys a malformed one is
        // a 401 naming it: StreamTokenHttpTests).
        var ignoredWhenMalformed = new HashSet<string>(StringComparer.Ordinal) { "Prefer", "traceparent", "stream_token" };
        var checkedCount = 0;
        foreach (var path in doc.RootElement.GetProperty("paths").EnumerateObject())
        {
            foreach (var operation in path.Value.EnumerateObject())
            {
                foreach (var parameter in Parameters(doc.RootElement, operation.Name, path.Name))
                {
                    var name = parameter.GetProperty("name").GetString()!;
                    var location = parameter.GetProperty("in").GetString();
                    if (location is "path" || ignoredWhenMalformed.Contains(name))
                    {
                        continue;
                    }

                    var url = Url(path.Name);
                    using var request = new HttpRequestMessage(new HttpMethod(operation.Name.ToUpperInvariant()), location == "query" ? $"{url}?{name}=a%20b" : url);
                    if (location == "header")
                    {
                        request.Headers.TryAddWithoutValidation(name, "a b");
                    }

                    if (operation.Name == "post")
                    {
                        request.Content = TestServer.Json(ValidBody(path.Name));
                    }

                    using var response = await _server.Client.SendAsync(request);
                    var body = await TestServer.ReadJsonAsync(response);

                    Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{operation.Name} {path.Name} with {name}='a b': {(int)response.StatusCode} {body}");
                    var named = body.TryGetProperty("error", out var openAi) ? openAi.GetProperty("param").GetString() : body.GetProperty("field").GetString();
                    Assert.Equal(name, named);
                    checkedCount++;
                }
            }
        }

        Assert.True(checkedCount >= 10, $"only {checkedCount} parameters checked");
    }

    [Fact]
    public async Task OpenApi_ClosedBodySchemas_AreExactlyTheBodiesWhoseHandlersRefuseAnUnknownField()
    {
        // A schema with additionalProperties: false tells a generated client or validator that no other field goes; it
        // must be the schema of a handler that refuses one (400 naming it). The OpenAI bodies stay open: their parser
        // takes parameters the schema does not list (n, store, logprobs … at their neutral values), as OpenAI does.
        await using var server = await TestServer.StartAsync(new Dictionary<string, string> { ["Sluice:Models:essay-grader:Enabled"] = "true" });
        using var doc = JsonDocument.Parse(await server.Client.GetStringAsync("/openapi/v1.json"));
        var closed = new List<string>();
        foreach (var path in doc.RootElement.GetProperty("paths").EnumerateObject())
        {
            if (!path.Value.TryGetProperty("post", out var post) || !post.TryGetProperty("requestBody", out var requestBody))
            {
                continue;
            }

            var schema = requestBody.GetProperty("content").GetProperty("application/json").GetProperty("schema");
            var isClosed = schema.TryGetProperty("additionalProperties", out var additional) && additional.ValueKind == JsonValueKind.False;
            var extra = isClosed ? "colour" : "n";
            Assert.False(schema.GetProperty("properties").TryGetProperty(extra, out _), $"{path.Name} declares '{extra}'");
            var body = System.Text.Json.Nodes.JsonNode.Parse(ValidBody(path.Name))!.AsObject();
            body[extra] = 1;
            using var response = await server.Client.PostAsync(Url(path.Name), TestServer.Json(body.ToJsonString()));
            var answer = await TestServer.ReadJsonAsync(response);

            if (isClosed)
            {
                closed.Add(path.Name);
                Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{path.Name} with an unknown field: {(int)response.StatusCode} {answer}");
                Assert.Equal("colour", answer.GetProperty("field").GetString());
            }
            else
            {
                Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path.Name} with 'n': 1, which its open schema allows: {(int)response.StatusCode} {answer}");
            }
        }

        Assert.Equal(["/v1/essays", "/v1/jobs", "/v1/models/{model}/infer", "/v1/tasks/{name}"], closed.Order(StringComparer.Ordinal));
    }

    private static string Url(string path) => path.Replace("{id}", "job_00000000000000000000000000", StringComparison.Ordinal)
        .Replace("{name}", "codegen", StringComparison.Ordinal).Replace("{model}", "echo", StringComparison.Ordinal);

    /// <summary>A body the handler of <c>POST path</c> accepts.</summary>
    private static string ValidBody(string path) => path switch
    {
        "/v1/jobs" => """{"model":"echo","input":{}}""",
        "/v1/essays" => """{"text":"An essay."}""",
        "/v1/models/{model}/infer" => """{"input":{}}""",
        "/v1/tasks/{name}" => """{"input":{"language":"python","instruction":"Add two numbers."}}""",
        "/v1/chat/completions" => """{"model":"count","max_tokens":2,"messages":[{"role":"user","content":"hi"}]}""",
        "/v1/completions" => """{"model":"count","max_tokens":2,"prompt":"hi"}""",
        _ => throw new InvalidOperationException($"no valid body known for POST {path}: add one"),
    };

    [Theory]
    [InlineData("post", "/v1/jobs", "202", "Location,Preference-Applied,Idempotent-Replayed")]
    [InlineData("post", "/v1/jobs", "200", "Location,Preference-Applied,Idempotent-Replayed")]
    [InlineData("post", "/v1/jobs", "429", "Retry-After")]
    [InlineData("post", "/v1/jobs", "503", "Retry-After")]
    [InlineData("post", "/v1/essays", "202", "Location,Preference-Applied,Idempotent-Replayed")]
    [InlineData("post", "/v1/tasks/{name}", "202", "Location,X-Sluice-Task,X-Sluice-Model,X-Sluice-Fallback,x-ratelimit-remaining-tokens")]
    [InlineData("post", "/v1/tasks/{name}", "429", "Retry-After,retry-after-ms,x-ratelimit-limit-tokens")]
    [InlineData("post", "/v1/dead-letters/{id}/requeue", "202", "Location")]
    [InlineData("post", "/v1/dead-letters/{id}/requeue", "503", "Retry-After")]
    [InlineData("get", "/v1/jobs/{id}", "503", "Retry-After")]
    [InlineData("get", "/v1/jobs/{id}/ws", "101", "Upgrade,Connection,Sec-WebSocket-Accept")]
    [InlineData("get", "/v1/jobs/{id}/ws", "503", "Retry-After")]
    [InlineData("post", "/v1/chat/completions", "200", "X-Sluice-Job-Id,X-Sluice-Model,X-Sluice-Fallback,x-ratelimit-limit-tokens,x-ratelimit-remaining-tokens,x-ratelimit-reset-tokens")]
    [InlineData("post", "/v1/chat/completions", "429", "Retry-After,retry-after-ms")]
    [InlineData("post", "/v1/chat/completions", "504", "X-Sluice-Job-Id")]
    [InlineData("post", "/v1/chat/completions", "503", "Retry-After,X-Sluice-Job-Id,X-Sluice-Model")]
    [InlineData("post", "/v1/models/{model}/infer", "503", "Retry-After")]
    [InlineData("post", "/v1/completions", "200", "X-Sluice-Job-Id,X-Sluice-Model,X-Sluice-Fallback")]
    public async Task OpenApi_Response_DeclaresTheHeadersItsHandlerSends(string method, string path, string status, string headers)
    {
        using var doc = JsonDocument.Parse(await _server.Client.GetStringAsync("/openapi/v1.json"));

        var response = doc.RootElement.GetProperty("paths").GetProperty(path).GetProperty(method).GetProperty("responses").GetProperty(status);

        Assert.True(response.TryGetProperty("headers", out var declared), $"{method} {path} {status} declares no headers");
        foreach (var header in headers.Split(','))
        {
            Assert.True(declared.TryGetProperty(header, out var h), $"{method} {path} {status} does not declare {header}: {declared}");
            Assert.True(h.GetProperty("schema").TryGetProperty("type", out _), $"{header} has no schema type");
        }
    }

    [Fact]
    public async Task OpenApi_WebSocket_DeclaresTheUpgradeAndEveryStatusItsHandshakeAnswers()
    {
        using var doc = JsonDocument.Parse(await _server.Client.GetStringAsync("/openapi/v1.json"));
        var item = doc.RootElement.GetProperty("paths").GetProperty("/v1/jobs/{id}/ws");
        var operation = item.GetProperty("get");
        var declared = operation.GetProperty("responses").EnumerateObject().Select(r => r.Name).ToHashSet(StringComparer.Ordinal);

        // Only the GET: the HTTP/2 CONNECT route is not an OpenAPI 3.1 operation.
        Assert.Equal(["get"], item.EnumerateObject().Where(p => p.Name is not ("parameters" or "summary" or "description")).Select(p => p.Name).ToArray());
        var upgrade = Parameters(doc.RootElement, "get", "/v1/jobs/{id}/ws").Single(p => p.GetProperty("name").GetString() == "Upgrade");
        Assert.Equal("header", upgrade.GetProperty("in").GetString());
        Assert.True(upgrade.GetProperty("required").GetBoolean());
        Assert.Equal("websocket", upgrade.GetProperty("schema").GetProperty("enum")[0].GetString());
        Assert.Contains(Parameters(doc.RootElement, "get", "/v1/jobs/{id}/ws"), p => p.GetProperty("name").GetString() == "id" && p.GetProperty("in").GetString() == "path");
        Assert.Contains("terminal event", operation.GetProperty("description").GetString(), StringComparison.Ordinal);
        foreach (var status in new[] { "101", "400", "401", "404", "429", "503" })
        {
            Assert.Contains(status, declared);
        }

        // The statuses the handshake really answers, each declared: a job's stream (101), an unknown job (404), a
        // bad parameter on a real handshake and a request that is no handshake (400).
        var (_, job) = await _server.PostJobAsync("{\"model\":\"echo\",\"input\":{}}", waitSeconds: 10);
        var ws = _server.BaseAddress.ToString().Replace("http://", "ws://", StringComparison.Ordinal) + "v1/jobs/";
        var answered = new List<int>
        {
            await HandshakeStatusAsync(new Uri(ws + job.GetProperty("id").GetString() + "/ws")),
            await HandshakeStatusAsync(new Uri(ws + "job_00000000000000000000000000/ws")),
            await HandshakeStatusAsync(new Uri(ws + job.GetProperty("id").GetString() + "/ws?last_event_id=x")),
        };
        using (var plain = await _server.Client.GetAsync("/v1/jobs/job_00000000000000000000000000/ws"))
        {
            answered.Add((int)plain.StatusCode);
            Assert.Equal("Upgrade", (await TestServer.ReadJsonAsync(plain)).GetProperty("field").GetString());
        }

        Assert.Equal([101, 404, 400, 400], answered);
        Assert.All(answered, s => Assert.Contains(s.ToString(System.Globalization.CultureInfo.InvariantCulture), declared));

        static async Task<int> HandshakeStatusAsync(Uri uri)
        {
            using var client = new System.Net.WebSockets.ClientWebSocket();
            client.Options.CollectHttpResponseDetails = true;
            try
            {
                await client.ConnectAsync(uri, CancellationToken.None);
                await client.CloseOutputAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
            }
            catch (System.Net.WebSockets.WebSocketException)
            {
                // Refused before the upgrade: HttpStatusCode holds the answer.
            }

            return (int)client.HttpStatusCode;
        }
    }

    [Fact]
    public async Task OpenApi_ProblemDetails_DeclaresTheFieldAtFault()
    {
        using var doc = JsonDocument.Parse(await _server.Client.GetStringAsync("/openapi/v1.json"));
        var schemas = doc.RootElement.GetProperty("components").GetProperty("schemas");

        var properties = schemas.GetProperty("ProblemDetails").GetProperty("properties");

        Assert.Equal("string", properties.GetProperty("field").GetProperty("type").GetString());
        Assert.Equal("array", properties.GetProperty("errors").GetProperty("additionalProperties").GetProperty("type").GetString());
        // And a 400 really carries every member, so the schema promises nothing the API does not send.
        using var r = await _server.Client.GetAsync("/v1/jobs?limit=0");
        var problem = await TestServer.ReadJsonAsync(r);
        Assert.Equal("limit", problem.GetProperty("field").GetString());
        foreach (var member in problem.EnumerateObject())
        {
            Assert.True(properties.TryGetProperty(member.Name, out _), $"the schema does not declare '{member.Name}'");
        }

        var badRequest = doc.RootElement.GetProperty("paths").GetProperty("/v1/jobs").GetProperty("get").GetProperty("responses").GetProperty("400");
        Assert.Equal("#/components/schemas/ProblemDetails", badRequest.GetProperty("content").GetProperty("application/problem+json").GetProperty("schema").GetProperty("$ref").GetString());
    }

    [Fact]
    public async Task OpenApi_Descriptions_NameNoCSharpTypeOrMember()
    {
        // A <see cref> in a contract's XML comment reaches the document as C# ("string? JobList.Next"), which a
        // client reading the document cannot map to a field: descriptions say the wire names instead.
        using var doc = JsonDocument.Parse(await _server.Client.GetStringAsync("/openapi/v1.json"));
        var contracts = typeof(Sluice.Server.Contracts.JobList).Assembly.GetTypes()
            .Where(t => t.Namespace == "Sluice.Server.Contracts" && !t.Name.Contains('<', StringComparison.Ordinal))
            .Select(t => t.Name.Split('`')[0])
            .ToHashSet(StringComparer.Ordinal);
        var descriptions = Descendants(doc.RootElement)
            .Where(e => e.ValueKind == JsonValueKind.Object && e.TryGetProperty("description", out var d) && d.ValueKind == JsonValueKind.String)
            .Select(e => e.GetProperty("description").GetString()!)
            .ToList();

        Assert.Contains(descriptions, d => d.Contains("pass `next` as `before`", StringComparison.Ordinal));
        foreach (var description in descriptions)
        {
            var words = System.Text.RegularExpressions.Regex.Matches(description, @"[A-Za-z_][A-Za-z0-9_]*").Select(m => m.Value);
            Assert.DoesNotContain(words, contracts.Contains);
            Assert.DoesNotContain("string? ", description, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task OpenApi_Document_ReadsWithoutErrorsAndEveryReferenceResolves()
    {
        var text = await _server.Client.GetStringAsync("/openapi/v1.json");

        var read = Microsoft.OpenApi.OpenApiDocument.Parse(text, "json");
        Assert.Empty(read.Diagnostic?.Errors ?? []);
        Assert.Empty(Microsoft.OpenApi.OpenApiElementExtensions.Validate(read.Document!, Microsoft.OpenApi.ValidationRuleSet.GetDefaultRuleSet()) ?? []);
        using var doc = JsonDocument.Parse(text);
        var references = Descendants(doc.RootElement)
            .Where(e => e.ValueKind == JsonValueKind.Object && e.TryGetProperty("$ref", out _))
            .Select(e => e.GetProperty("$ref").GetString()!)
            .Distinct(StringComparer.Ordinal)
            .ToList();
        Assert.NotEmpty(references);
        foreach (var reference in references)
        {
            Assert.StartsWith("#/", reference, StringComparison.Ordinal);
            var target = doc.RootElement;
            foreach (var segment in reference[2..].Split('/'))
            {
                Assert.True(target.TryGetProperty(segment.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal), out target), $"{reference} does not resolve");
            }
        }
    }

    private static IEnumerable<JsonElement> Parameters(JsonElement root, string method, string path) =>
        root.GetProperty("paths").GetProperty(path).GetProperty(method).TryGetProperty("parameters", out var ps) ? ps.EnumerateArray().ToList() : [];

    private static IEnumerable<JsonElement> Descendants(JsonElement e)
    {
        yield return e;
        IEnumerable<JsonElement> children = e.ValueKind switch
        {
            JsonValueKind.Object => e.EnumerateObject().Select(p => p.Value),
            JsonValueKind.Array => e.EnumerateArray(),
            _ => [],
        };
        foreach (var child in children)
        {
            foreach (var d in Descendants(child))
            {
                yield return d;
            }
        }
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

    [Fact]
    public async Task InferSync_GenerativeModel_RecordsTimeToFirstTokenPerTokenGapsAndTokensAsAJobWould()
    {
        var clock = Stopwatch.StartNew();
        using var r = await _server.Client.PostAsync("/v1/models/count/infer", TestServer.Json("{\"input\":{\"n\":3}}"));
        var elapsed = clock.Elapsed.TotalSeconds;
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal(3, (await TestServer.ReadJsonAsync(r)).GetProperty("result").GetProperty("usage").GetProperty("completion_tokens").GetInt32());

        // Every generative sequence is timed, whatever the route: one first token, a gap per token after it, the tokens
        // counted, as a job's run of the same input records (MetricsExemplarTests). No job, so no job duration or outcome.
        var text = await _server.Client.GetStringAsync("/metrics");
        const string Label = "model=\"count\"";
        Assert.Equal(1, PrometheusText.Counter(text, "sluice_time_to_first_token_seconds_count", Label));
        Assert.Equal(2, PrometheusText.Counter(text, "sluice_time_per_output_token_seconds_count", Label));
        Assert.Equal(3, PrometheusText.Counter(text, "sluice_tokens_generated_total", Label));
        Assert.InRange(PrometheusText.Value(text, "sluice_time_to_first_token_seconds_sum", Label) + PrometheusText.Value(text, "sluice_time_per_output_token_seconds_sum", Label), double.Epsilon, elapsed);
        Assert.Equal(0, PrometheusText.Counter(text, "sluice_job_duration_seconds_count", Label));
        Assert.Equal(0, PrometheusText.Counter(text, "sluice_jobs_finished_total", Label));
    }

    [Fact]
    public async Task InferSync_ModelFails_Answers422DeclaredInOpenApi()
    {
        using var r = await _server.Client.PostAsync("/v1/models/sleep-batch/infer", TestServer.Json("{\"input\":{\"fail\":true}}"));
        Assert.Equal((HttpStatusCode)422, r.StatusCode);
        Assert.Equal("input", (await TestServer.ReadJsonAsync(r)).GetProperty("field").GetString());

        using var doc = JsonDocument.Parse(await _server.Client.GetStringAsync("/openapi/v1.json"));
        var responses = doc.RootElement.GetProperty("paths").GetProperty("/v1/models/{model}/infer").GetProperty("post").GetProperty("responses");
        Assert.True(responses.TryGetProperty("422", out _), $"422 not declared: {responses}");
    }

    [Fact]
    public async Task OpenApi_EveryJsonBodyOperation_DeclaresTooLargeAndUnsupportedMediaType()
    {
        // Every JSON body goes through JsonBody, which answers 413 and 415 before the handler sees it.
        using var doc = JsonDocument.Parse(await _server.Client.GetStringAsync("/openapi/v1.json"));
        var missing = new List<string>();
        foreach (var path in doc.RootElement.GetProperty("paths").EnumerateObject())
        {
            foreach (var op in path.Value.EnumerateObject())
            {
                if (op.Value.ValueKind != JsonValueKind.Object || !op.Value.TryGetProperty("requestBody", out _))
                {
                    continue;
                }

                var responses = op.Value.GetProperty("responses");
                missing.AddRange(new[] { "413", "415" }.Where(s => !responses.TryGetProperty(s, out _)).Select(s => $"{op.Name} {path.Name} {s}"));
            }
        }

        Assert.Empty(missing);
    }

    [Fact]
    public async Task OpenApi_EveryOperationWithoutBody_DeclaresTooLarge()
    {
        // BodyLimitMiddleware answers 413 to a body of more than 16 KiB sent to any endpoint that reads none.
        using var doc = JsonDocument.Parse(await _server.Client.GetStringAsync("/openapi/v1.json"));
        var missing = new List<string>();
        var checkedCount = 0;
        foreach (var path in doc.RootElement.GetProperty("paths").EnumerateObject())
        {
            foreach (var op in path.Value.EnumerateObject())
            {
                if (op.Value.ValueKind != JsonValueKind.Object || op.Value.TryGetProperty("requestBody", out _) || !op.Value.TryGetProperty("responses", out var responses))
                {
                    continue;
                }

                checkedCount++;
                if (!responses.TryGetProperty("413", out var tooLarge))
                {
                    missing.Add($"{op.Name} {path.Name}");
                }
                else
                {
                    Assert.True(tooLarge.GetProperty("content").TryGetProperty("application/problem+json", out _), $"{op.Name} {path.Name} 413 is not a problem");
                }
            }
        }

        Assert.True(checkedCount > 10, $"only {checkedCount} operations without a body");
        Assert.Empty(missing);
    }

    [Theory]
    [InlineData("/v1/chat/completions", "post", "choices")]
    [InlineData("/v1/completions", "post", "choices")]
    [InlineData("/v1/jobs/{id}/events", "get", null)]
    public async Task OpenApi_StreamingOperation_DeclaresItsAnswerBodies(string path, string method, string? jsonField)
    {
        // A 200 declared both as JSON and as an event stream lost both in the document (no content at all).
        using var doc = JsonDocument.Parse(await _server.Client.GetStringAsync("/openapi/v1.json"));
        var ok = doc.RootElement.GetProperty("paths").GetProperty(path).GetProperty(method).GetProperty("responses").GetProperty("200");
        Assert.True(ok.TryGetProperty("content", out var content), $"{path}: 200 declares no body: {ok}");
        Assert.Equal("string", content.GetProperty("text/event-stream").GetProperty("schema").GetProperty("type").GetString());
        if (jsonField is null)
        {
            return;
        }

        var reference = content.GetProperty("application/json").GetProperty("schema").GetProperty("$ref").GetString()!;
        var schema = doc.RootElement.GetProperty("components").GetProperty("schemas").GetProperty(reference.Split('/')[^1]);
        Assert.True(schema.GetProperty("properties").TryGetProperty(jsonField, out _), $"{path}: no '{jsonField}' in {schema}");
    }

    [Theory]
    [InlineData("/v1/chat/completions", "{\"model\":\"count\",\"max_completion_tokens\":2,\"stop\":\"9\",\"messages\":[{\"role\":\"developer\",\"name\":\"ops\",\"content\":[{\"type\":\"text\",\"text\":\"hi\"}]},{\"role\":\"user\",\"content\":\"x\"}]}")]
    [InlineData("/v1/completions", "{\"model\":\"count\",\"max_completion_tokens\":2,\"stop\":\"9\",\"prompt\":[\"x\"]}")]
    public async Task OpenApi_OpenAiBodies_DeclareEveryShapeTheServerTakes(string path, string body)
    {
        // The document offered only one shape of each (content and prompt a string, stop an array), no name and no
        // max_completion_tokens, so a client built from it could not send the request the server just answered.
        var properties = await AcceptedBodyPropertiesAsync(path, body);
        Assert.True(properties.TryGetProperty("max_completion_tokens", out _), $"{path}: no max_completion_tokens");
        Assert.Contains("\"string\"", properties.GetProperty("stop").GetProperty("oneOf").GetRawText(), StringComparison.Ordinal);
        if (path == "/v1/completions")
        {
            Assert.Contains("\"array\"", properties.GetProperty("prompt").GetProperty("oneOf").GetRawText(), StringComparison.Ordinal);
            return;
        }

        var message = properties.GetProperty("messages").GetProperty("items").GetProperty("properties");
        Assert.True(message.TryGetProperty("name", out _), "a message has no name");
        Assert.Contains("\"developer\"", message.GetProperty("role").GetProperty("enum").GetRawText(), StringComparison.Ordinal);
        Assert.Contains("\"array\"", message.GetProperty("content").GetProperty("oneOf").GetRawText(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/v1/chat/completions", "{\"model\":\"count\",\"max_tokens\":2,\"stream_options\":null,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}")]
    [InlineData("/v1/completions", "{\"model\":\"count\",\"max_tokens\":2,\"stream_options\":null,\"prompt\":\"x\"}")]
    public async Task OpenApi_OpenAiStreamOptionsNull_DeclaredAsTheServerTakesIt(string path, string body)
    {
        var streamOptions = (await AcceptedBodyPropertiesAsync(path, body)).GetProperty("stream_options");
        Assert.Contains("\"null\"", streamOptions.GetProperty("type").GetRawText(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/health/live")]
    [InlineData("/health/ready")]
    public async Task HealthProbes_MethodOtherThanGetOrHead_405WithAllowAsEveryOtherEndpoint(string path)
    {
        // What the rest of the API answers (routing's 405, as problem details) is what the probes must answer.
        using var reference = await _server.Client.PostAsync("/metrics", TestServer.Json("{}"));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, reference.StatusCode);
        Assert.Equal(["GET", "HEAD"], reference.Content.Headers.Allow.Order());

        foreach (var method in new[] { HttpMethod.Post, HttpMethod.Put, HttpMethod.Delete, HttpMethod.Patch, HttpMethod.Options })
        {
            using var request = new HttpRequestMessage(method, path) { Content = TestServer.Json("{}") };
            using var response = await _server.Client.SendAsync(request);

            Assert.True(response.StatusCode == HttpStatusCode.MethodNotAllowed, $"{method} {path}: {(int)response.StatusCode}");
            Assert.Equal(["GET", "HEAD"], response.Content.Headers.Allow.Order());
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.Equal(405, problem.RootElement.GetProperty("status").GetInt32());
            Assert.Equal($"{method} is not allowed on {path}", problem.RootElement.GetProperty("detail").GetString());
        }

        using var get = await _server.Client.GetAsync(path);
        using var head = await _server.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, path));
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(get.Content.Headers.ContentType?.MediaType, head.Content.Headers.ContentType?.MediaType);
        Assert.Empty(await head.Content.ReadAsByteArrayAsync());
    }

    /// <summary>Posts <paramref name="body"/> (asserting 200), then the properties the document declares for that request body.</summary>
    private async Task<JsonElement> AcceptedBodyPropertiesAsync(string path, string body)
    {
        using var response = await _server.Client.PostAsync(path, TestServer.Json(body));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var doc = JsonDocument.Parse(await _server.Client.GetStringAsync("/openapi/v1.json"));
        return doc.RootElement.GetProperty("paths").GetProperty(path).GetProperty("post").GetProperty("requestBody")
            .GetProperty("content").GetProperty("application/json").GetProperty("schema").GetProperty("properties").Clone();
    }
}
