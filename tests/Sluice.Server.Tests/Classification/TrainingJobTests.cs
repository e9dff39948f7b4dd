using System.Net;
using System.Text.Json;
using Sluice.Classification.Model;
using Sluice.Classification.Tests;
using Sluice.Classification.Training;
using Sluice.Server.Tests.Infrastructure;
using Sluice.Testing.Server;

namespace Sluice.Server.Tests.Classification;

/// <summary>
/// Training jobs through the queue (seed 001) and the served text classifier (seed 002), over real HTTP with a real
/// SQLite store: progress per epoch, the result, the classifier answering with the new version without a restart,
/// data paths outside the training roots refused, cancellation between epochs.
/// </summary>
public sealed class TrainingJobTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("sluice-train-").FullName;

    private string DataDir => Path.Combine(_root, "data");

    private string ModelDir => Path.Combine(_root, "models");

    [Fact]
    public async Task TrainJob_Submitted_ProgressPerEpochThenClassifierAnswersWithNewVersion()
    {
        var data = WriteData("reviews.txt", 400);
        // A reload check far away: only the in-process signal after training can make the classifier see the new file.
        // The committed default is off, so the classifier starts untrained.
        await using var server = await StartAsync(reloadCheckMs: 3_600_000, useCommittedModel: false);
        var before = await ClassifyAsync(server, "I love this, it was great");
        Assert.Equal("failed", before.GetProperty("status").GetString());
        Assert.Contains("no trained classifier", before.GetProperty("error").GetString(), StringComparison.Ordinal);

        var (submitted, job) = await server.PostJobAsync(TrainBody(data, 3));
        Assert.Equal(HttpStatusCode.Accepted, submitted.StatusCode);
        var id = job.GetProperty("id").GetString()!;
        var events = await server.ReadEventsAsync(id);
        var done = await server.WaitTerminalAsync(id, TimeSpan.FromSeconds(60));

        var epochs = events.Where(e => e.Event == "progress").Select(e => JsonDocument.Parse(e.Data).RootElement).ToList();
        Assert.Equal([1, 2, 3], epochs.Select(e => e.GetProperty("data").GetProperty("epoch").GetInt32()));
        Assert.All(epochs, e => Assert.Equal("epoch", e.GetProperty("stage").GetString()));
        Assert.True(epochs[^1].GetProperty("data").GetProperty("loss").GetDouble() < epochs[0].GetProperty("data").GetProperty("loss").GetDouble());
        Assert.Equal("succeeded", done.GetProperty("status").GetString());
        using (var ws = new System.Net.WebSockets.ClientWebSocket())
        {
            // The same per-epoch events over the WebSocket (replayed from the store once the job is done).
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await ws.ConnectAsync(new Uri(server.BaseAddress.ToString().Replace("http", "ws", StringComparison.Ordinal) + $"v1/jobs/{id}/ws"), timeout.Token);
            Assert.Equal(3, (await WebSocketEvents.ReadTypesAsync(ws, timeout.Token)).Count(t => t == "progress"));
        }

        var result = done.GetProperty("result");
        var version = result.GetProperty("version").GetString()!;
        Assert.Equal("train_001", result.GetProperty("task_id").GetString());
        Assert.Equal(Path.Combine(ModelDir, "text-classifier.clf"), result.GetProperty("artifact").GetString());
        Assert.Equal(version, ClassifierFile.Read(result.GetProperty("artifact").GetString()!).Version);
        Assert.True(result.GetProperty("metrics").GetProperty("accuracy").GetDouble() >= 0.9);
        Assert.Equal(80, result.GetProperty("metrics").GetProperty("test_examples").GetInt32());

        var after = await ClassifyAsync(server, "I love this, it was great");
        Assert.Equal("succeeded", after.GetProperty("status").GetString());
        Assert.Equal(version, after.GetProperty("result").GetProperty("model_version").GetString());
        Assert.Equal(version, after.GetProperty("model_version").GetString());
        Assert.Equal("1", after.GetProperty("result").GetProperty("label").GetString());
        var negative = await ClassifyAsync(server, "awful and broken, the worst");
        Assert.Equal("0", negative.GetProperty("result").GetProperty("label").GetString());
        var model = await TestServer.ReadJsonAsync(await server.Client.GetAsync("/v1/models/text-classifier"));
        Assert.Equal(version, model.GetProperty("version").GetString());
    }

    [Fact]
    public async Task Classify_FreshServerWithEmptyModelDirAndNoSharedData_AnswersWithTheCommittedModelUntilAFileArrives()
    {
        // A fresh clone: nothing in the model folder, training roots that hold nothing, no training run.
        await using var server = await StartAsync(reloadCheckMs: 100);

        var positive = await ClassifyAsync(server, "Great phone, the battery lasts for days.");
        var negative = await ClassifyAsync(server, "Terrible, it broke after one day. Waste of money.");

        Assert.Equal("succeeded", positive.GetProperty("status").GetString());
        Assert.Equal("1", positive.GetProperty("result").GetProperty("label").GetString());
        Assert.Equal("0", negative.GetProperty("result").GetProperty("label").GetString());
        Assert.Equal(CommittedClassifier.Weights.Version, positive.GetProperty("result").GetProperty("model_version").GetString());
        Assert.Equal(CommittedClassifier.Weights.Version, await ServedVersionAsync(server));
        Assert.False(Directory.Exists(ModelDir) && Directory.EnumerateFileSystemEntries(ModelDir).Any(), "the committed model is served from the build, not copied");

        // A trained file, once there, replaces it.
        var trained = ClassifierTrainer.Train(SyntheticSentiment.Examples(200, 1), "one", new TrainingSettings { Epochs = 2, Bits = 12 }).Model;
        ClassifierFile.Write(Path.Combine(ModelDir, "text-classifier.clf"), trained);
        await Poll.UntilAsync(async () => await ServedVersionAsync(server) == trained.Version, () => "the trained file did not replace the committed model");
    }

    [Fact]
    public async Task Classifier_FileReplacedByAnotherProcess_NewVersionServedWithoutRestart()
    {
        await using var server = await StartAsync(reloadCheckMs: 100);
        var first = ClassifierTrainer.Train(SyntheticSentiment.Examples(200, 1), "one", new TrainingSettings { Epochs = 2, Bits = 12 }).Model;
        var second = ClassifierTrainer.Train(SyntheticSentiment.Examples(200, 2), "two", new TrainingSettings { Epochs = 2, Bits = 12 }).Model;

        ClassifierFile.Write(Path.Combine(ModelDir, "text-classifier.clf"), first);
        await Poll.UntilAsync(async () => await ServedVersionAsync(server) == first.Version, () => "the first file was not picked up");
        ClassifierFile.Write(Path.Combine(ModelDir, "text-classifier.clf"), second);

        await Poll.UntilAsync(async () => await ServedVersionAsync(server) == second.Version, () => "the replaced file was not picked up");
    }

    [Theory]
    [InlineData("/etc/passwd")]
    [InlineData("{data}/../outside.txt")]
    public async Task TrainJob_DataPathOutsideRoots_400ProblemNamingInputDataPath(string path)
    {
        await using var server = await StartAsync();

        var (response, problem) = await server.PostJobAsync(TrainBody(path.Replace("{data}", DataDir, StringComparison.Ordinal), 2));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("input.data_path", problem.GetProperty("field").GetString());
    }

    [Fact]
    public async Task TrainJob_DataPathIsASymlinkBelowTheRootToAFileOutside_400ProblemNamingInputDataPath()
    {
        Directory.CreateDirectory(DataDir);
        var outside = Path.Combine(_root, "outside.txt");
        await File.WriteAllTextAsync(outside, "secret\t1\nhidden\t0\n");
        var link = Path.Combine(DataDir, "reviews.txt");
        File.CreateSymbolicLink(link, outside);
        await using var server = await StartAsync();

        var (response, problem) = await server.PostJobAsync(TrainBody(link, 2));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("input.data_path", problem.GetProperty("field").GetString());
        // The roots are shown relative to the server's working folder, not as its absolute paths.
        Assert.DoesNotContain("(" + DataDir, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"text": 5}""", "input.text")]
    [InlineData("""{"text": "   "}""", "input.text")]
    [InlineData("""{}""", "input.text")]
    [InlineData("""{"text": "fine", "lang": "en"}""", "input.lang")]
    [InlineData("""["fine"]""", "input")]
    public async Task Classify_BadInput_400ProblemNamingTheField(string input, string field)
    {
        await using var server = await StartAsync();

        var (response, problem) = await server.PostJobAsync($$"""{"model":"text-classifier","input":{{input}}}""");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(field, problem.GetProperty("field").GetString());
    }

    [Fact]
    public async Task TrainJob_MalformedData_FailsWithFileAndLineNotRetried()
    {
        var data = Path.Combine(DataDir, "bad.txt");
        Directory.CreateDirectory(DataDir);
        await File.WriteAllTextAsync(data, "good\t1\nno label at all\n");
        await using var server = await StartAsync();

        var (_, job) = await server.PostJobAsync(TrainBody(data, 2));
        var done = await server.WaitTerminalAsync(job.GetProperty("id").GetString()!, TimeSpan.FromSeconds(60));

        Assert.Equal("failed", done.GetProperty("status").GetString());
        Assert.Equal(1, done.GetProperty("attempts").GetInt32());
        Assert.Contains($"{data} line 2", done.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(ModelDir, "text-classifier.clf")));
    }

    [Fact]
    public async Task TrainJob_CancelledWhileTraining_StopsBetweenEpochsAndPublishesNothing()
    {
        var data = WriteData("big.txt", 20_000);
        await using var server = await StartAsync();
        var (_, job) = await server.PostJobAsync(TrainBody(data, 200));
        var id = job.GetProperty("id").GetString()!;
        await WaitForProgressAsync(server.Client, id);

        using var cancel = await server.Client.DeleteAsync($"/v1/jobs/{id}");
        var done = await server.WaitTerminalAsync(id, TimeSpan.FromSeconds(60));

        Assert.True(cancel.IsSuccessStatusCode, cancel.StatusCode.ToString());
        Assert.Equal("cancelled", done.GetProperty("status").GetString());
        Assert.False(File.Exists(Path.Combine(ModelDir, "text-classifier.clf")));
    }

    [Fact]
    public async Task TrainJob_ServerKilledMidTraining_ReRunAfterRestartPublishesTheSameVersion()
    {
        var data = WriteData("crash.txt", 10_000);
        var serverData = Path.Combine(_root, "server");
        var settings = new Dictionary<string, string>
        {
            ["Sluice:Classification:ModelDir"] = ModelDir,
            ["Sluice:Classification:TrainingRoots:0"] = DataDir,
            ["Logging:LogLevel:Default"] = "Warning",
        };
        string id;
        await using (var first = await ServerProcess.StartAsync(serverData, settings))
        {
            using var r = await first.Client.PostAsync("/v1/jobs", TestServer.Json(TrainBody(data, 10)));
            Assert.Equal(HttpStatusCode.Accepted, r.StatusCode);
            id = (await TestServer.ReadJsonAsync(r)).GetProperty("id").GetString()!;
            await WaitForProgressAsync(first.Client, id);
            await first.KillAsync();
        }

        Assert.False(File.Exists(Path.Combine(ModelDir, "text-classifier.clf")), "the training finished before the kill: the test proved nothing");
        await using var second = await ServerProcess.StartAsync(serverData, settings);
        JsonElement done = default;
        await Poll.UntilAsync(async () =>
        {
            done = await TestServer.ReadJsonAsync(await second.Client.GetAsync($"/v1/jobs/{id}"));
            return done.GetProperty("status").GetString() is "succeeded" or "failed" or "cancelled" or "dead_lettered";
        }, () => $"{id} still {done.GetProperty("status")}: {second.Output}", TimeSpan.FromSeconds(120));

        Assert.Equal("succeeded", done.GetProperty("status").GetString());
        Assert.Equal(2, done.GetProperty("attempts").GetInt32());
        var expected = ClassifierTrainer.VersionOf(SyntheticSentiment.Examples(10_000, 1), new TrainingSettings { Epochs = 10 });
        Assert.Equal(expected, done.GetProperty("result").GetProperty("version").GetString());
        Assert.Equal(expected, ClassifierFile.Read(Path.Combine(ModelDir, "text-classifier.clf")).Version);
        Assert.Single(Directory.GetFiles(ModelDir));
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private Task<TestServer> StartAsync(int reloadCheckMs = 2000, bool useCommittedModel = true) => TestServer.StartAsync(new Dictionary<string, string>
    {
        ["Sluice:Classification:UseCommittedModel"] = useCommittedModel ? "true" : "false",
        ["Sluice:Classification:ModelDir"] = ModelDir,
        ["Sluice:Classification:TrainingRoots:0"] = DataDir,
        ["Sluice:Classification:ReloadCheckMs"] = reloadCheckMs.ToString(System.Globalization.CultureInfo.InvariantCulture),
    });

    private static string TrainBody(string dataPath, int epochs) => JsonSerializer.Serialize(new
    {
        model = "train",
        input = new { task_id = "train_001", model_type = "text-classifier", data_path = dataPath, epochs, target = "text-classifier" },
    });

    /// <summary>Reads the job's event stream up to its first progress event (the first epoch done: training is under way).</summary>
    private static async Task WaitForProgressAsync(HttpClient client, string id)
    {
        using var stream = await client.GetAsync($"/v1/jobs/{id}/events", HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await stream.Content.ReadAsStreamAsync());
        while (await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)) is { } line && line != "event: progress")
        {
        }
    }

    private static async Task<JsonElement> ClassifyAsync(TestServer server, string text)
    {
        var (_, job) = await server.PostJobAsync(JsonSerializer.Serialize(new { model = "text-classifier", input = new { text } }), waitSeconds: 30);
        return job;
    }

    private static async Task<string?> ServedVersionAsync(TestServer server)
    {
        var job = await ClassifyAsync(server, "really great");
        return job.GetProperty("status").GetString() == "succeeded" ? job.GetProperty("result").GetProperty("model_version").GetString() : null;
    }

    private string WriteData(string name, int count)
    {
        Directory.CreateDirectory(DataDir);
        var path = Path.Combine(DataDir, name);
        File.WriteAllText(path, SyntheticSentiment.FileText(count));
        return path;
    }
}
