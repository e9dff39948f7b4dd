using System.Net;
using System.Text.Json;
using Sluice.Core.Paths;
using Sluice.Server.Tests.Infrastructure;
using Sluice.Testing;

namespace Sluice.Server.Tests.Engine;

/// <summary>The transformer engine served through the whole pipeline (job API, continuous batcher, events).</summary>
public sealed class EngineServingTests
{
    [SharedDataFact("models/stories260K.bin", "models/tok512.bin", "golden/stories260K-greedy.jsonl")]
    public async Task Generate_GoldenPromptsThroughServer_ReproduceLlama2cTextExactly()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string>
        {
            ["Sluice:Engine:ModelsPaths:0"] = SharedData.TryGetPath("models")!,
        });
        foreach (var line in File.ReadLines(SharedDataFactAttribute.RequirePath("golden/stories260K-greedy.jsonl")))
        {
            using var golden = JsonDocument.Parse(line);
            var prompt = golden.RootElement.GetProperty("prompt").GetString()!;
            var steps = golden.RootElement.GetProperty("steps").GetInt32();
            var expected = golden.RootElement.GetProperty("text").GetString()!;

            // llama2.c fills `steps` positions, BOS and prompt included: generated = steps + 1 − prompt tokens (with BOS).
            var probe = await GenerateAsync(server, prompt, 1);
            var promptTokens = probe.GetProperty("usage").GetProperty("prompt_tokens").GetInt32();
            var result = await GenerateAsync(server, prompt, steps + 1 - promptTokens);
            Assert.Equal(expected.TrimEnd('\n'), prompt + result.GetProperty("text").GetString());
        }
    }

    [SharedDataFact("models/stories260K.bin", "models/tok512.bin")]
    public async Task Generate_SixteenConcurrentStreams_AllStreamBeforeAnyFinishes()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string>
        {
            ["Sluice:Engine:ModelsPaths:0"] = SharedData.TryGetPath("models")!,
            ["Sluice:Models:stories260k:MaxNumSeqs"] = "16",
        });
        // All 16 are submitted at once and each stream is read from its submit on. Whether they overlapped is judged
        // on the server's timestamps, not on when this client got round to reading: on a loaded machine one stream
        // may be read only after it ended (its events then arrive all at once). 480 tokens: these seeds meet the end
        // token after 220 to 480, so the first finishes about a second after the last submit. At 120 tokens (half a
        // second) a durable write slowed by a loaded CI machine once held a job back past the first completion.
        var streams = await Task.WhenAll(Enumerable.Range(0, 16).Select(async i =>
        {
            var (r, body) = await server.PostJobAsync($"{{\"model\":\"stories260k\",\"input\":{{\"prompt\":\"Once upon a time {i}\",\"max_tokens\":480,\"temperature\":0.8,\"seed\":{i}}}}}");
            Assert.Equal(HttpStatusCode.Accepted, r.StatusCode);
            var id = body.GetProperty("id").GetString()!;
            var events = await server.ReadEventsAsync(id);
            return (Id: id, Events: events);
        }));

        var jobs = new List<JsonElement>();
        foreach (var (id, events) in streams)
        {
            Assert.Equal("completed", events[^1].Event);
            Assert.Contains(events, e => e.Event == "delta");
            jobs.Add(await server.GetJobAsync(id));
        }

        DateTimeOffset At(JsonElement job, string field) => job.GetProperty(field).GetDateTimeOffset();
        var lastCreated = jobs.Max(j => At(j, "created_at"));
        var firstCompleted = jobs.Min(j => At(j, "completed_at"));
        Assert.True(lastCreated < firstCompleted, $"the submits took longer than a generation (last created {lastCreated:O}, first completed {firstCompleted:O}): nothing overlapped");

        // Continuous batching: every sequence had joined the batch before the first one finished.
        var last = jobs.MaxBy(j => At(j, "started_at"));
        var lastStarted = At(last, "started_at");
        Assert.True(lastStarted < firstCompleted, $"a request waited for another one to finish (last started {lastStarted:O} after {(lastStarted - At(last, "created_at")).TotalMilliseconds:F0} ms queued, first completed {firstCompleted:O})");
    }

    [SharedDataFact("models/stories260K.bin", "models/tok512.bin")]
    public async Task Generate_RepeatedGreedyOrSeeded_SecondFromResultCacheUnseededNever()
    {
        // The engine's output does not depend on the batch, so greedy and seeded requests are cacheable;
        // unseeded sampling must run every time.
        await using var server = await TestServer.StartAsync(new Dictionary<string, string>
        {
            ["Sluice:Engine:ModelsPaths:0"] = SharedData.TryGetPath("models")!,
        });
        const string Greedy = "{\"model\":\"stories260k\",\"input\":{\"prompt\":\"Lily had a\",\"max_tokens\":40,\"temperature\":0}}";
        const string Seeded = "{\"model\":\"stories260k\",\"input\":{\"prompt\":\"Lily had a\",\"max_tokens\":40,\"temperature\":0.9,\"seed\":5}}";
        const string Unseeded = "{\"model\":\"stories260k\",\"input\":{\"prompt\":\"Lily had a\",\"max_tokens\":40,\"temperature\":0.9}}";

        foreach (var request in new[] { Greedy, Seeded })
        {
            var (_, first) = await server.PostJobAsync(request, waitSeconds: 60);
            var (_, second) = await server.PostJobAsync(request, waitSeconds: 60);

            Assert.False(first.GetProperty("cached").GetBoolean());
            Assert.True(second.GetProperty("cached").GetBoolean(), request);
            Assert.Equal(first.GetProperty("result").GetProperty("text").GetString(), second.GetProperty("result").GetProperty("text").GetString());
        }

        var (_, a) = await server.PostJobAsync(Unseeded, waitSeconds: 60);
        var (_, b) = await server.PostJobAsync(Unseeded, waitSeconds: 60);
        Assert.False(a.GetProperty("cached").GetBoolean());
        Assert.False(b.GetProperty("cached").GetBoolean());
    }

    [SharedDataFact("models/stories260K.bin", "models/tok512.bin")]
    public async Task Generate_StopStringsAcrossTokens_DeltaTokensSumToUsage()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string>
        {
            ["Sluice:Engine:ModelsPaths:0"] = SharedData.TryGetPath("models")!,
        });
        // Greedy from an empty prompt writes "Once upon a time, there was a little girl named Lily." The first stop is
        // held back token by token from "time" until "little" rules it out; the second matches across tokens and
        // swallows them (and the text held before it).
        var (r, body) = await server.PostJobAsync("""
            {"model":"stories260k","cache":false,"input":{"prompt":"","max_tokens":60,"temperature":0,"stop":["time, there was a big","girl named"]}}
            """, waitSeconds: 120);
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        var result = body.GetProperty("result");
        var events = await server.ReadEventsAsync(body.GetProperty("id").GetString()!);

        var deltas = events.Where(e => e.Event == "delta").Select(e => JsonDocument.Parse(e.Data).RootElement).ToList();
        Assert.Equal("stop", result.GetProperty("finish_reason").GetString());
        Assert.Equal("Once upon a time, there was a little ", result.GetProperty("text").GetString());
        Assert.Equal(result.GetProperty("text").GetString(), string.Concat(deltas.Select(d => d.GetProperty("text").GetString())));
        Assert.Equal(result.GetProperty("usage").GetProperty("completion_tokens").GetInt32(), deltas.Sum(d => d.GetProperty("tokens").GetInt32()));
        Assert.Contains(deltas, d => d.GetProperty("tokens").GetInt32() > 1); // held-back tokens travel with their text
    }

    [SharedDataFact("models/stories260K.bin", "models/tok512.bin")]
    public async Task Submit_MegabytePrompt_400NamingThePromptInsteadOfHanging()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string>
        {
            ["Sluice:Engine:ModelsPaths:0"] = SharedData.TryGetPath("models")!,
        });
        // A prompt far beyond the 512-token context, under the 2 MiB body limit. Encoding it rescanned the whole
        // sequence per merge (llama2.c's loop): 200 KB took 90 s and this one tens of minutes, so the client gave up
        // long before the refusal. The client's own timeout is the hang detector here.
        var prompt = string.Concat(Enumerable.Repeat("Once upon a time ", 60_000));

        var (r, body) = await server.PostJobAsync($"{{\"model\":\"stories260k\",\"input\":{{\"prompt\":\"{prompt}\",\"max_tokens\":5}}}}");

        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Equal("input.prompt", body.GetProperty("field").GetString());
        Assert.Contains("but the context of stories260k is 512 tokens", body.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [SharedDataFact("models/stories260K.bin", "models/tok512.bin")]
    public async Task ResultCache_CheckpointRetrainedAtTheSameSizeAndTime_NotAnsweredFromTheOldResults()
    {
        var models = Directory.CreateTempSubdirectory("sluice-retrained-").FullName;
        var dataDir = Path.Combine(Path.GetTempPath(), "sluice-test-" + Guid.NewGuid().ToString("N"));
        var checkpoint = Path.Combine(models, "stories260K.bin");
        File.Copy(SharedDataFactAttribute.RequirePath("models/stories260K.bin"), checkpoint);
        File.Copy(SharedDataFactAttribute.RequirePath("models/tok512.bin"), Path.Combine(models, "tok512.bin"));
        var settings = new Dictionary<string, string> { ["Sluice:Engine:ModelsPaths:0"] = models };
        const string job = "{\"model\":\"stories260k\",\"input\":{\"prompt\":\"Once upon a time\",\"max_tokens\":16,\"temperature\":0}}";
        try
        {
            var first = await TestServer.StartAsync(settings, dataDir);
            var (_, ran) = await first.PostJobAsync(job, waitSeconds: 120);
            await first.StopKeepingDataAsync();
            var unchanged = await TestServer.StartAsync(settings, dataDir);
            var (_, hit) = await unchanged.PostJobAsync(job, waitSeconds: 120);
            await unchanged.StopKeepingDataAsync();

            // Other weights of the same shape, written with the old file's time kept (cp -p, rsync -a, an image build).
            var written = File.GetLastWriteTimeUtc(checkpoint);
            var bytes = await File.ReadAllBytesAsync(checkpoint);
            Array.Copy(bytes, bytes.Length / 4, bytes, bytes.Length / 2, 64 * 1024);
            await File.WriteAllBytesAsync(checkpoint, bytes);
            File.SetLastWriteTimeUtc(checkpoint, written);
            await using var retrained = await TestServer.StartAsync(settings, dataDir);
            var (r, after) = await retrained.PostJobAsync(job, waitSeconds: 120);

            Assert.Equal("succeeded", ran.GetProperty("status").GetString());
            Assert.True(hit.GetProperty("cached").GetBoolean(), "the unchanged checkpoint answers from the cache across a restart");
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            Assert.False(after.GetProperty("cached").GetBoolean());
            Assert.NotEqual(ran.GetProperty("model_version").GetString(), after.GetProperty("model_version").GetString());
        }
        finally
        {
            Directory.Delete(models, recursive: true);
        }
    }

    private static async Task<JsonElement> GenerateAsync(TestServer server, string prompt, int maxTokens)
    {
        var input = JsonSerializer.Serialize(new Dictionary<string, object> { ["prompt"] = prompt, ["max_tokens"] = maxTokens, ["temperature"] = 0 });
        var (r, body) = await server.PostJobAsync($"{{\"model\":\"stories260k\",\"input\":{input}}}", waitSeconds: 120);
        Assert.True(r.StatusCode == HttpStatusCode.OK, body.ToString());
        Assert.Equal("succeeded", body.GetProperty("status").GetString());
        return body.GetProperty("result");
    }
}
