using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Sluice.Server.Tests.Infrastructure;
using Sluice.Testing.Server;

namespace Sluice.Server.Tests.Resilience;

[Collection(TimingCollection.Name)]
public sealed class CrashRecoveryTests
{
    [Fact]
    public async Task Sigkill_WithJobsQueuedAndRunning_EveryAcceptedJobCompletesExactlyOnceAfterRestart()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "sluice-crash-" + Guid.NewGuid().ToString("N"));
        var settings = new Dictionary<string, string>
        {
            ["Sluice:BuiltIns:SleepBatchBaseMs"] = "100",
            ["Sluice:BuiltIns:SleepBatchPerItemMs"] = "0",
            ["Sluice:Models:sleep-batch:MaxBatchSize"] = "4",
            ["Sluice:BuiltIns:CountStepMs"] = "20",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        var ids = new List<(string Id, string Model, int N)>();
        await using (var first = await ServerProcess.StartAsync(dataDir, settings))
        {
            for (var i = 0; i < 60; i++)
            {
                ids.Add((await SubmitAsync(first, $"{{\"model\":\"sleep-batch\",\"input\":{{\"i\":{i}}}}}"), "sleep-batch", 0));
            }

            for (var i = 0; i < 10; i++)
            {
                var n = 40 + i;
                ids.Add((await SubmitAsync(first, $"{{\"model\":\"count\",\"input\":{{\"n\":{n}}},\"cache\":false}}"), "count", n));
            }

            // Let some finish and some be mid-batch, then crash.
            await WaitForAsync(first, ids[2].Id, "succeeded");
            await first.KillAsync();
        }

        await using var second = await ServerProcess.StartAsync(dataDir, settings);
        var interrupted = 0;
        foreach (var (id, model, n) in ids)
        {
            var job = await WaitTerminalAsync(second, id);
            interrupted += job.GetProperty("attempts").GetInt32() > 1 ? 1 : 0;
            Assert.True(job.GetProperty("status").GetString() == "succeeded", $"{id} ended {job.GetProperty("status")}: {second.Output}");
            if (model == "count")
            {
                Assert.Equal(string.Join(' ', Enumerable.Range(1, n)), job.GetProperty("result").GetProperty("text").GetString());
            }

            using var events = await second.Client.GetAsync($"/v1/jobs/{id}/events");
            var list = await SseParser.ReadAllAsync(await events.Content.ReadAsStreamAsync(), CancellationToken.None);
            Assert.Equal(1, list.Count(e => e.Event == "completed"));
            Assert.Equal(list.Count, list.Select(e => e.Id).Distinct().Count());
        }

        Assert.True(interrupted > 0, "no job was running at the kill, so the test proved nothing about interrupted work");
        var page = await ReadAsync(await second.Client.GetAsync("/v1/jobs?limit=1000"));
        Assert.Equal(ids.Count, page.GetProperty("data").GetArrayLength());
        Directory.Delete(dataDir, recursive: true);
    }

    [Fact]
    public async Task Sigkill_MidStream_RecoveredStreamNeverReusesAnIdTheClientSaw()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "sluice-ids-" + Guid.NewGuid().ToString("N"));
        var settings = new Dictionary<string, string> { ["Sluice:BuiltIns:CountStepMs"] = "20", ["Logging:LogLevel:Default"] = "Warning" };
        string id;
        var seen = new List<(long Id, string Event, string Data)>();
        await using (var first = await ServerProcess.StartAsync(dataDir, settings))
        {
            id = await SubmitAsync(first, "{\"model\":\"count\",\"input\":{\"n\":300},\"cache\":false}");
            using var cts = new CancellationTokenSource();
            using var response = await first.Client.GetAsync($"/v1/jobs/{id}/events", HttpCompletionOption.ResponseHeadersRead);
            var body = await response.Content.ReadAsStreamAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => SseParser.ReadAllAsync(body, cts.Token, e =>
            {
                seen.Add(e);
                if (seen.Count == 30)
                {
                    cts.Cancel();
                }
            }));

            await first.KillAsync();
        }

        await using var second = await ServerProcess.StartAsync(dataDir, settings);
        Assert.Equal("succeeded", (await WaitTerminalAsync(second, id)).GetProperty("status").GetString());
        var after = await ReadEventsAfterAsync(second, id, seen[^1].Id);

        // Resuming from the last id seen gives the new run whole: it starts with the recovery, restarts at attempt 2.
        Assert.All(after, e => Assert.True(e.Id > seen[^1].Id, $"id {e.Id} ({e.Event}) reused after the crash"));
        Assert.Equal("queued", after[0].Event);
        Assert.Contains(after, e => e.Event == "started" && e.Data.Contains("\"attempt\":2", StringComparison.Ordinal));
        Assert.Equal("completed", after[^1].Event);
        Assert.Equal(after.Count, after.Select(e => e.Id).Distinct().Count());
        Directory.Delete(dataDir, recursive: true);
    }

    [Fact]
    public async Task Sigterm_WhileJobRuns_DoesNotCountTheAttemptSoRestartsNeverDeadLetterIt()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "sluice-stop-" + Guid.NewGuid().ToString("N"));
        var settings = new Dictionary<string, string>
        {
            ["Sluice:BuiltIns:SleepBatchBaseMs"] = "3000",
            ["Sluice:Models:sleep-batch:MaxBatchSize"] = "1",
            ["Sluice:Models:sleep-batch:MaxAttempts"] = "2",
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Sluice.Core.Scheduling.ModelHost"] = "Information",
        };
        string id;
        await using (var first = await ServerProcess.StartAsync(dataDir, settings))
        {
            id = await SubmitAsync(first, "{\"model\":\"sleep-batch\",\"input\":{\"i\":1}}");
            await WaitForAsync(first, id, "running");
            await first.TerminateAsync();

            // Proves the stop met the job running (had it finished first, the test would prove nothing).
            Assert.Contains("1 running jobs handed back", first.Output, StringComparison.Ordinal);
        }

        // Two rolling restarts with the job running each time: counted, the second would dead-letter it.
        await using (var second = await ServerProcess.StartAsync(dataDir, settings))
        {
            await WaitForAsync(second, id, "running");
            await second.TerminateAsync();
        }

        await using var third = await ServerProcess.StartAsync(dataDir, settings);
        var job = await WaitTerminalAsync(third, id);
        Assert.True(job.GetProperty("status").GetString() == "succeeded", $"{id} ended {job}: {third.Output}");
        Assert.Equal(1, job.GetProperty("attempts").GetInt32());
        Assert.False(job.TryGetProperty("error", out var error), $"a stop is not the job's failure, yet it reports {error}");
        Directory.Delete(dataDir, recursive: true);
    }

    [Fact]
    public async Task Sigkill_TaskQueuedOnBackendThatIsDownAfterRestart_RecoveredJobStillMovesToFallbackTimedFromItsAcceptance()
    {
        // The permission to move is journaled: after a crash the task's job, recovered from the store alone, still
        // moves to the backend's fallback, while the job of POST /v1/jobs stays on the model it named.
        var down = false;
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var upstream = await FakeUpstream.StartAsync(app =>
        {
            app.MapGet("/v1/models", FakeOpenAi.ModelsWhile(() => !Volatile.Read(ref down)));
            app.MapPost("/v1/chat/completions", async ctx =>
            {
                if (Volatile.Read(ref down))
                {
                    ctx.Response.StatusCode = 503;
                    return;
                }

                await release.Task;
                await FakeOpenAi.StreamAsync(ctx, ["primary"]);
            });
        });
        var dataDir = Path.Combine(Path.GetTempPath(), "sluice-fallback-crash-" + Guid.NewGuid().ToString("N"));
        var settings = new Dictionary<string, string>
        {
            ["Sluice:Backends:remote:Type"] = "openai",
            ["Sluice:Backends:remote:BaseUrl"] = upstream.Url + "/v1",
            ["Sluice:Backends:remote:MaxConcurrency"] = "1",
            ["Sluice:Backends:remote:MaxRetries"] = "0",
            ["Sluice:Backends:remote:HealthProbeIntervalSeconds"] = "0.2",
            ["Sluice:Backends:remote:Fallback"] = "count",
            ["Sluice:BuiltIns:CountStepMs"] = "1",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        string direct;
        string task;
        try
        {
            await using (var first = await ServerProcess.StartAsync(dataDir, settings))
            {
                // A job of POST /v1/jobs holds the backend's only slot, so the task's job waits in the queue.
                direct = await SubmitAsync(first, """{"model":"remote","input":{"prompt":"hold","max_tokens":2}}""");
                await Poll.UntilAsync(() => Task.FromResult(upstream.Hits("/v1/chat/completions") == 1), () => "the first job never reached the upstream");
                using (var r = await first.Client.PostAsync("/v1/tasks/codegen", new StringContent(
                           """{"model":"remote","input":{"language":"python","instruction":"Add two numbers."},"max_tokens":2}""", System.Text.Encoding.UTF8, "application/json")))
                {
                    Assert.Equal(HttpStatusCode.Accepted, r.StatusCode);
                    task = (await ReadAsync(r)).GetProperty("id").GetString()!;
                }

                await first.KillAsync();
            }

            // The backend is down when the server comes back: its probe fails and the queued task job may move.
            Volatile.Write(ref down, true);
            await using var second = await ServerProcess.StartAsync(dataDir, settings);
            var moved = await WaitTerminalAsync(second, task);
            Assert.True(moved.GetProperty("status").GetString() == "succeeded", $"{task} ended {moved}: {second.Output}");
            Assert.Equal("count", moved.GetProperty("model").GetString());
            Assert.Equal("1 2", moved.GetProperty("result").GetProperty("text").GetString());
            var events = await ReadEventsAfterAsync(second, task, 0);
            var rerouted = Assert.Single(events, e => e.Event == "rerouted");
            Assert.Contains("\"to\":\"count\"", rerouted.Data, StringComparison.Ordinal);

            // Its end-to-end duration runs from its acceptance by the first process, through the crash, the recovery
            // from the store and the move: once, under the model it ended on, equal to its stored created_at to completed_at.
            var labels = new[] { "model=\"count\"", "status=\"succeeded\"" };
            var text = "";
            await Poll.UntilAsync(async () => PrometheusText.Counter(text = await second.Client.GetStringAsync("/metrics"), "sluice_job_duration_seconds_count", labels) == 1,
                () => $"no single sluice_job_duration_seconds for the moved job: {text}", TimeSpan.FromSeconds(10));
            var took = (moved.GetProperty("completed_at").GetDateTimeOffset() - moved.GetProperty("created_at").GetDateTimeOffset()).TotalSeconds;
            Assert.InRange(PrometheusText.Value(text, "sluice_job_duration_seconds_sum", labels), took - 0.002, took + 0.002);

            var stayed = await WaitTerminalAsync(second, direct);
            Assert.Equal("remote", stayed.GetProperty("model").GetString());
            Assert.DoesNotContain(await ReadEventsAfterAsync(second, direct, 0), e => e.Event == "rerouted");
        }
        finally
        {
            release.TrySetResult();
        }

        Directory.Delete(dataDir, recursive: true);
    }

    [Fact]
    public async Task Delete_RunningBatchOutlastingTheWait_AnswersCancelledAndSigkillKeepsIt()
    {
        // The batch runs for two minutes: the cancel cannot wait for it. It used to answer "running" after 5 s with
        // the cancel held in memory only, so a crash (or a stop, which hands running jobs back) ran the job again.
        var dataDir = Path.Combine(Path.GetTempPath(), "sluice-cancel-" + Guid.NewGuid().ToString("N"));
        var settings = LongBatchSettings();
        string id;
        await using (var first = await ServerProcess.StartAsync(dataDir, settings))
        {
            id = await SubmitAsync(first, "{\"model\":\"sleep-batch\",\"input\":{\"i\":1}}");
            await WaitForAsync(first, id, "running");

            var answer = await ReadAsync(await first.Client.DeleteAsync($"/v1/jobs/{id}"));
            Assert.Equal("cancelled", answer.GetProperty("status").GetString());
            await first.KillAsync();
        }

        await using var second = await ServerProcess.StartAsync(dataDir, settings);
        await AssertStaysCancelledAsync(second, id);
        Directory.Delete(dataDir, recursive: true);
    }

    [Fact]
    public async Task Delete_ClientGivesUpWhileTheBatchRuns_CancelIsStillStoredBeforeSigkill()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "sluice-cancel-gone-" + Guid.NewGuid().ToString("N"));
        var settings = LongBatchSettings();
        string id;
        await using (var first = await ServerProcess.StartAsync(dataDir, settings))
        {
            id = await SubmitAsync(first, "{\"model\":\"sleep-batch\",\"input\":{\"i\":1}}");
            await WaitForAsync(first, id, "running");

            // A client that waits a second for the answer, again until one of its requests reached the server.
            using var impatient = new HttpClient { BaseAddress = first.BaseAddress, Timeout = TimeSpan.FromSeconds(1) };
            await Poll.UntilAsync(
                async () =>
                {
                    try
                    {
                        using var r = await impatient.DeleteAsync($"/v1/jobs/{id}");
                    }
                    catch (TaskCanceledException)
                    {
                    }

                    return (await ReadAsync(await first.Client.GetAsync($"/v1/jobs/{id}"))).GetProperty("status").GetString() == "cancelled";
                },
                () => $"{id} was never stored as cancelled: {first.Output}",
                TimeSpan.FromSeconds(30));
            await first.KillAsync();
        }

        await using var second = await ServerProcess.StartAsync(dataDir, settings);
        await AssertStaysCancelledAsync(second, id);
        Directory.Delete(dataDir, recursive: true);
    }

    [Fact]
    public async Task Sigkill_RestartWithoutTheJobsModel_JobsStayQueuedButTheirDeadlinesStillExpireThem()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "sluice-unserved-" + Guid.NewGuid().ToString("N"));
        var settings = LongBatchSettings();
        string running, past, soon, open;
        DateTime pastDeadline;
        await using (var first = await ServerProcess.StartAsync(dataDir, settings))
        {
            running = await SubmitAsync(first, "{\"model\":\"sleep-batch\",\"input\":{\"i\":1}}");
            await WaitForAsync(first, running, "running");
            // Queued behind a two-minute batch (no batch has finished, so none is shed for its deadline).
            pastDeadline = DateTime.UtcNow.AddSeconds(3);
            past = await SubmitAsync(first, "{\"model\":\"sleep-batch\",\"input\":{\"i\":2},\"deadline_ms\":3000}");
            soon = await SubmitAsync(first, "{\"model\":\"sleep-batch\",\"input\":{\"i\":3},\"deadline_ms\":20000}");
            open = await SubmitAsync(first, "{\"model\":\"sleep-batch\",\"input\":{\"i\":4}}");
            await first.KillAsync();
        }

        // Restarted after the first deadline, without the model (disabled, renamed, its file gone). Before, recovery
        // skipped such jobs: no deadline timer was armed, and they stayed queued past their deadlines for ever.
        var wait = pastDeadline.AddSeconds(1) - DateTime.UtcNow;
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait);
        }

        settings["Sluice:Models:sleep-batch:Enabled"] = "false";
        await using var second = await ServerProcess.StartAsync(dataDir, settings);
        var expired = await WaitTerminalAsync(second, past);
        Assert.True(expired.GetProperty("status").GetString() == "expired", $"{expired}");
        Assert.Equal("expired", (await WaitTerminalAsync(second, soon)).GetProperty("status").GetString());
        using (var events = await second.Client.GetAsync($"/v1/jobs/{soon}/events"))
        {
            var list = await SseParser.ReadAllAsync(await events.Content.ReadAsStreamAsync(), CancellationToken.None);
            Assert.Equal("expired", list[^1].Event);
        }

        // Without a deadline they wait for a server that serves their model; the one that was running starts over.
        Assert.Equal("queued", (await ReadAsync(await second.Client.GetAsync($"/v1/jobs/{open}"))).GetProperty("status").GetString());
        Assert.Equal("queued", (await ReadAsync(await second.Client.GetAsync($"/v1/jobs/{running}"))).GetProperty("status").GetString());
        Directory.Delete(dataDir, recursive: true);
    }

    private static Dictionary<string, string> LongBatchSettings() => new()
    {
        // Two minutes for one item: longer than any wait of these tests.
        ["Sluice:BuiltIns:SleepBatchBaseMs"] = "60000",
        ["Sluice:BuiltIns:SleepBatchPerItemMs"] = "60000",
        ["Sluice:Models:sleep-batch:MaxBatchSize"] = "1",
        ["Logging:LogLevel:Default"] = "Warning",
    };

    /// <summary>Recovery has run once the server is ready: a job it took for unfinished would be running again.</summary>
    private static async Task AssertStaysCancelledAsync(ServerProcess server, string id)
    {
        var job = await ReadAsync(await server.Client.GetAsync($"/v1/jobs/{id}"));
        Assert.True(job.GetProperty("status").GetString() == "cancelled", $"{id} is {job} after the restart: {server.Output}");
        Assert.Equal(1, job.GetProperty("attempts").GetInt32());
        using var events = await server.Client.GetAsync($"/v1/jobs/{id}/events");
        var list = await SseParser.ReadAllAsync(await events.Content.ReadAsStreamAsync(), CancellationToken.None);
        var terminal = Assert.Single(list, e => e.Event is "completed" or "failed" or "cancelled" or "expired" or "dead_lettered");
        Assert.Equal("cancelled", terminal.Event);
    }

    private static async Task<List<(long Id, string Event, string Data)>> ReadEventsAfterAsync(ServerProcess server, string id, long lastEventId)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/jobs/{id}/events");
        request.Headers.Add("Last-Event-ID", lastEventId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var response = await server.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        return await SseParser.ReadAllAsync(await response.Content.ReadAsStreamAsync(), CancellationToken.None);
    }

    private static async Task<string> SubmitAsync(ServerProcess server, string json)
    {
        using var r = await server.Client.PostAsync("/v1/jobs", new StringContent(json, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Accepted, r.StatusCode);
        return (await ReadAsync(r)).GetProperty("id").GetString()!;
    }

    private static async Task WaitForAsync(ServerProcess server, string id, string status)
    {
        var until = DateTime.UtcNow.AddSeconds(30);
        while ((await ReadAsync(await server.Client.GetAsync($"/v1/jobs/{id}"))).GetProperty("status").GetString() != status)
        {
            Assert.True(DateTime.UtcNow < until, $"{id} never reached {status}");
            await Task.Delay(10);
        }
    }

    private static async Task<JsonElement> WaitTerminalAsync(ServerProcess server, string id)
    {
        var until = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var job = await ReadAsync(await server.Client.GetAsync($"/v1/jobs/{id}"));
            if (job.GetProperty("status").GetString() is "succeeded" or "failed" or "cancelled" or "expired" or "dead_lettered")
            {
                return job;
            }

            Assert.True(DateTime.UtcNow < until, $"{id} still {job.GetProperty("status")} after restart: {server.Output}");
            await Task.Delay(20);
        }
    }

    private static async Task<JsonElement> ReadAsync(HttpResponseMessage r)
    {
        using (r)
        {
            using var doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync());
            return doc.RootElement.Clone();
        }
    }
}
