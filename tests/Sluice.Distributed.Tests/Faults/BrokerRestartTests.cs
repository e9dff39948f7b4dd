using System.Net;
using Npgsql;
using Sluice.Distributed.Tests.Infrastructure;
using Sluice.Testing.Server;

namespace Sluice.Distributed.Tests.Faults;

/// <summary>Fault tests 2 and 5: RabbitMQ and PostgreSQL restarted while jobs keep arriving.</summary>
[Collection(BrokersCollection.Name)]
public sealed class BrokerRestartTests(Brokers brokers)
{
    private static readonly Dictionary<string, string> Settings = new()
    {
        ["Sluice:BuiltIns:SleepBatchBaseMs"] = "20",
        ["Sluice:Models:sleep-batch:MaxBatchSize"] = "16",
    };

    [Fact]
    public async Task RabbitMqRestart_UnderLoad_NoAcceptedJobLostAndProcessesReconnect()
    {
        await using var cluster = await Cluster.CreateAsync(brokers, Settings);
        var gateway = await cluster.StartAsync("gateway");
        await cluster.StartAsync("worker");
        List<string> accepted;
        await using (var load = new SubmitLoad(gateway.Client, "{\"model\":\"sleep-batch\",\"input\":{}}", clients: 4, TimeSpan.FromMilliseconds(5)))
        {
            await load.WaitAcceptedSinceAsync(DateTime.MinValue, 100, TimeSpan.FromSeconds(30), () => cluster.Output);
            await brokers.StopRabbitMqAsync();
            // A submit in flight when the broker went away answers 503 only once its gateway has seen the connection
            // close or its publish confirm timed out: waited for, not assumed within a fixed 2 s on a loaded machine.
            var stopped = DateTime.UtcNow;
            while (load.Unavailable.IsEmpty && DateTime.UtcNow - stopped < TimeSpan.FromSeconds(20))
            {
                await Task.Delay(50);
            }

            var down = load.Unavailable.Count;
            // Readiness follows the broker: a load balancer stops sending submits that could only answer 503.
            await cluster.WaitReadyAsync(gateway, HttpStatusCode.ServiceUnavailable, "broker");
            await brokers.StartRabbitMqAsync();
            var restarted = DateTime.UtcNow;
            // Nobody restarts the gateway or the worker: they must find the broker again by themselves.
            await load.WaitAcceptedSinceAsync(restarted, 50, TimeSpan.FromSeconds(60), () => cluster.Output);
            await cluster.WaitReadyAsync(gateway, HttpStatusCode.OK, "broker");
            await load.DisposeAsync();
            Assert.True(down > 0, "no submit saw the broker down");
            Assert.Empty(load.Unexpected);
            accepted = load.Accepted.Select(a => a.Id).ToList();
        }

        await WaitSucceededAsync(cluster, accepted, TimeSpan.FromSeconds(90));
    }

    [Fact]
    public async Task RabbitMqRestart_WhileGenerating_OnlyTheRedeliveredRunCompletesAndNothingFollowsItsTerminalEvent()
    {
        const int n = 5000;
        await using var cluster = await Cluster.CreateAsync(brokers, new Dictionary<string, string> { ["Sluice:BuiltIns:CountStepMs"] = "6" });
        var gateway = await cluster.StartAsync("gateway");
        await cluster.StartAsync("worker");
        var (status, body) = await Cluster.PostJobAsync(gateway.Client, $"{{\"model\":\"count\",\"input\":{{\"n\":{n}}},\"cache\":false}}");
        Assert.Equal(System.Net.HttpStatusCode.Accepted, status);
        var id = body.GetProperty("id").GetString()!;
        var until = DateTime.UtcNow.AddSeconds(30);
        while (await cluster.ScalarAsync($"SELECT count(*) FROM events WHERE job_id = '{id}' AND type = 'delta'") < 100)
        {
            Assert.True(DateTime.UtcNow < until, "the job did not start: " + cluster.Output);
            await Task.Delay(20);
        }

        // The worker loses its channel mid-run but its model keeps stepping; the broker redelivers the job while it runs.
        var sw = System.Diagnostics.Stopwatch.StartNew();
        await brokers.StopRabbitMqAsync();
        await Task.Delay(3000);
        await brokers.StartRabbitMqAsync();
        var restartedAfter = sw.Elapsed;
        until = DateTime.UtcNow.AddSeconds(120);
        while (await cluster.ScalarAsync($"SELECT count(*) FROM jobs WHERE id = '{id}' AND status >= 2") == 0)
        {
            Assert.True(DateTime.UtcNow < until, "the job did not finish: " + cluster.Output);
            await Task.Delay(100);
        }

        // Long enough for a run that was not stopped to stream well past the terminal event.
        await Task.Delay(2000);
        await using var conn = await cluster.OpenStoreAsync();
        await using var cmd = new NpgsqlCommand(
            """
            SELECT j.status, j.attempts, count(e.id), max(e.id),
                count(*) FILTER (WHERE e.type IN ('completed', 'failed', 'cancelled', 'expired', 'dead_lettered')),
                max(e.id) FILTER (WHERE e.type = 'completed'), max(e.id) FILTER (WHERE e.type = 'started'), count(*) FILTER (WHERE e.type = 'started')
            FROM jobs j JOIN events e ON e.job_id = j.id WHERE j.id = @id GROUP BY j.status, j.attempts
            """, conn);
        cmd.Parameters.AddWithValue("id", id);
        await using var r = await cmd.ExecuteReaderAsync();
        Assert.True(await r.ReadAsync());
        var (jobStatus, attempts, count, maxId, terminals, completedId, lastStart, starts) =
            (r.GetInt32(0), r.GetInt32(1), r.GetInt64(2), r.GetInt64(3), r.GetInt64(4), r.IsDBNull(5) ? 0 : r.GetInt64(5), r.GetInt64(6), r.GetInt64(7));
        var summary = $"status {jobStatus}, attempts {attempts}, {count} events up to id {maxId}, {terminals} terminal (completed at {completedId}), {starts} started (last at {lastStart}); broker back after {restartedAfter.TotalSeconds:F1} s";
        // A second attempt, unless the broker took longer to come back than the whole run lasts (RabbitMQ can take a
        // minute to start on a loaded machine): then the first run finished meanwhile, and the rest must hold for it.
        var runLasts = TimeSpan.FromMilliseconds(n * 6);
        Assert.True(jobStatus == 2 && (attempts == 2 || (attempts == 1 && restartedAfter > runLasts)), summary);
        Assert.True(count == maxId && terminals == 1 && completedId == maxId, summary);
        // The stream after the last start is one whole run: its n deltas, then the terminal event.
        Assert.True(maxId - lastStart == n + 1, summary);
    }

    [Fact]
    public async Task PostgresRestart_UnderLoad_SubmitsFailFastWith503AndNoAcceptedJobLost()
    {
        await using var cluster = await Cluster.CreateAsync(brokers, Settings);
        var gateway = await cluster.StartAsync("gateway");
        await cluster.StartAsync("worker");
        List<string> accepted;
        await using (var load = new SubmitLoad(gateway.Client, "{\"model\":\"sleep-batch\",\"input\":{}}", clients: 4, TimeSpan.FromMilliseconds(5)))
        {
            await load.WaitAcceptedSinceAsync(DateTime.MinValue, 100, TimeSpan.FromSeconds(30), () => cluster.Output);
            await brokers.StopPostgresAsync();
            var stopped = DateTime.UtcNow;
            while (load.Unavailable.Count < 20 && DateTime.UtcNow - stopped < TimeSpan.FromSeconds(20))
            {
                await Task.Delay(50);
            }

            await cluster.WaitReadyAsync(gateway, HttpStatusCode.ServiceUnavailable, "store");
            await brokers.StartPostgresAsync();
            var restarted = DateTime.UtcNow;
            await load.WaitAcceptedSinceAsync(restarted, 50, TimeSpan.FromSeconds(60), () => cluster.Output);
            await cluster.WaitReadyAsync(gateway, HttpStatusCode.OK, "store");
            await load.DisposeAsync();
            Assert.True(load.Unavailable.Count >= 20, $"only {load.Unavailable.Count} submits answered 503 while PostgreSQL was down");
            // Fail fast: a dead store is noticed in about the connect timeout, not after a long hang.
            var slowest = load.Unavailable.Max();
            Assert.True(slowest < TimeSpan.FromSeconds(4), $"a 503 took {slowest.TotalMilliseconds:F0} ms");
            Assert.Empty(load.Unexpected);
            accepted = load.Accepted.Select(a => a.Id).ToList();
        }

        await WaitSucceededAsync(cluster, accepted, TimeSpan.FromSeconds(90));
    }

    [Fact]
    public async Task PostgresOutageLongerThanOutcomePatience_WhileGenerating_OutcomeStoredOnceAndStreamGapless()
    {
        const int n = 300;
        await using var cluster = await Cluster.CreateAsync(brokers, new Dictionary<string, string> { ["Sluice:BuiltIns:CountStepMs"] = "10" });
        var gateway = await cluster.StartAsync("gateway");
        var worker = await cluster.StartAsync("worker");
        var (status, body) = await Cluster.PostJobAsync(gateway.Client, $"{{\"model\":\"count\",\"input\":{{\"n\":{n}}},\"cache\":false}}");
        Assert.Equal(System.Net.HttpStatusCode.Accepted, status);
        var id = body.GetProperty("id").GetString()!;
        var until = DateTime.UtcNow.AddSeconds(30);
        while (await cluster.ScalarAsync($"SELECT count(*) FROM events WHERE job_id = '{id}' AND type = 'delta'") < 20)
        {
            Assert.True(DateTime.UtcNow < until, "the job did not start: " + cluster.Output);
            await Task.Delay(20);
        }

        // PostgreSQL goes away mid-run: the rest of the run's events and its outcome wait on the worker.
        await brokers.StopPostgresAsync();
        var failedWrite = $"Store write for job {id} failed";
        until = DateTime.UtcNow.AddSeconds(30);
        while (!worker.Output.Contains(failedWrite, StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < until, "the run's outcome was never written: " + cluster.Output);
            await Task.Delay(50);
        }

        // The outage itself (not a wait for something): it outlasts the 30 s the worker used to retry an outcome before
        // handing its delivery back, which re-ran the job and let the new run's start refuse the first run's held events.
        var outageEnds = DateTime.UtcNow.AddSeconds(33);
        while (DateTime.UtcNow < outageEnds)
        {
            await Task.Delay(200);
        }

        await brokers.StartPostgresAsync();
        until = DateTime.UtcNow.AddSeconds(60);
        while (await cluster.ScalarAsync($"SELECT count(*) FROM jobs WHERE id = '{id}' AND status >= 2") == 0)
        {
            Assert.True(DateTime.UtcNow < until, "the job did not finish: " + cluster.Output);
            await Task.Delay(100);
        }

        // Events reach the store through the outbox, which retries with up to 2 s of backoff: a gap must close.
        var summary = "";
        until = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            await using var conn = await cluster.OpenStoreAsync();
            await using var cmd = new NpgsqlCommand(
                """
                SELECT j.status, j.attempts, count(e.id), max(e.id), count(*) FILTER (WHERE e.type = 'started'),
                    count(*) FILTER (WHERE e.type = 'delta'), max(e.id) FILTER (WHERE e.type = 'completed')
                FROM jobs j JOIN events e ON e.job_id = j.id WHERE j.id = @id GROUP BY j.status, j.attempts
                """, conn);
            cmd.Parameters.AddWithValue("id", id);
            await using var r = await cmd.ExecuteReaderAsync();
            Assert.True(await r.ReadAsync());
            var (jobStatus, attempts, count, maxId, starts, deltas, completedId) =
                (r.GetInt32(0), r.GetInt32(1), r.GetInt64(2), r.GetInt64(3), r.GetInt64(4), r.GetInt64(5), r.IsDBNull(6) ? 0 : r.GetInt64(6));
            summary = $"status {jobStatus}, attempts {attempts}, {count} events up to id {maxId}, {starts} started, {deltas} deltas, completed at {completedId}";
            if (count == maxId || DateTime.UtcNow > until)
            {
                // One run, stored once: its outcome waited out the outage instead of the job running again.
                Assert.True(jobStatus == 2 && attempts == 1 && starts == 1 && deltas == n && completedId == maxId && count == maxId, summary);
                break;
            }

            await Task.Delay(250);
        }

        // The worker says once that the write failed and once that it went through, not once per try (every 2 s). Its
        // console logger writes on a thread of its own, so the second line may reach us after the store shows the outcome.
        var stored = $"Outcome of job {id} stored after";
        await Poll.UntilAsync(() => Task.FromResult(worker.Output.Contains(stored, StringComparison.Ordinal)),
            () => "the worker never said the held outcome was stored: " + worker.Output, TimeSpan.FromSeconds(10));
        var log = worker.Output;
        Assert.Equal(1, Occurrences(log, failedWrite));
        Assert.Equal(1, Occurrences(log, stored));
    }

    private static int Occurrences(string text, string part)
    {
        var count = 0;
        for (var i = text.IndexOf(part, StringComparison.Ordinal); i >= 0; i = text.IndexOf(part, i + part.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    /// <summary>Every accepted job succeeds exactly once (one result, one completed event).</summary>
    private static async Task WaitSucceededAsync(Cluster cluster, List<string> ids, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        long done;
        while ((done = await CountAsync(cluster, "SELECT count(*) FROM jobs WHERE id = ANY(@ids) AND status = 2", ids)) < ids.Count)
        {
            if (DateTime.UtcNow > until)
            {
                var states = await CountAsync(cluster, "SELECT count(*) FROM jobs WHERE id = ANY(@ids) AND status < 2", ids);
                Assert.Fail($"{done} of {ids.Count} accepted jobs succeeded ({states} unfinished): {cluster.Output[^Math.Min(cluster.Output.Length, 30000)..]}");
            }

            await Task.Delay(250);
        }

        Assert.Equal(ids.Count, await CountAsync(cluster, "SELECT count(*) FROM events WHERE job_id = ANY(@ids) AND type = 'completed'", ids));
        // Events reach the store through each process's outbox, which retries with a backoff of up to 2 s after
        // the store returns: a gateway's `queued` events may land a moment after the worker's completion. A gap must
        // close, not exist at no moment.
        const string GapsSql = "SELECT count(*) FROM (SELECT job_id FROM events WHERE job_id = ANY(@ids) GROUP BY job_id HAVING max(id) <> count(*)) g";
        var gaps = await CountAsync(cluster, GapsSql, ids);
        var gapsUntil = DateTime.UtcNow.AddSeconds(30);
        while (gaps > 0 && DateTime.UtcNow < gapsUntil)
        {
            await Task.Delay(250);
            gaps = await CountAsync(cluster, GapsSql, ids);
        }

        if (gaps > 0)
        {
            // Which events the streams with a gap kept, so a failure says what is missing.
            await using var conn = await cluster.OpenStoreAsync();
            await using var cmd = new NpgsqlCommand(
                "SELECT job_id, string_agg(id || ':' || type, ' ' ORDER BY id) FROM events WHERE job_id IN (SELECT job_id FROM events WHERE job_id = ANY(@ids) GROUP BY job_id HAVING max(id) <> count(*)) GROUP BY job_id LIMIT 5", conn);
            cmd.Parameters.AddWithValue("ids", ids.ToArray());
            var sample = new System.Text.StringBuilder();
            await using (var reader = await cmd.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    sample.Append(reader.GetString(0)).Append(": ").Append(reader.GetString(1)).Append('\n');
                }
            }

            Assert.Fail($"{gaps} of {ids.Count} streams still have a gap in their event ids after 30 s; for example:\n{sample}{cluster.Output[^Math.Min(cluster.Output.Length, 20000)..]}");
        }
    }

    private static async Task<long> CountAsync(Cluster cluster, string sql, List<string> ids)
    {
        await using var conn = await cluster.OpenStoreAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        cmd.Parameters.AddWithValue("ids", ids.ToArray());
        return (long)(await cmd.ExecuteScalarAsync())!;
    }
}
