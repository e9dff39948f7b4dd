using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Sluice.Core.Queueing;
using Sluice.Core.Scheduling;
using Sluice.Core.Tracing;
using Sluice.Distributed.Tests.Infrastructure;
using Sluice.Testing;
using Sluice.Testing.Server;

namespace Sluice.Distributed.Tests.Settlement;

/// <summary>
/// A generative job waiting at the head of the continuous batcher for KV-cache room on a RabbitMQ node (gateway and
/// worker in one process) whose outcome a caller holding no delivery stores first (a DELETE, its deadline): the batcher
/// must still let its delivery go, or the prefetch slot it holds stays taken until the channel closes (2cc9379).
/// </summary>
[Collection(BrokersCollection.Name)]
public sealed class RoomWaitLetGoTests(Brokers brokers)
{
    private const string Model = "stories260k";

    [SharedDataFact("models/stories260K.bin", "models/tok512.bin")]
    public Task Delete_WhileAnEngineJobWaitsForRoomOnARabbitMqNode_CancelledAndItsDeliveryLetGoSoTheNextJobIsDelivered() =>
        SettledWhileWaitingForRoomAsync(byDeadline: false);

    [SharedDataFact("models/stories260K.bin", "models/tok512.bin")]
    public Task Deadline_PassesWhileAnEngineJobWaitsForRoomOnARabbitMqNode_ExpiredAndItsDeliveryLetGoSoTheNextJobIsDelivered() =>
        SettledWhileWaitingForRoomAsync(byDeadline: true);

    private async Task SettledWhileWaitingForRoomAsync(bool byDeadline)
    {
        var waiting = ActivityTraceId.CreateRandom();
        SemaphoreSlim? steps = null;
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var waitEnded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // The hook: as the second job begins to wait for room (on the batcher's loop, between steps, the steps' lock
        // free), the steps are held, so the loop stays with that job waiting and the first one holding its room.
        using var listener = new ActivityListener
        {
            ShouldListenTo = static s => s.Name == SluiceTracing.SourceName,
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStarted = a =>
            {
                if (a.TraceId == waiting && a.OperationName == SluiceTracing.RoomWaitSpan)
                {
                    _ = steps!.Wait(0) ? held.TrySetResult() : held.TrySetException(new InvalidOperationException("the steps' lock was taken between steps"));
                }
            },
            // The wait ends on the loop just before the loop settles the job it finds cancelled (its claim follows at once).
            ActivityStopped = a =>
            {
                if (a.TraceId == waiting && a.OperationName == SluiceTracing.RoomWaitSpan)
                {
                    waitEnded.TrySetResult();
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        var prefix = Brokers.NewPrefix();
        var store = await brokers.NewDatabaseAsync();
        await using var server = await SluiceServer.StartAsync(new Dictionary<string, string>
        {
            ["Sluice:Role"] = "all",
            ["Sluice:Queue:Url"] = brokers.QueueUrl,
            ["Sluice:Queue:Prefix"] = prefix,
            ["Sluice:Store:Url"] = store,
            ["Sluice:Grading:ModelPath"] = "/nonexistent-sluice-grader.bin",
            ["Sluice:Engine:ModelsPaths:0"] = SharedDataFactAttribute.RequirePath("models"),
            // 51 blocks of 16 positions, of which a long generation reserves 31: a second one waits for room.
            ["Sluice:Engine:KvCacheBudgetMb"] = "1",
            // Two sequences and two unacknowledged deliveries per lane: the running job's and the waiting one's.
            ["Sluice:Models:stories260k:MaxNumSeqs"] = "2",
            ["Sluice:Queue:PrefetchMultiplier"] = "1",
        });
        Assert.True(server.Services.GetRequiredService<ModelRegistry>().TryGet(Model, out var entry));
        var reader = server.Services.GetRequiredService<IJobQueue>().GetReader(Model);
        steps = entry.ExecutionLock;

        // The first job takes its room and stays before its first step.
        await steps.WaitAsync();
        var first = await SubmitAsync(server.Client, ActivityTraceId.CreateRandom(), LongGeneration(1, null));
        await UntilAsync(async () => await StatusAsync(server, first) == "running", () => $"job {first} never started");

        // The second is delivered (its prefetch slot taken) and waits at the head for room once the loop steps again.
        // Its deadline leaves the set-up below time to hold the row before it passes, also on a loaded machine (6 s did not).
        var second = await SubmitAsync(server.Client, waiting, LongGeneration(2, byDeadline ? 15_000 : null));
        await UntilAsync(() => Task.FromResult(reader.Count == 1), () => $"job {second} was never delivered");
        steps.Release();
        await held.Task.WaitAsync(TimeSpan.FromSeconds(60));

        // Both slots are taken: the third stays in the broker.
        var third = await SubmitAsync(server.Client, ActivityTraceId.CreateRandom(), LongGeneration(3, null));
        await UntilAsync(async () => await ReadyAsync(prefix) == 1, () => $"job {third} never reached its queue");
        Assert.Equal(0, reader.Count);

        // Settled by a caller holding no delivery: the DELETE (the job reads queued, live here) or the deadline timer. It
        // claims the outcome and its store write is held by a lock on the job's row.
        await using var db = await OpenAsync(store);
        await using var rowLock = await db.BeginTransactionAsync();
        await using (var locking = new NpgsqlCommand($"SELECT 1 FROM jobs WHERE id = '{second}' FOR NO KEY UPDATE", db, rowLock))
        {
            await locking.ExecuteScalarAsync();
        }

        Assert.Equal("queued", await StatusAsync(server, second));
        var delete = byDeadline ? Task.FromResult<JsonElement>(default) : DeleteAsync(server.Client, second);
        // This node's claim of the outcome (the DELETE's, or its deadline timer's) is the write "AND status < 2"; the
        // gateway's own deadline timers write "AND status = 0" and may wait on the row too.
        await UntilWaitingOnTheLockAsync(store, "UPDATE jobs SET status = $%, result = $%AND status < 2");

        // One step more, the steps then held again: the loop finds the waiting job cancelled, its outcome claimed by the
        // caller that is storing it. Once stored, the loop lets the delivery go, so the third job is delivered while the
        // first still holds its room and its own delivery.
        steps.Release();
        await waitEnded.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await steps.WaitAsync();
        await rowLock.RollbackAsync();
        if (!byDeadline)
        {
            Assert.Equal("cancelled", (await delete).GetProperty("status").GetString());
        }

        await UntilAsync(async () => await ReadyAsync(prefix) == 0 && reader.Count == 1,
            () => $"job {third} was never delivered: the settled job's delivery was kept (ready {ReadyAsync(prefix).Result}, buffered {reader.Count})");
        Assert.Equal("running", await StatusAsync(server, first));

        steps.Release();
        foreach (var (id, status) in new[] { (first, "succeeded"), (second, byDeadline ? "expired" : "cancelled"), (third, "succeeded") })
        {
            var job = await server.WaitTerminalAsync(id, TimeSpan.FromSeconds(60));
            Assert.Equal(status, job.GetProperty("status").GetString());
        }
    }

    /// <summary>A job reserving 480 positions and more of the KV cache (seeded, not from the result cache).</summary>
    private static string LongGeneration(int seed, int? deadlineMs) =>
        "{\"model\":\"stories260k\",\"cache\":false," + (deadlineMs is { } ms ? $"\"deadline_ms\":{ms}," : "")
        + "\"input\":{\"prompt\":\"Once upon a time\",\"max_tokens\":480,\"temperature\":0.8,\"seed\":" + seed + "}}";

    private static async Task<string> SubmitAsync(HttpClient client, ActivityTraceId trace, string body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/jobs") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("traceparent", $"00-{trace.ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-01");
        using var response = await client.SendAsync(request);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.True(response.StatusCode is HttpStatusCode.Accepted, json.RootElement.ToString());
        return json.RootElement.GetProperty("id").GetString()!;
    }

    private static async Task<JsonElement> DeleteAsync(HttpClient client, string id)
    {
        using var deleted = await client.DeleteAsync($"/v1/jobs/{id}");
        var answer = await SluiceServer.ReadJsonAsync(deleted);
        Assert.True(deleted.IsSuccessStatusCode, answer.ToString());
        return answer;
    }

    private static async Task<NpgsqlConnection> OpenAsync(string storeUrl)
    {
        var uri = new Uri(storeUrl);
        var user = uri.UserInfo.Split(':');
        var db = new NpgsqlConnection($"Host={uri.Host};Port={uri.Port};Username={user[0]};Password={user[1]};Database={uri.AbsolutePath.TrimStart('/')};Pooling=false");
        await db.OpenAsync();
        return db;
    }

    /// <summary>Waits until a statement like <paramref name="statement"/> waits on a row lock (the failure lists those that do).</summary>
    private static async Task UntilWaitingOnTheLockAsync(string storeUrl, string statement)
    {
        // Its own connection: pg_stat_activity is read once per transaction.
        await using var watcher = await OpenAsync(storeUrl);
        await using var waiting = new NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE @q", watcher);
        waiting.Parameters.AddWithValue("q", statement);
        await UntilAsync(async () => (long)(await waiting.ExecuteScalarAsync())! >= 1, () => $"never waiting on the lock: {statement}; waiting: {WaitingQueries(storeUrl)}");
    }

    private static string WaitingQueries(string storeUrl)
    {
        using var db = OpenAsync(storeUrl).GetAwaiter().GetResult();
        using var q = new NpgsqlCommand("SELECT string_agg(query, ' | ') FROM pg_stat_activity WHERE wait_event_type = 'Lock'", db);
        return q.ExecuteScalar()?.ToString() ?? "none";
    }

    private static async Task<string?> StatusAsync(SluiceServer server, string id) =>
        (await server.GetJsonAsync($"/v1/jobs/{id}")).GetProperty("status").GetString();

    /// <summary>The messages ready (not delivered) in the model's normal lane.</summary>
    private async Task<uint> ReadyAsync(string prefix)
    {
        var factory = new RabbitMQ.Client.ConnectionFactory { Uri = new Uri("amqp" + brokers.QueueUrl[brokers.QueueUrl.IndexOf("://", StringComparison.Ordinal)..]) };
        await using var conn = await factory.CreateConnectionAsync();
        await using var ch = await conn.CreateChannelAsync();
        return (await ch.QueueDeclarePassiveAsync($"{prefix}.{Model}.normal")).MessageCount;
    }

    private static async Task UntilAsync(Func<Task<bool>> condition, Func<string> describe)
    {
        var until = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < until, describe());
            await Task.Delay(50);
        }
    }
}
