using System.Net;
using System.Text.Json;
using Sluice.Grading;
using Sluice.Grading.Serving;
using Sluice.Server.Tests.Infrastructure;

namespace Sluice.Server.Tests.Essays;

/// <summary>The essay grader (seed 000) through the server: stage events, library-identical results, batching.</summary>
[Collection(TimingCollection.Name)]
public sealed class EssayServingTests
{
    private const string Essay =
        "Computers help people in many ways. First, they let students find information quickly for there homework. " +
        "Second, people can talk to friends and family who live far away. Some people say computers are bad because " +
        "kids spend to much time on them, but I disagree.\n\nIn addition, computers teach hand-eye coordination and " +
        "typing skills. Many jobs today need these skills. For example, my uncle works in an office and uses a computer every day.\n\n" +
        "In conclusion, computers have a positive effect on people. They help us learn, talk to others and get jobs.";

    private static Dictionary<string, string> Settings => new() { ["Sluice:Models:essay-grader:Enabled"] = "true" };

    [Fact]
    public async Task Essays_WordListChangedAcrossRestart_NotAnsweredFromGradesOfTheOldList()
    {
        // The spelling dictionaries decide part of the grade (spelling flags, suggestions, features) as the model does.
        var words = Path.Combine(Directory.CreateTempSubdirectory("sluice-words-").FullName, "words");
        File.Copy(Grading.Spelling.SpellDictionary.DefaultWordList, words);
        var dataDir = Path.Combine(Path.GetTempPath(), "sluice-test-" + Guid.NewGuid().ToString("N"));
        var settings = new Dictionary<string, string>(Settings) { ["Sluice:Grading:WordListPath"] = words };
        var body = JsonSerializer.Serialize(new { prompt_id = 1, text = Essay + " Becuase of this, I agree." });
        try
        {
            var first = await TestServer.StartAsync(settings, dataDir);
            using var graded = await first.Client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/v1/essays") { Content = TestServer.Json(body), Headers = { { "Prefer", "wait=30" } } });
            using var again = await first.Client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/v1/essays") { Content = TestServer.Json(body), Headers = { { "Prefer", "wait=30" } } });
            var hit = await TestServer.ReadJsonAsync(again);
            await first.StopKeepingDataAsync();

            await File.AppendAllTextAsync(words, "becuase\n");
            await using var second = await TestServer.StartAsync(settings, dataDir);
            using var regraded = await second.Client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/v1/essays") { Content = TestServer.Json(body), Headers = { { "Prefer", "wait=30" } } });
            var after = await TestServer.ReadJsonAsync(regraded);

            Assert.True(hit.GetProperty("cached").GetBoolean(), "the same essay answers from the cache while the dictionaries stay");
            Assert.Equal("succeeded", after.GetProperty("status").GetString());
            Assert.False(after.GetProperty("cached").GetBoolean());
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(words)!, recursive: true);
        }
    }

    [Fact]
    public async Task Essays_Submit_StreamsStagesAndReturnsLibraryResult()
    {
        await using var server = await TestServer.StartAsync(Settings);
        var body = JsonSerializer.Serialize(new { prompt_id = 1, text = Essay });
        using var r = await server.Client.PostAsync("/v1/essays", TestServer.Json(body));
        Assert.Equal(HttpStatusCode.Accepted, r.StatusCode);
        var id = (await TestServer.ReadJsonAsync(r)).GetProperty("id").GetString()!;

        var events = await server.ReadEventsAsync(id);
        var stages = events.Where(e => e.Event == "progress").Select(e => JsonDocument.Parse(e.Data).RootElement.GetProperty("stage").GetString()!).Distinct().ToArray();
        Assert.Equal(["spelling", "grammar", "structure", "scoring", "feedback"], stages);
        Assert.Equal("completed", events[^1].Event);

        var job = await server.GetJobAsync(id);
        var expected = GradeResultJson.ToElement(GraderFactory.Create().Grade(new EssayRequest(Essay, 1)));
        Assert.Equal(Normalize(expected), Normalize(job.GetProperty("result")));
    }

    [Fact]
    public async Task Essays_OptionalFieldsNull_TreatedAsLeftOut()
    {
        // What a client generated from the OpenAPI document sends for unset optional fields.
        await using var server = await TestServer.StartAsync(Settings);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/essays")
        {
            Content = TestServer.Json(JsonSerializer.Serialize(new { prompt_id = (int?)null, prompt_text = (string?)null, text = Essay, priority = (string?)null, cache = (bool?)null })),
        };
        request.Headers.Add("Prefer", "wait=60");

        using var r = await server.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        var job = await TestServer.ReadJsonAsync(r);
        Assert.Equal("succeeded", job.GetProperty("status").GetString());
        Assert.Equal("normal", job.GetProperty("priority").GetString());
    }

    [Fact]
    public async Task Essays_TwoHundredConcurrent_AllCompleteInBatchesLargerThanOne()
    {
        await using var server = await TestServer.StartAsync(Settings);
        var results = await Task.WhenAll(Enumerable.Range(0, 200).Select(async i =>
        {
            var body = JsonSerializer.Serialize(new { prompt_id = 1 + (i % 8), text = Essay + $" This is essay number {i}." });
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/essays") { Content = TestServer.Json(body) };
            request.Headers.Add("Prefer", "wait=120");
            using var response = await server.Client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return await TestServer.ReadJsonAsync(response);
        }));
        Assert.All(results, j => Assert.Equal("succeeded", j.GetProperty("status").GetString()));
        Assert.True(results.Max(j => j.GetProperty("batch_size").GetInt32()) > 1, "no batch larger than 1 formed");
    }

    [Theory]
    [InlineData("{\"prompt_id\":1,\"text\":\"\"}", "text")]
    [InlineData("{\"prompt_id\":1,\"text\":\"   \\n\\t \"}", "text")]
    [InlineData("{\"prompt_id\":9,\"text\":\"An essay.\"}", "prompt_id")]
    [InlineData("{\"prompt_id\":1}", "text")]
    [InlineData("{\"prompt_id\":1,\"text\":5}", "text")]
    [InlineData("{\"prompt_id\":1,\"text\":\"An essay.\",\"cache\":\"no\"}", "cache")]
    public async Task Essays_BadInput_Returns400WithField(string body, string field)
    {
        await using var server = await TestServer.StartAsync(Settings);
        using var r = await server.Client.PostAsync("/v1/essays", TestServer.Json(body));
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Equal(field, (await TestServer.ReadJsonAsync(r)).GetProperty("field").GetString());
    }

    [Fact]
    public async Task Essays_GraderNotEnabled_404SaysSoWithoutBlamingAField()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string> { ["Sluice:Models:essay-grader:Enabled"] = "false" });

        using var r = await server.Client.PostAsync("/v1/essays", TestServer.Json("{\"prompt_id\":1,\"text\":\"An essay.\"}"));

        Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
        var problem = await TestServer.ReadJsonAsync(r);
        Assert.Equal("https://sluice.dev/problems/unknown-model", problem.GetProperty("type").GetString());
        Assert.Contains("does not run the essay grader", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.False(problem.TryGetProperty("field", out _));
    }

    [Fact]
    public async Task Essays_UnknownField_ProblemListsEveryAllowedField()
    {
        await using var server = await TestServer.StartAsync(Settings);
        using var r = await server.Client.PostAsync("/v1/essays", TestServer.Json("{\"prompt_id\":1,\"text\":\"An essay.\",\"colour\":1}"));
        var problem = await TestServer.ReadJsonAsync(r);
        Assert.Equal("colour", problem.GetProperty("field").GetString());
        Assert.EndsWith("expected text, prompt_id, prompt_text, priority, cache", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Essays_BinaryGarbageAndHugeText_FlaggedOrRefusedNever500()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string>(Settings) { ["Sluice:Http:MaxBodyBytes"] = "8388608" });
        var garbage = new string(Enumerable.Range(0, 3000).Select(i => (char)(0x2500 + (i * 7919 % 2000))).ToArray());
        var (r1, _) = await PostAsync(server, JsonSerializer.Serialize(new { prompt_id = 2, text = garbage }));
        Assert.Equal(HttpStatusCode.OK, r1.StatusCode);

        var huge = string.Join(' ', Enumerable.Repeat("word", 100_001));
        var (r2, problem) = await PostAsync(server, JsonSerializer.Serialize(new { prompt_id = 2, text = huge }));
        Assert.Equal(HttpStatusCode.BadRequest, r2.StatusCode);
        Assert.Equal("text", problem.GetProperty("field").GetString());
    }

    [Fact]
    public async Task Essays_CacheFalse_GradesAgainWithStageEvents()
    {
        await using var server = await TestServer.StartAsync(Settings);
        var body = JsonSerializer.Serialize(new { prompt_id = 1, text = Essay });
        var (first, _) = await PostAsync(server, body);
        var (cached, cachedJob) = await PostAsync(server, body);
        var (again, againJob) = await PostAsync(server, JsonSerializer.Serialize(new { prompt_id = 1, text = Essay, cache = false }));

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.True(cachedJob.GetProperty("cached").GetBoolean());
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.False(againJob.GetProperty("cached").GetBoolean());
        var events = await server.ReadEventsAsync(againJob.GetProperty("id").GetString()!);
        Assert.Equal(5, events.Count(e => e.Event == "progress"));
        Assert.Equal(Normalize(cachedJob.GetProperty("result")), Normalize(againJob.GetProperty("result")));
    }

    private static async Task<(HttpResponseMessage, JsonElement)> PostAsync(TestServer server, string body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/essays") { Content = TestServer.Json(body) };
        request.Headers.Add("Prefer", "wait=60");
        var response = await server.Client.SendAsync(request);
        return (response, await TestServer.ReadJsonAsync(response));
    }

    private static string Normalize(JsonElement e) => JsonSerializer.Serialize(e);
}
