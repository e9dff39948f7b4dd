using System.Net;
using System.Text;
using System.Text.Json;
using Sluice.Distributed.Tests.Faults;
using Sluice.Distributed.Tests.Infrastructure;

namespace Sluice.Distributed.Tests.Training;

/// <summary>
/// Seed 001 end to end: a training task queued through RabbitMQ, its worker SIGKILLed mid-training, the task redelivered
/// to another worker that trains it again, and the classifier of that worker (sharing the model folder) answering with
/// the new version.
/// </summary>
[Collection(BrokersCollection.Name)]
public sealed class TrainingWorkerCrashTests(Brokers brokers) : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("sluice-dist-train-").FullName;

    [Fact]
    public async Task TrainJob_WorkerSigkilledMidTraining_RedeliveredTrainedAgainAndServed()
    {
        var data = Path.Combine(_root, "data");
        Directory.CreateDirectory(data);
        var file = Path.Combine(data, "reviews.txt");
        var text = new StringBuilder();
        for (var i = 0; i < 10_000; i++)
        {
            text.Append(i % 2 == 0 ? $"really great and lovely, would recommend {i % 97}\t1\r\n" : $"awful, broken and the worst {i % 89}\t0\r\n");
        }

        await File.WriteAllTextAsync(file, text.ToString());
        var models = Path.Combine(_root, "models");
        await using var cluster = await Cluster.CreateAsync(brokers, new Dictionary<string, string>
        {
            ["Sluice:Classification:ModelDir"] = models,
            ["Sluice:Classification:TrainingRoots:0"] = data,
            ["Sluice:Classification:ReloadCheckMs"] = "200",
        });
        var gateway = await cluster.StartAsync("gateway");
        var victim = await cluster.StartAsync("worker");

        var (status, job) = await Cluster.PostJobAsync(gateway.Client, JsonSerializer.Serialize(new
        {
            model = "train",
            input = new { task_id = "train_001", model_type = "text-classifier", data_path = file, epochs = 10, target = "text-classifier" },
        }));
        Assert.Equal(HttpStatusCode.Accepted, status);
        var id = job.GetProperty("id").GetString()!;
        await WaitForProgressAsync(gateway.Client, id);
        await victim.KillAsync();
        Assert.False(File.Exists(Path.Combine(models, "text-classifier.clf")), "the training finished before the kill: the test proved nothing");
        await cluster.StartAsync("worker");

        JsonElement done;
        var until = DateTime.UtcNow.AddSeconds(120);
        while ((done = await Cluster.GetJobAsync(gateway.Client, id)).GetProperty("status").GetString() is "queued" or "running")
        {
            Assert.True(DateTime.UtcNow < until, "training never finished: " + cluster.Output);
            await Task.Delay(50);
        }

        Assert.Equal("succeeded", done.GetProperty("status").GetString());
        Assert.Equal(2, done.GetProperty("attempts").GetInt32());
        var version = done.GetProperty("result").GetProperty("version").GetString();
        var events = await WorkerCrashTests.ReadEventsAsync(gateway.Client, id);
        Assert.Contains(events, e => e.Type == "progress" && e.Data.Contains("\"epoch\":10", StringComparison.Ordinal));

        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/jobs")
        {
            Content = new StringContent("""{"model":"text-classifier","input":{"text":"really great, would recommend"}}""", Encoding.UTF8, "application/json"),
            Headers = { { "Prefer", "wait=30" } },
        };
        using var answer = await gateway.Client.SendAsync(request);
        var classified = WorkerCrashTests.Parse(await answer.Content.ReadAsStringAsync());
        Assert.Equal("succeeded", classified.GetProperty("status").GetString());
        Assert.Equal(version, classified.GetProperty("result").GetProperty("model_version").GetString());
        Assert.Equal("1", classified.GetProperty("result").GetProperty("label").GetString());
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static async Task WaitForProgressAsync(HttpClient client, string id)
    {
        using var stream = await client.GetAsync($"/v1/jobs/{id}/events", HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await stream.Content.ReadAsStreamAsync());
        while (await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)) is { } line && line != "event: progress")
        {
        }
    }
}
