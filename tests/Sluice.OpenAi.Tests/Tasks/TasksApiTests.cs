using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sluice.OpenAi.Tests.Infrastructure;
using Sluice.Server.Tasks;
using Sluice.Testing;

namespace Sluice.OpenAi.Tests.Tasks;

/// <summary>Task templates run as jobs: on the local model by default, on the count model where only the pipeline matters.</summary>
public sealed class TasksApiTests
{
    [Fact]
    public async Task Tasks_List_ShowsVersionedTemplatesWithSchemas()
    {
        await using var server = await SluiceServer.StartAsync();

        var list = await server.GetJsonAsync("/v1/tasks");

        var names = list.GetProperty("data").EnumerateArray().Select(t => t.GetProperty("name").GetString()).ToList();
        Assert.Equal(["blog-draft", "blog-outline", "blog-summary", "codegen", "essay-feedback"], names.Order().ToList());
        var codegen = list.GetProperty("data").EnumerateArray().Single(t => t.GetProperty("name").GetString() == "codegen");
        Assert.Equal(1, codegen.GetProperty("version").GetInt32());
        Assert.True(codegen.GetProperty("input").GetProperty("instruction").GetProperty("required").GetBoolean());
        Assert.False(codegen.GetProperty("input").GetProperty("context").GetProperty("required").GetBoolean());
        Assert.Equal(["interactive", "batch"], codegen.GetProperty("lanes").EnumerateArray().Select(l => l.GetString()).ToList());
    }

    [Fact]
    public async Task Tasks_InvalidInput_ProblemNamesTheField()
    {
        await using var server = await SluiceServer.StartAsync(new Dictionary<string, string> { ["Sluice:Tasks:Model"] = "count" });

        var (missing, missingProblem) = await server.PostAsync("/v1/tasks/codegen", """{"input":{"language":"python"}}""");
        var (wrongType, wrongProblem) = await server.PostAsync("/v1/tasks/blog-outline", """{"input":{"title":"T","sections":50}}""");
        var (lane, laneProblem) = await server.PostAsync("/v1/tasks/codegen", """{"input":{"language":"go","instruction":"x"},"lane":"urgent"}""");
        var (version, versionProblem) = await server.PostAsync("/v1/tasks/codegen", """{"input":{"language":"go","instruction":"x"},"version":7}""");
        using var unknown = await server.Client.PostAsync("/v1/tasks/poetry", SluiceServer.Json("""{"input":{}}"""));

        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.Equal("input.instruction", missingProblem.GetProperty("field").GetString());
        Assert.Equal("input.sections", wrongProblem.GetProperty("field").GetString());
        Assert.Equal("lane", laneProblem.GetProperty("field").GetString());
        Assert.Equal("version", versionProblem.GetProperty("field").GetString());
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, wrongType.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, lane.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, version.StatusCode);

        var (both, bothProblem) = await server.PostAsync("/v1/tasks/codegen", """{"input":{"language":"go","instruction":"x"},"priority":"high","lane":"batch"}""");
        Assert.Equal(HttpStatusCode.BadRequest, both.StatusCode);
        Assert.Equal("lane", bothProblem.GetProperty("field").GetString());
    }

    [Theory]
    [InlineData("/v1/tasks/blog-outline", """{"input":{"title":"Queues"},"max_tokens":2}""")]
    [InlineData("/v1/jobs", """{"model":"count","input":{"n":2}}""")]
    public async Task Submit_IdempotencyKeyOfATaskOnAnotherEndpoint_422NamingTheHeaderNotTheTasksJob(string otherPath, string otherBody)
    {
        // A key names one request to one endpoint: a replay of a job another endpoint created would answer in the wrong shape.
        await using var server = await SluiceServer.StartAsync(new Dictionary<string, string> { ["Sluice:Tasks:Model"] = "count", ["Sluice:BuiltIns:CountStepMs"] = "1" });

        var (first, firstJob) = await PostWithKeyAsync(server, "/v1/tasks/codegen", """{"input":{"language":"go","instruction":"x"},"max_tokens":2}""", "k-shared");
        var (other, problem) = await PostWithKeyAsync(server, otherPath, otherBody, "k-shared");

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, other.StatusCode);
        Assert.Equal("Idempotency-Key", problem.GetProperty("field").GetString());
        Assert.Contains("another endpoint", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.False(problem.TryGetProperty("id", out _), firstJob.GetProperty("id").GetString());
    }

    private static async Task<(HttpResponseMessage Response, JsonElement Body)> PostWithKeyAsync(SluiceServer server, string path, string body, string idempotencyKey)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = SluiceServer.Json(body) };
        request.Headers.Add("Idempotency-Key", idempotencyKey);
        var response = await server.Client.SendAsync(request);
        return (response, await SluiceServer.ReadJsonAsync(response));
    }

    [Fact]
    public async Task Tasks_RequestIdAndIdempotencyKeyHeader_BadRequestNamingRequestId()
    {
        await using var server = await SluiceServer.StartAsync(new Dictionary<string, string> { ["Sluice:Tasks:Model"] = "count", ["Sluice:BuiltIns:CountStepMs"] = "1" });
        const string body = """{"input":{"language":"go","instruction":"x"},"request_id":"r-1","max_tokens":2}""";

        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/tasks/codegen") { Content = SluiceServer.Json(body) };
        request.Headers.Add("Idempotency-Key", "k-1");
        using var both = await server.Client.SendAsync(request);
        var problem = await SluiceServer.ReadJsonAsync(both);
        // Honouring only the header would let a retry that sends the request_id alone create a second job.
        var (retry, retryJob) = await server.PostAsync("/v1/tasks/codegen", body);
        var (again, againJob) = await server.PostAsync("/v1/tasks/codegen", body);

        Assert.Equal(HttpStatusCode.BadRequest, both.StatusCode);
        Assert.Equal("request_id", problem.GetProperty("field").GetString());
        Assert.Equal(HttpStatusCode.Accepted, retry.StatusCode);
        Assert.True(again.IsSuccessStatusCode);
        Assert.Equal(retryJob.GetProperty("id").GetString(), againJob.GetProperty("id").GetString());
    }

    [Fact]
    public async Task Tasks_BodyFieldErrors_NameTheBodyFieldAndItsRange()
    {
        await using var server = await SluiceServer.StartAsync(new Dictionary<string, string> { ["Sluice:Tasks:Model"] = "count", ["Sluice:BuiltIns:CountStepMs"] = "1" });
        const string input = "\"input\":{\"language\":\"go\",\"instruction\":\"x\"}";

        var (negativeSeed, negativeSeedProblem) = await server.PostAsync("/v1/tasks/codegen", $$"""{{{input}},"seed":-1}""");
        var (overModel, overModelProblem) = await server.PostAsync("/v1/tasks/codegen", $$"""{{{input}},"model":"count","max_tokens":100001}""");
        var (overInt, overIntProblem) = await server.PostAsync("/v1/tasks/codegen", $$"""{{{input}},"max_tokens":3000000000}""");
        var (first, firstJob) = await server.PostAsync("/v1/tasks/codegen", $$"""{{{input}},"request_id":"r-7","max_tokens":2}""");
        var (reused, reusedProblem) = await server.PostAsync("/v1/tasks/codegen", $$"""{{{input}},"request_id":"r-7","max_tokens":3}""");
        // Unset fields spelt as null are the same request: a replay, not a reuse.
        var (nulls, nullsJob) = await server.PostAsync("/v1/tasks/codegen", $$"""{{{input}},"request_id":"r-7","max_tokens":2,"seed":null,"lane":null,"cache":null}""");

        Assert.Equal(HttpStatusCode.BadRequest, negativeSeed.StatusCode);
        Assert.Equal("seed", negativeSeedProblem.GetProperty("field").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, overModel.StatusCode);
        Assert.Equal("max_tokens", overModelProblem.GetProperty("field").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, overInt.StatusCode);
        Assert.Equal("max_tokens", overIntProblem.GetProperty("field").GetString());
        Assert.Contains("from 1 to 2147483647", overIntProblem.GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal((HttpStatusCode)422, reused.StatusCode);
        Assert.Equal("request_id", reusedProblem.GetProperty("field").GetString());
        Assert.True(nulls.IsSuccessStatusCode, $"{(int)nulls.StatusCode}: {nullsJob}");
        Assert.Equal(firstJob.GetProperty("id").GetString(), nullsJob.GetProperty("id").GetString());
    }

    [Fact]
    public async Task Tasks_ConfiguredModelMissingOrNotGenerative_Returns503NamingTheSettingAndWarnsAtStart()
    {
        var logs = new RecordingLoggerProvider();
        await using var server = await SluiceServer.StartAsync(new Dictionary<string, string>
        {
            ["Sluice:Tasks:Model"] = "nope",
            ["Sluice:Tasks:Models:codegen"] = "echo",
            ["Sluice:Tasks:Models:poetry"] = "count",
        }, configureServices: s => s.AddSingleton<ILoggerProvider>(logs));

        var (missing, missingProblem) = await server.PostAsync("/v1/tasks/blog-outline", """{"input":{"title":"T"}}""");
        var (notGenerative, notGenerativeProblem) = await server.PostAsync("/v1/tasks/codegen", """{"input":{"language":"go","instruction":"x"}}""");
        var (named, namedProblem) = await server.PostAsync("/v1/tasks/blog-outline", """{"input":{"title":"T"},"model":"nope"}""");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, missing.StatusCode);
        Assert.Contains("Sluice:Tasks:Model = 'nope' names no model", missingProblem.GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, notGenerative.StatusCode);
        Assert.Contains("Sluice:Tasks:Models:codegen = 'echo' is not a generative model", notGenerativeProblem.GetProperty("detail").GetString());
        // The request's own model stays the client's fault.
        Assert.Equal(HttpStatusCode.NotFound, named.StatusCode);
        Assert.Equal("model", namedProblem.GetProperty("field").GetString());
        var problems = server.Services.GetRequiredService<TaskModelResolver>().ConfigurationProblems();
        Assert.Equal(3, problems.Count);
        Assert.Contains(problems, p => p.StartsWith("Sluice:Tasks:Models:poetry: there is no task 'poetry'", StringComparison.Ordinal));
        // The operator is told at start, one warning each, not only by the first failing request.
        foreach (var p in problems)
        {
            Assert.Contains("Configuration problem: " + p, logs.Warnings);
        }
    }

    [Fact]
    public async Task Tasks_EssayFeedbackWithGraderResultOfLongestEssay_Accepted()
    {
        await using var server = await SluiceServer.StartAsync(new Dictionary<string, string>
        {
            ["Sluice:Models:essay-grader:Enabled"] = "true",
            ["Sluice:Tasks:Model"] = "count",
            ["Sluice:BuiltIns:CountStepMs"] = "1",
        });

        // Essays at the task's 30,000-character limit: one with a mistake in nearly every word, and the largest
        // result found (one long non-word repeated), each graded by the real grader and sent back pretty-printed.
        var essays = new[]
        {
            Fill("Their are alot of peeple who recieve there homwork to late and they dont no why. i think computers is good. "),
            Fill(new string('x', 200) + " "),
        };
        foreach (var essay in essays)
        {
            using var grading = new HttpRequestMessage(HttpMethod.Post, "/v1/essays") { Content = SluiceServer.Json(JsonSerializer.Serialize(new { prompt_id = 1, text = essay })) };
            grading.Headers.Add("Prefer", "wait=60");
            using var graded = await server.Client.SendAsync(grading);
            var grade = (await SluiceServer.ReadJsonAsync(graded)).GetProperty("result");
            var pretty = JsonSerializer.Serialize(grade, new JsonSerializerOptions { WriteIndented = true });
            Assert.True(grade.GetRawText().Length > 20_000, "the grade must be larger than the old limit to test anything");

            var (response, body) = await server.PostAsync("/v1/tasks/essay-feedback", $$"""{"input":{"essay":{{JsonSerializer.Serialize(essay)}},"grade":{{pretty}}},"max_tokens":2}""");

            Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"grade of {pretty.Length} characters pretty-printed: {(int)response.StatusCode} {body}");
        }
    }

    private static string Fill(string unit)
    {
        var essay = new System.Text.StringBuilder();
        while (essay.Length + unit.Length <= 30_000)
        {
            essay.Append(unit);
        }

        return essay.ToString();
    }

    [Fact]
    public async Task Tasks_CodegenLanesAndRequestId_PriorityAndIdempotency()
    {
        await using var server = await SluiceServer.StartAsync(new Dictionary<string, string> { ["Sluice:Tasks:Model"] = "count", ["Sluice:BuiltIns:CountStepMs"] = "1" });
        const string body = """{"input":{"language":"python","instruction":"add two numbers"},"lane":"batch","request_id":"req-1","max_tokens":4}""";

        var (first, firstJob) = await server.PostAsync("/v1/tasks/codegen", body);
        var (again, againJob) = await server.PostAsync("/v1/tasks/codegen", body);
        var (interactive, interactiveJob) = await server.PostAsync("/v1/tasks/codegen", """{"input":{"language":"python","instruction":"add two numbers"},"lane":"interactive","max_tokens":4}""");

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal("codegen@1", first.Headers.GetValues("X-Sluice-Task").Single());
        Assert.Equal("low", firstJob.GetProperty("priority").GetString());
        Assert.Equal(firstJob.GetProperty("id").GetString(), againJob.GetProperty("id").GetString());
        Assert.Equal("true", again.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal("high", interactiveJob.GetProperty("priority").GetString());
        var done = await server.WaitTerminalAsync(firstJob.GetProperty("id").GetString()!, TimeSpan.FromSeconds(10));
        Assert.Equal("1 2 3 4", done.GetProperty("result").GetProperty("text").GetString());
        _ = interactive;
    }

    [Fact]
    public async Task Tasks_OptionalFieldsNull_TreatedAsLeftOut()
    {
        // What a client generated from the OpenAPI document sends for unset optional fields.
        await using var server = await SluiceServer.StartAsync(new Dictionary<string, string> { ["Sluice:Tasks:Model"] = "count", ["Sluice:BuiltIns:CountStepMs"] = "1" });
        const string body = """
            {"input":{"language":"python","instruction":"add two numbers"},"model":null,"version":null,"priority":null,"lane":null,"deadline_ms":null,
             "max_tokens":3,"temperature":null,"seed":null,"request_id":null,"cache":null}
            """;

        var (response, job) = await server.PostAsync("/v1/tasks/codegen", body);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var done = await server.WaitTerminalAsync(job.GetProperty("id").GetString()!, TimeSpan.FromSeconds(10));
        Assert.Equal("1 2 3", done.GetProperty("result").GetProperty("text").GetString());
    }

    [Theory]
    [InlineData("\"priority\":null,\"lane\":\"interactive\"")]
    [InlineData("\"lane\":\"interactive\",\"priority\":null")]
    public async Task Tasks_LaneWithPriorityNull_LaneSetsThePriority(string fields)
    {
        // A generated client sends the unset priority as null beside the lane it set: one priority, not two.
        await using var server = await SluiceServer.StartAsync(new Dictionary<string, string> { ["Sluice:Tasks:Model"] = "count", ["Sluice:BuiltIns:CountStepMs"] = "1" });

        var (response, job) = await server.PostAsync("/v1/tasks/codegen", $$"""{"input":{"language":"python","instruction":"add two numbers"},{{fields}},"max_tokens":2}""");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("high", job.GetProperty("priority").GetString());
    }

    [Fact]
    public async Task Tasks_IntegersWrittenWithFraction_ReadByValue()
    {
        await using var server = await SluiceServer.StartAsync(new Dictionary<string, string> { ["Sluice:Tasks:Model"] = "count", ["Sluice:BuiltIns:CountStepMs"] = "1" });

        var (response, job) = await server.PostAsync("/v1/tasks/blog-outline", """
            {"input":{"title":"Queues","sections":3.0},"version":1.0,"deadline_ms":6e4,"max_tokens":3.0,"seed":1e0}
            """);
        var (fraction, problem) = await server.PostAsync("/v1/tasks/blog-outline", """{"input":{"title":"Queues"},"max_tokens":2.5}""");
        var (inputFraction, inputProblem) = await server.PostAsync("/v1/tasks/blog-outline", """{"input":{"title":"Queues","sections":3.5}}""");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var done = await server.WaitTerminalAsync(job.GetProperty("id").GetString()!, TimeSpan.FromSeconds(10));
        Assert.Equal("1 2 3", done.GetProperty("result").GetProperty("text").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, fraction.StatusCode);
        Assert.Equal("max_tokens", problem.GetProperty("field").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, inputFraction.StatusCode);
        Assert.Equal("input.sections", inputProblem.GetProperty("field").GetString());
        Assert.Equal("expected an integer from 2 to 12", inputProblem.GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData("1e400")]
    [InlineData("\"3\"")]
    [InlineData("true")]
    public async Task Tasks_IntegerFieldNotAnInteger_ProblemGivesTheRange(string sections)
    {
        await using var server = await SluiceServer.StartAsync(new Dictionary<string, string> { ["Sluice:Tasks:Model"] = "count" });

        var (response, problem) = await server.PostAsync("/v1/tasks/blog-outline", "{\"input\":{\"title\":\"Queues\",\"sections\":" + sections + "}}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("input.sections", problem.GetProperty("field").GetString());
        Assert.Equal("expected an integer from 2 to 12", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Tasks_OutlineListLimit_CountsTheCharactersOfTheItemsSent()
    {
        await using var server = await SluiceServer.StartAsync(new Dictionary<string, string> { ["Sluice:Tasks:Model"] = "count" });
        var within = JsonSerializer.Serialize(Enumerable.Repeat("ab", 2000)); // 4,000 characters of 8,000
        var over = JsonSerializer.Serialize(Enumerable.Repeat("abc", 3000)); // 9,000 characters

        var (accepted, _) = await server.PostAsync("/v1/tasks/blog-draft", "{\"input\":{\"title\":\"Queues\",\"outline\":" + within + "}}");
        var (refused, problem) = await server.PostAsync("/v1/tasks/blog-draft", "{\"input\":{\"title\":\"Queues\",\"outline\":" + over + "}}");

        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal("input.outline", problem.GetProperty("field").GetString());
        Assert.Equal("is 9000 characters; at most 8000", problem.GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData("""["  "]""", "input.outline[0]")]
    [InlineData("""["The 8 pm spike",""]""", "input.outline[1]")]
    [InlineData("""["The 8 pm spike","\t\n","Backpressure"]""", "input.outline[1]")]
    public async Task Tasks_OutlineListWithBlankItem_BadRequestNamingTheItem(string outline, string field)
    {
        await using var server = await SluiceServer.StartAsync(new Dictionary<string, string> { ["Sluice:Tasks:Model"] = "count" });

        var (response, problem) = await server.PostAsync("/v1/tasks/blog-draft", "{\"input\":{\"title\":\"Queues\",\"outline\":" + outline + "}}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(field, problem.GetProperty("field").GetString());
        Assert.Equal("must not be empty", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Tasks_JobCancelledMidGeneration_GeneratedTokensStaySpent()
    {
        await using var server = await SluiceServer.StartAsync(new Dictionary<string, string>
        {
            ["Sluice:Tasks:Model"] = "count",
            ["Sluice:BuiltIns:CountStepMs"] = "100",
            ["Sluice:Auth:Keys:0:Id"] = "alice",
            ["Sluice:Auth:Keys:0:Key"] = "sk-alice",
            ["Sluice:Auth:Keys:0:TokensPerMinute"] = "120",
        });
        server.Client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "sk-alice");
        const string body = """{"input":{"language":"go","instruction":"x"},"max_tokens":120}""";

        // Reserve the whole budget of 120, let 25 tokens be generated, then cancel the job. Two tokens a second refill,
        // so the 429 below holds for at least 12 s after the reservation; 9.5 s of generation are left for the cancel
        // to land (both margins for a slow, loaded machine).
        var (first, job) = await server.PostAsync("/v1/tasks/codegen", body);
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        var jobId = job.GetProperty("id").GetString()!;
        using (var events = await server.Client.GetAsync($"/v1/jobs/{jobId}/events", HttpCompletionOption.ResponseHeadersRead))
        using (var reader = new StreamReader(await events.Content.ReadAsStreamAsync()))
        {
            var deltas = 0;
            while (deltas < 25 && await reader.ReadLineAsync() is { } line)
            {
                deltas += line == "event: delta" ? 1 : 0;
            }
        }

        using var cancel = await server.Client.DeleteAsync($"/v1/jobs/{jobId}");
        Assert.Equal("cancelled", (await server.WaitTerminalAsync(jobId, TimeSpan.FromSeconds(30))).GetProperty("status").GetString());

        // At most the 95 not generated come back (plus two tokens a second of refill): the whole budget cannot fit again.
        var (second, problem) = await server.PostAsync("/v1/tasks/codegen", body);
        Assert.Equal((HttpStatusCode)429, second.StatusCode);
        Assert.Equal("https://sluice.dev/problems/rate-limited", problem.GetProperty("type").GetString());
    }

    [Fact]
    public async Task Tasks_OptionalInputFieldsNull_SameAsLeftOut()
    {
        await using var server = await SluiceServer.StartAsync(new Dictionary<string, string> { ["Sluice:Tasks:Model"] = "count", ["Sluice:BuiltIns:CountStepMs"] = "1" });

        var (first, firstJob) = await server.PostAsync("/v1/tasks/blog-outline", """{"input":{"title":"Queues"},"max_tokens":2,"temperature":0}""");
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        await server.WaitTerminalAsync(firstJob.GetProperty("id").GetString()!, TimeSpan.FromSeconds(10));
        var (nulls, nullsJob) = await server.PostAsync("/v1/tasks/blog-outline", """{"input":{"title":"Queues","audience":null,"sections":null},"max_tokens":2,"temperature":0}""");
        var (codegen, _) = await server.PostAsync("/v1/tasks/codegen", """{"input":{"language":"go","instruction":"x","context":null},"max_tokens":2}""");
        var (required, requiredProblem) = await server.PostAsync("/v1/tasks/codegen", """{"input":{"language":"go","instruction":null}}""");

        // The same rendered prompt (default section count, no audience): answered from the first one's cache entry.
        Assert.Equal(HttpStatusCode.OK, nulls.StatusCode);
        Assert.True(nullsJob.GetProperty("cached").GetBoolean());
        Assert.Equal(HttpStatusCode.Accepted, codegen.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, required.StatusCode);
        Assert.Equal("input.instruction", requiredProblem.GetProperty("field").GetString());
    }

    [Theory]
    [InlineData("blog-outline", "{\"title\":\"Queues\"}", "{\"title\":\"Queues\",\"audience\":\"   \"}")]
    [InlineData("blog-draft", "{\"title\":\"Queues\",\"outline\":\"one\"}", "{\"title\":\"Queues\",\"outline\":\"one\",\"tone\":\"\"}")]
    [InlineData("codegen", "{\"language\":\"go\",\"instruction\":\"x\"}", "{\"language\":\"go\",\"instruction\":\"x\",\"context\":\" \\n\\t \"}")]
    [InlineData("essay-feedback", "{\"essay\":\"e\",\"grade\":{\"score\":3}}", "{\"essay\":\"e\",\"grade\":{\"score\":3},\"prompt_text\":\"\"}")]
    public async Task Tasks_OptionalInputFieldBlank_SameAsLeftOut(string task, string input, string blank)
    {
        // A blank optional text (an HTML form's empty box) used to reach the prompt as "Audience: ." or an empty
        // context block; it is the field left out, as null is: the same prompt, so the first one's cache entry answers.
        await using var server = await SluiceServer.StartAsync(new Dictionary<string, string> { ["Sluice:Tasks:Model"] = "count", ["Sluice:BuiltIns:CountStepMs"] = "1" });

        var (first, firstJob) = await server.PostAsync($"/v1/tasks/{task}", $$"""{"input":{{input}},"max_tokens":2,"temperature":0}""");
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        await server.WaitTerminalAsync(firstJob.GetProperty("id").GetString()!, TimeSpan.FromSeconds(10));
        var (second, secondJob) = await server.PostAsync($"/v1/tasks/{task}", $$"""{"input":{{blank}},"max_tokens":2,"temperature":0}""");

        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.True(secondJob.GetProperty("cached").GetBoolean(), secondJob.ToString());
    }

    [Theory]
    [InlineData("codegen", "{\"language\":\"go\",\"instruction\":\"  \"}", "input.instruction")]
    [InlineData("blog-outline", "{\"title\":\"\"}", "input.title")]
    [InlineData("blog-draft", "{\"title\":\"t\",\"outline\":\" \\n \"}", "input.outline")]
    [InlineData("blog-summary", "{\"text\":\"\\t\"}", "input.text")]
    public async Task Tasks_RequiredInputFieldBlank_BadRequestNamingTheField(string task, string input, string field)
    {
        await using var server = await SluiceServer.StartAsync(new Dictionary<string, string> { ["Sluice:Tasks:Model"] = "count" });

        var (response, problem) = await server.PostAsync($"/v1/tasks/{task}", $$"""{"input":{{input}}}""");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(field, problem.GetProperty("field").GetString());
        Assert.Equal("must not be empty", problem.GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData("codegen", "{\"language\":\"go\",\"instruction\":\"add\\u0000two\"}", "input.instruction", "U+0000")]
    [InlineData("blog-draft", "{\"title\":\"t\",\"outline\":[\"ok\",\"bell\\u0007\"]}", "input.outline[1]", "U+0007")]
    [InlineData("blog-outline", "{\"title\":\"t\",\"audience\":\"\\u001b[31mred\"}", "input.audience", "U+001B")]
    [InlineData("essay-feedback", "{\"essay\":\"e\",\"grade\":{},\"prompt_text\":\"del\\u007f\"}", "input.prompt_text", "U+007F")]
    public async Task Tasks_InputTextWithControlCharacter_BadRequestNamingTheField(string task, string input, string field, string character)
    {
        await using var server = await SluiceServer.StartAsync(new Dictionary<string, string> { ["Sluice:Tasks:Model"] = "count" });

        var (response, problem) = await server.PostAsync($"/v1/tasks/{task}", $$"""{"input":{{input}}}""");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(field, problem.GetProperty("field").GetString());
        Assert.Contains(character, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tasks_InputTextWithWhitespaceControls_Accepted()
    {
        await using var server = await SluiceServer.StartAsync(new Dictionary<string, string> { ["Sluice:Tasks:Model"] = "count", ["Sluice:BuiltIns:CountStepMs"] = "1" });

        var (response, job) = await server.PostAsync("/v1/tasks/codegen", """{"input":{"language":"go","instruction":"line one\r\n\tline two\fpage two\u000Bend"},"max_tokens":2}""");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("succeeded", (await server.WaitTerminalAsync(job.GetProperty("id").GetString()!, TimeSpan.FromSeconds(10))).GetProperty("status").GetString());
    }

    [SharedDataFact("models/stories260K.bin")]
    public async Task Tasks_BlogDraftOnLocalModelByDefault_StreamsDeltasThenCompletes()
    {
        await using var server = await SluiceServer.StartAsync(SluiceServer.LocalModel());

        var (response, job) = await server.PostAsync("/v1/tasks/blog-draft", """{"input":{"title":"The little red boat","outline":["A boat is built","The first storm","Home again"]},"max_tokens":60}""");
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        // Both the checkpoint and its GGUF copy are found; the plain name is the default whatever the discovery order.
        Assert.Equal("stories260k", response.Headers.GetValues("X-Sluice-Model").Single());

        using var events = await server.Client.GetAsync(job.GetProperty("links").GetProperty("events").GetString(), HttpCompletionOption.ResponseHeadersRead);
        var text = new System.Text.StringBuilder();
        string? terminal = null;
        using (var reader = new StreamReader(await events.Content.ReadAsStreamAsync()))
        {
            string? type = null;
            while (await reader.ReadLineAsync() is { } line)
            {
                if (line.StartsWith("event: ", StringComparison.Ordinal))
                {
                    type = line[7..];
                }
                else if (line.StartsWith("data: ", StringComparison.Ordinal) && type == "delta")
                {
                    using var d = JsonDocument.Parse(line[6..]);
                    text.Append(d.RootElement.GetProperty("text").GetString());
                }
                else if (line.StartsWith("data: ", StringComparison.Ordinal) && type is "completed" or "failed" or "dead_lettered")
                {
                    terminal = type;
                    break;
                }
            }
        }

        Assert.Equal("completed", terminal);
        Assert.True(text.Length > 0);
        var done = await server.WaitTerminalAsync(job.GetProperty("id").GetString()!, TimeSpan.FromSeconds(5));
        Assert.Equal(text.ToString(), done.GetProperty("result").GetProperty("text").GetString());
    }

    [SharedDataFact("models/stories260K.bin")]
    public async Task Tasks_EveryTemplateOnLocalModel_Succeeds()
    {
        await using var server = await SluiceServer.StartAsync(SluiceServer.LocalModel());
        var inputs = new Dictionary<string, string>
        {
            ["codegen"] = """{"language":"python","instruction":"Return the sum of a list."}""",
            ["blog-outline"] = """{"title":"A day at the farm","sections":3}""",
            ["blog-summary"] = """{"text":"Tim had a red ball. He played with it in the park every day. One day it rolled away and his dog found it.","sentences":1}""",
            ["essay-feedback"] = """{"essay":"School uniforms are good because everyone looks the same and nobody is teased.","grade":{"score":2.5,"traits":{"ideas":2,"organization":3}}}""",
        };

        foreach (var (task, input) in inputs)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/tasks/" + task) { Content = SluiceServer.Json($$"""{"input":{{input}},"max_tokens":24}""") };
            request.Headers.Add("Prefer", "wait=60");
            using var response = await server.Client.SendAsync(request);
            var job = await SluiceServer.ReadJsonAsync(response);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{task}: {(int)response.StatusCode} {job}");
            Assert.Equal("succeeded", job.GetProperty("status").GetString());
            Assert.False(string.IsNullOrEmpty(job.GetProperty("result").GetProperty("text").GetString()), task);
        }
    }
}
